import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, loadConfig, parseTemplate, registerSecretLoader, type SecretLoader } from '../src/config/index.js';
import { ConfigurationError, ConnectionError, formatErrorLine } from '../src/errors.js';
import { clearSecrets, redact } from '../src/redaction.js';

const fixtures = fileURLToPath(new URL('./fixtures/config/', import.meta.url));
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tapline-config-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
afterEach(() => clearSecrets());

async function write(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

describe('templates', () => {
  it('resolves env_var with and without fallback, file(), and text around templates', async () => {
    const config = await loadConfig({ files: ['templated.yml'], cwd: fixtures, env: { PGUSER: 'etl' } });
    expect(config).toEqual({
      host: 'localhost',
      user: 'etl',
      password: 's3cr3t-from-file',
      url: 'postgres://etl@localhost:5432/app',
    });
    const withHost = await loadConfig({ files: ['templated.yml'], cwd: fixtures, env: { PGUSER: 'etl', PGHOST: 'db.example.com' } });
    expect(withHost.url).toBe('postgres://etl@db.example.com:5432/app');
  });

  it("resolves file() against the directory of the file that wrote it, removing one trailing newline", async () => {
    const config = await loadConfig({ files: ['templated.yml', 'nested/tls.yaml'], cwd: fixtures, env: { PGUSER: 'etl' } });
    expect(config.tls).toEqual({ ca: '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n' });
    expect(config.password_from_parent).toBe('s3cr3t-from-file');
  });

  it('accepts either quote and any spacing, and templates in arrays and nested objects', async () => {
    const file = await write(
      'spacing.yaml',
      [
        `a: "{{env_var('V')}}"`,
        `b: '{{   env_var(  "V" ,  "x" )   }}'`,
        `c: ["{{ env_var('V') }}-1", plain]`,
        `d: { e: { f: "[{{ env_var('MISSING', '') }}]" } }`,
        `g: "{{ env_var('W', 'it\\\\'s, \\"quoted\\" }}') }}"`,
      ].join('\n'),
    );
    const config = await loadConfig({ files: [file], env: { V: 'value' } });
    expect(config).toEqual({ a: 'value', b: 'value', c: ['value-1', 'plain'], d: { e: { f: '[]' } }, g: `it's, "quoted" }}` });
  });

  it('loads secrets through the env and file loaders and registers them for redaction', async () => {
    await write('secrets/api.key', 'k3y-from-secret-file\n');
    const file = await write('secrets.yml', "api_key: \"{{ secret('file', 'secrets/api.key') }}\"\ntoken: \"{{ secret('env', 'TOKEN') }}\"\n");
    const config = await loadConfig({ files: [file], env: { TOKEN: 't0ken-value' } });
    expect(config).toEqual({ api_key: 'k3y-from-secret-file', token: 't0ken-value' });
    expect(redact('sent k3y-from-secret-file and t0ken-value')).toBe('sent ******** and ********');
  });

  it('registers file() values as secrets', async () => {
    await loadConfig({ files: ['templated.yml'], cwd: fixtures, env: { PGUSER: 'etl' } });
    expect(redact('password s3cr3t-from-file rejected')).toBe('password ******** rejected');
  });

  it('does not resolve a template that a later file overrides', async () => {
    const base = await write('override-base.yml', "password: \"{{ env_var('NOT_SET_ANYWHERE') }}\"\n");
    const local = await write('override-local.json', '{"password": "local-dev"}');
    expect(await loadConfig({ files: [base, local], env: {} })).toEqual({ password: 'local-dev' });
  });

  it('reports every template problem at once, each with its key path', async () => {
    const error = await failure(loadConfig({ files: ['broken-templates.yml'], cwd: fixtures, env: {} }));
    expect(error).toBeInstanceOf(InvalidConfigError);
    const issues = (error as InvalidConfigError).issues;
    expect(issues.map((issue) => issue.path)).toEqual(['host', 'ssh_tunnel.password', 'ssh_tunnel.private_key', 'token', 'api_key', 'broken']);
    expect(error.message).toBe(
      [
        'host: environment variable "MISSING_HOST" is not set',
        'ssh_tunnel.password: environment variable "MISSING_SSH_PASSWORD" is not set',
        'ssh_tunnel.private_key: file "no-such-key.pem" does not exist',
        'token: unknown template function "vault"',
        'api_key: unknown secret loader "nope"',
        "broken: template syntax error: expected ',' or ')' after an argument of env_var(...)",
      ].join('; '),
    );
    expect(error.where.file).toBe('broken-templates.yml');
  });

  it('puts a single problem’s key path in the error location', async () => {
    const file = await write('one-error.yml', "ssh_tunnel:\n  host: bastion\n  password: \"{{ env_var('SSH_PASSWORD') }}\"\n");
    const error = await failure(loadConfig({ files: [file], env: {} }));
    expect(error.where.path).toBe('ssh_tunnel.password');
    expect(error.message).toBe('environment variable "SSH_PASSWORD" is not set');
    expect(error.hint).toContain("env_var('SSH_PASSWORD', '...')");
    expect(formatErrorLine(error)).toContain('at ssh_tunnel.password: environment variable "SSH_PASSWORD" is not set');
  });

  it('suggests the template function or loader that was probably meant', async () => {
    const file = await write('typos.yml', "a: \"{{ env('X') }}\"\nb: \"{{ secret('evn', 'X') }}\"\nc: \"{{ env_var('A', 'B', 'C') }}\"\n");
    const error = await failure(loadConfig({ files: [file], env: { X: 'x' } }));
    expect(error.message).toBe(
      'a: unknown template function "env" (did you mean "env_var"?); b: unknown secret loader "evn" (did you mean "env"?); c: env_var() takes 1 or 2 arguments (name, fallback), got 3',
    );
  });

  it('never quotes template text, which may hold a literal secret', async () => {
    const file = await write('literal.yml', "password: \"{{ env_var('PW', 'hunter2-literal' }}\"\nother: \"{{ file('x') \"\n");
    const error = await failure(loadConfig({ files: [file], env: {} }));
    expect(formatErrorLine(error)).not.toContain('hunter2');
    expect(error.message).toContain("other: template syntax error: '{{' at character 1 has no closing '}}'");
  });

  it('uses loaders registered later, and keeps a store that cannot be reached a ConnectionError', async () => {
    const vault: SecretLoader = {
      name: 'vault',
      async load(id) {
        if (id === 'down') throw new ConnectionError('vault is unreachable');
        return `vault-value-for-${id}`;
      },
    };
    const unregister = registerSecretLoader(vault);
    try {
      const file = await write('vault.yml', "db:\n  password: \"{{ secret('vault', 'db') }}\"\n");
      expect(await loadConfig({ files: [file], env: {} })).toEqual({ db: { password: 'vault-value-for-db' } });
      expect(redact('vault-value-for-db')).toBe('********');

      const down = await write('vault-down.yml', "db:\n  password: \"{{ secret('vault', 'down') }}\"\n");
      const error = await loadConfig({ files: [down], env: {} }).catch((error: unknown) => error);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).where.path).toBe('db.password');
    } finally {
      unregister();
    }
    const file = await write('vault-gone.yml', "password: \"{{ secret('vault', 'db') }}\"\n");
    expect((await failure(loadConfig({ files: [file], env: {} }))).message).toContain('unknown secret loader "vault"');
  });
});

describe('parseTemplate', () => {
  it('splits text and calls', () => {
    expect(parseTemplate("a{{ env_var('X', '}}') }}b")).toEqual({
      ok: true,
      segments: [
        { kind: 'text', text: 'a' },
        { kind: 'call', name: 'env_var', args: ['X', '}}'] },
        { kind: 'text', text: 'b' },
      ],
    });
    expect(parseTemplate("{{ file('C:\\secrets\\db') }}")).toEqual({ ok: true, segments: [{ kind: 'call', name: 'file', args: ['C:\\secrets\\db'] }] });
  });

  it('rejects what is not a call of quoted arguments', () => {
    expect(parseTemplate('{{ }}')).toMatchObject({ ok: false });
    expect(parseTemplate('{{ env_var(X) }}')).toEqual({ ok: false, message: 'template syntax error: the arguments of env_var(...) must be quoted strings' });
    expect(parseTemplate("{{ env_var('X') extra }}")).toEqual({ ok: false, message: 'template syntax error: unexpected text after env_var(...)' });
    expect(parseTemplate("{{ env_var('X }}")).toMatchObject({ ok: false });
  });
});

describe('file() and the home folder', () => {
  it('expands ~/ to the home folder', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { homedir } = await import('node:os');
    const dir = await mkdtemp(join(homedir(), '.tapline-test-'));
    try {
      await writeFile(join(dir, 'key.pem'), 'KEY-CONTENT\n');
      const relative = `~/${dir.slice(homedir().length + 1)}/key.pem`;
      const config = join(dir, 'c.yml');
      await writeFile(config, `value: "{{ file('${relative}') }}"\n`);
      const { loadConfig } = await import('../src/config/index.js');
      expect(await loadConfig({ files: [config], env: {} })).toEqual({ value: 'KEY-CONTENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
