/**
 * The orchestrator examples stay true: examples/meltano/meltano.yml declares every plugin with the
 * capabilities and settings its program's `--about` reports, and its mappings' configs are accepted by the
 * programs; examples/airflow's DAG is valid Python whose tasks run `tapline run` on pipeline files that
 * exist and pass `tapline check`. Airflow and Meltano are not installed: the DAG is parsed with Python's
 * ast module, never imported.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findProgram } from '@tapline/runner';
import { runTapline } from './helpers.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

interface MeltanoSetting {
  name: string;
  kind: string;
  sensitive?: boolean;
  options?: { value: unknown }[];
}

interface MeltanoPlugin {
  name: string;
  namespace: string;
  executable: string;
  capabilities: string[];
  settings: MeltanoSetting[];
  mappings?: { name: string; config: Record<string, unknown> }[];
  config?: Record<string, unknown>;
}

interface About {
  name: string;
  kind: string;
  capabilities: string[];
  settings: { properties: Record<string, { type?: string | string[]; enum?: unknown[] }>; required?: string[] };
  secret_settings?: string[];
}

function about(program: string): About {
  return JSON.parse(execFileSync(process.execPath, [program, '--about'], { encoding: 'utf8' })) as About;
}

describe('examples/meltano/meltano.yml', () => {
  const file = join(examples, 'meltano', 'meltano.yml');
  const project = parse(readFileSync(file, 'utf8')) as {
    version: number;
    plugins: Record<'extractors' | 'loaders' | 'mappers', MeltanoPlugin[]>;
    jobs: { name: string; tasks: string[] }[];
    schedules: { name: string; job: string }[];
  };
  const kinds = { extractors: 'tap', loaders: 'target', mappers: 'transform' } as const;
  const all = (Object.keys(kinds) as (keyof typeof kinds)[]).flatMap((type) => project.plugins[type].map((plugin) => ({ type, plugin })));
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'tapline-test-meltano-'));
  });
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it('is a Meltano project declaring taps, targets and transforms', () => {
    expect(project.version).toBe(1);
    expect(project.plugins.extractors.map((p) => p.name)).toContain('tap-postgres');
    expect(project.plugins.loaders.map((p) => p.name)).toContain('target-postgres');
    expect(project.plugins.mappers.map((p) => p.name)).toContain('transform-impute');
  });

  for (const { type, plugin } of all) {
    it(`${type}: ${plugin.name} is a workspace program whose --about matches (run node examples/meltano/generate-meltano-yml.mjs if not)`, () => {
      expect(plugin.name.startsWith(`${kinds[type]}-`)).toBe(true);
      expect(plugin.namespace).toBe(plugin.name.replace(/-/g, '_'));
      const program = findProgram(plugin.executable, { dir: join(examples, 'meltano') });
      expect(program, `${plugin.executable} is not a binary of the workspace`).toBeDefined();
      const reported = about(program!);
      expect(reported.name).toBe(plugin.executable);
      expect(reported.kind).toBe(kinds[type]);
      expect(plugin.capabilities).toEqual(reported.capabilities);
      expect(plugin.settings.map((s) => s.name)).toEqual(Object.keys(reported.settings.properties));
      const secrets = reported.secret_settings ?? [];
      for (const setting of plugin.settings) {
        const sensitive = secrets.some((secret) => secret === setting.name || secret.startsWith(`${setting.name}.`));
        expect(setting.sensitive === true, `${plugin.name} setting ${setting.name} sensitive`).toBe(sensitive);
        const schema = reported.settings.properties[setting.name]!;
        if (schema.enum) expect(setting.options?.map((o) => o.value)).toEqual(schema.enum);
        // Meltano shows a setting's value as its default: it must be the program's.
        expect((setting as { value?: unknown }).value, `${plugin.name} setting ${setting.name} default`).toEqual(schema.default);
      }
      // The example's own config only uses settings the program has, and none of them secret.
      for (const key of Object.keys(plugin.config ?? {})) {
        expect(Object.keys(reported.settings.properties)).toContain(key);
        expect(secrets).not.toContain(key);
      }
    });
  }

  for (const { plugin } of all.filter(({ type }) => type === 'mappers')) {
    for (const mapping of plugin.mappings ?? []) {
      it(`mapping ${mapping.name}: ${plugin.executable} accepts its config and passes a stream through`, async () => {
        const config = join(workDir, `${mapping.name}.json`);
        await writeFile(config, JSON.stringify(mapping.config));
        const input = [
          { type: 'SCHEMA', stream: 'orders', schema: { type: 'object', properties: { id: { type: 'integer' }, amount: { type: ['null', 'number'] } } }, key_properties: ['id'] },
          { type: 'RECORD', stream: 'orders', record: { id: 1, amount: 2.5 } },
          { type: 'RECORD', stream: 'orders', record: { id: 2, amount: 3.5 } },
          { type: 'STATE', value: { bookmarks: { orders: { replication_key_value: 2 } } } },
        ]
          .map((message) => JSON.stringify(message))
          .join('\n');
        const run = spawnSync(findProgram(plugin.executable, { dir: join(examples, 'meltano') })!, ['--config', config], { input: `${input}\n`, cwd: workDir, encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        const types = run.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);
        expect(types.filter((t) => t === 'RECORD').length).toBeGreaterThan(0);
        expect(types.at(-1)).toBe('STATE');
      });
    }
  }

  it('jobs name declared plugins and mappings, and schedules name jobs', () => {
    const names = new Set([...all.map(({ plugin }) => plugin.name), ...project.plugins.mappers.flatMap((p) => (p.mappings ?? []).map((m) => m.name))]);
    for (const job of project.jobs) for (const task of job.tasks) for (const word of task.split(/\s+/)) expect(names, `job ${job.name}`).toContain(word);
    const jobs = project.jobs.map((job) => job.name);
    for (const schedule of project.schedules) expect(jobs).toContain(schedule.job);
  });
});

describe('examples/airflow DAG', () => {
  const dag = join(examples, 'airflow', 'dags', 'tapline_pipelines.py');
  // The DAG's literal settings and its operator call, read with Python's ast: no Airflow needed.
  const extract = `
import ast, json, sys
source = open(sys.argv[1]).read()
tree = ast.parse(source, sys.argv[1])
out = {"operators": []}
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in ("PIPELINES", "PIPELINE_ENV"):
        out[node.targets[0].id] = ast.literal_eval(node.value)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("BashOperator", "DAG"):
        out["operators"].append({"call": node.func.id, "keywords": {k.arg: ast.unparse(k.value) for k in node.keywords}})
print(json.dumps(out))
`;
  const read = () =>
    JSON.parse(execFileSync('python3', ['-c', extract, dag], { encoding: 'utf8' })) as {
      PIPELINES: string[];
      PIPELINE_ENV: Record<string, string>;
      operators: { call: string; keywords: Record<string, string> }[];
    };

  it('is valid Python with one BashOperator calling `tapline run` per pipeline, password from templated env', () => {
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', dag]);
    const { PIPELINES, PIPELINE_ENV, operators } = read();
    expect(PIPELINES.length).toBeGreaterThan(0);
    const bash = operators.filter((op) => op.call === 'BashOperator');
    expect(bash).toHaveLength(1); // inside `for pipeline in PIPELINES`: one task per pipeline
    expect(bash[0]!.keywords.bash_command).toMatch(/\{shlex\.quote\(TAPLINE\)\} run \{shlex\.quote\(str\(path\)\)\}/);
    expect(bash[0]!.keywords.env).toBe('PIPELINE_ENV');
    expect(bash[0]!.keywords.append_env).toBe('True');
    expect(operators.find((op) => op.call === 'DAG')!.keywords.max_active_runs).toBe('1');
    // Passwords come from Airflow connections, rendered into the task's environment.
    const passwords = Object.entries(PIPELINE_ENV).filter(([name]) => name.endsWith('PASSWORD'));
    expect(passwords.length).toBeGreaterThan(0);
    for (const [, value] of passwords) expect(value).toMatch(/^\{\{ conn\.\w+\.password \}\}$/);
  });

  it('every pipeline it runs exists, keeps its state in PostgreSQL, reads its secrets from the env, and passes tapline check', async () => {
    const { PIPELINES, PIPELINE_ENV } = read();
    const env = Object.fromEntries(Object.keys(PIPELINE_ENV).map((name) => [name, `value-of-${name.toLowerCase()}`]));
    for (const pipeline of PIPELINES) {
      const file = join(examples, 'airflow', 'pipelines', pipeline);
      expect(existsSync(file), file).toBe(true);
      const text = readFileSync(file, 'utf8');
      const parsed = parse(text) as { state: { backend: string; password: string } };
      expect(parsed.state.backend).toBe('postgres');
      expect(parsed.state.password).toMatch(/^\{\{ env_var\('\w+'\) \}\}$/);
      // Every variable the file reads without a fallback is one the DAG sets.
      for (const [, name] of text.matchAll(/env_var\('(\w+)'\)/g)) expect(Object.keys(PIPELINE_ENV)).toContain(name);
      expect(text).not.toMatch(/password: (?!"\{\{)/);

      const check = await runTapline(['check', file], { env });
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toMatch(/^tap: .*tap-postgres.* --config \(inline options\)$/m);
      expect(check.stdout).toMatch(/^target: .*target-postgres.* --config \(inline options\)$/m);
      expect(check.stdout).toMatch(/^state: postgres table public\.tapline_state$/m);
      expect(check.lastLine).toMatch(/pipeline "[\w-]+" is valid/);
      // Secrets from the environment never reach the output.
      expect(check.stdout + check.stderr).not.toContain('value-of-tapline_state_password');
    }
  });
});
