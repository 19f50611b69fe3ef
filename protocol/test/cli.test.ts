import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearSecrets, executeProgram, readStateFile, type ProgramContext, type ProgramDefinition } from '../src/index.js';

interface Seen {
  context?: ProgramContext;
}

function program(seen: Seen, run?: (context: ProgramContext) => Promise<void>): ProgramDefinition {
  return {
    name: 'tap-example',
    version: '1.2.3',
    kind: 'tap',
    description: 'An example program',
    capabilities: ['catalog', 'discover', 'state', 'about'],
    configSchema: {
      type: 'object',
      properties: { host: { type: 'string' }, password: { type: 'string', secret: true }, port: { type: 'integer', default: 5432 } },
      required: ['host'],
      additionalProperties: false,
    },
    async run(context) {
      seen.context = context;
      await run?.(context);
    },
    async discover() {
      return { streams: [{ tap_stream_id: 'public-a', stream: 'a', schema: { type: 'object' }, metadata: [] }] };
    },
  };
}

async function execute(definition: ProgramDefinition, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  const err: string[] = [];
  const code = await executeProgram(definition, argv, { stdout, stderr: { write: (text: string) => err.push(text) }, stdin: new PassThrough(), env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('CLI contract', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-cli-'));
  });
  afterEach(async () => {
    clearSecrets();
    await rm(dir, { recursive: true, force: true });
  });

  it('merges several --config files (later wins), picks the profile and fills defaults', async () => {
    await writeFile(join(dir, 'a.yml'), 'host: one\nprofiles:\n  production:\n    host: prod\n');
    await writeFile(join(dir, 'b.json'), '{"port": 6543}');
    const seen: Seen = {};
    const result = await execute(program(seen), ['--config', join(dir, 'a.yml'), '--config', join(dir, 'b.json'), '--profile', 'production']);
    expect(result.code, result.stderr).toBe(0);
    expect(seen.context?.config).toEqual({ host: 'prod', port: 6543 });
  });

  it('reads every shape of state file: plain, a STATE message, appended STATE lines (last wins), empty', async () => {
    await writeFile(join(dir, 'plain.json'), '{"bookmarks":{"a":{"id":1}}}');
    await writeFile(join(dir, 'message.json'), '{"type":"STATE","value":{"bookmarks":{"a":{"id":2}}}}');
    await writeFile(join(dir, 'lines.jsonl'), '{"type":"STATE","value":{"bookmarks":{"a":{"id":3}}}}\n{"type":"STATE","value":{"bookmarks":{"a":{"id":4}}}}\n\n');
    await writeFile(join(dir, 'empty.json'), '\n');
    expect(await readStateFile(join(dir, 'plain.json'))).toEqual({ bookmarks: { a: { id: 1 } } });
    expect(await readStateFile(join(dir, 'message.json'))).toEqual({ bookmarks: { a: { id: 2 } } });
    expect(await readStateFile(join(dir, 'lines.jsonl'))).toEqual({ bookmarks: { a: { id: 4 } } });
    expect(await readStateFile(join(dir, 'empty.json'))).toBeUndefined();
  });

  it.each([
    ['a state file that is not JSON', 'state', 'not json at all', /state file is not JSON/],
    ['a state that is not an object', 'state', '[1,2]', /state must be a JSON object/],
    ['a catalog that is not JSON', 'catalog', '{', /catalog file is not JSON/],
    ['a catalog without streams', 'catalog', '{"stream": []}', /streams/],
  ])('%s is one configuration error line, exit 2', async (_name, flag, content, pattern) => {
    await writeFile(join(dir, 'config.json'), '{"host":"h"}');
    await writeFile(join(dir, 'file.json'), content);
    const result = await execute(program({}), ['--config', join(dir, 'config.json'), `--${flag}`, join(dir, 'file.json')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).toContain('file.json');
  });

  it('reports every config problem at once, and never prints a secret', async () => {
    await writeFile(join(dir, 'config.yml'), "password: \"{{ env_var('DB_PASSWORD') }}\"\nport: many\nhots: x\n");
    const result = await execute(program({}), ['--config', join(dir, 'config.yml')], { DB_PASSWORD: 's3cret-value-xyz' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/host: is required/);
    expect(result.stderr).toMatch(/port: must be integer/);
    expect(result.stderr).toMatch(/hots: unknown key \(did you mean "host"\?\)/);
    expect(result.stderr).not.toContain('s3cret-value-xyz');
  });

  it('redacts secrets from everything the program logs', async () => {
    await writeFile(join(dir, 'config.yml'), "host: h\npassword: \"{{ env_var('DB_PASSWORD') }}\"\n");
    const result = await execute(
      program({}, async (context) => {
        context.logger.info(`connecting with ${String((context.config as { password: string }).password)}`);
        throw new Error(`login failed for password ${String((context.config as { password: string }).password)}`);
      }),
      ['--config', join(dir, 'config.yml')],
      { DB_PASSWORD: 'another-s3cret-123' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connecting with ********');
    expect(result.stderr).not.toContain('another-s3cret-123');
  });

  it('--about marks secret settings and prints no config values', async () => {
    const result = await execute(program({}), ['--about']);
    const about = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(about).toMatchObject({ name: 'tap-example', version: '1.2.3', kind: 'tap', secret_settings: ['password'] });
  });

  it('--discover prints the catalog', async () => {
    await writeFile(join(dir, 'config.json'), '{"host":"h"}');
    const result = await execute(program({}), ['--config', join(dir, 'config.json'), '--discover']);
    expect(JSON.parse(result.stdout)).toMatchObject({ streams: [{ tap_stream_id: 'public-a' }] });
  });

  it('SIGTERM stops the run with exit 143 and one line', async () => {
    await writeFile(join(dir, 'config.json'), '{"host":"h"}');
    const result = execute(
      program({}, async (context) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        process.emit('SIGTERM', 'SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 5000));
        expect(context.signal.aborted).toBe(true);
      }),
      ['--config', join(dir, 'config.json')],
    );
    const { code, stderr } = await result;
    expect(code).toBe(143);
    expect(stderr.trim().split('\n').at(-1)).toMatch(/interrupted error: interrupted by SIGTERM/);
  });
});
