/**
 * The pipeline file: which tap, transforms and target to run as one pipe, and where the state lives. It is
 * loaded exactly like a connector's config (JSON or YAML, profiles, `{{ env_var() }}` and secret
 * templates) and validated against the JSON Schema below, so every problem is reported at once, with a
 * did-you-mean for a misspelt key. Relative paths in it resolve against the pipeline file's folder, so a
 * run does not depend on the directory an orchestrator happens to start it in.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { loadConfig, registerSecret, type JsonSchemaObject } from '@tapline/protocol';

const command = {
  description: 'The program: a name looked up in node_modules/.bin and PATH, a path, or an argv array',
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string' }, minItems: 1 },
  ],
};

const configFiles = {
  description: 'Config files passed with --config, in order (later ones win)',
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
};

const stageProperties = {
  command,
  config: configFiles,
  options: { type: 'object', description: 'Inline settings, written to a temporary config file passed last' },
  env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra environment variables for this program' },
};

const postgresState = {
  url: { type: 'string', secret: true, description: 'postgres://user:password@host:port/database' },
  host: { type: 'string' },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  user: { type: 'string' },
  password: { type: 'string', secret: true },
  database: { type: 'string' },
  schema: { type: 'string', default: 'public', description: 'Schema of the state tables' },
  table: { type: 'string', default: 'tapline_state', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,50}$', description: 'State table; history goes to <table>_history' },
  connect_timeout_seconds: { type: 'number', minimum: 1, default: 10 },
};

export const pipelineSchema: JsonSchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['tap', 'target'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Names the stored state; defaults to the file name' },
    tap: {
      type: 'object',
      additionalProperties: false,
      required: ['command'],
      properties: {
        ...stageProperties,
        catalog: { type: 'string', description: 'A catalog file passed with --catalog' },
        select: { type: 'array', items: { type: 'string' }, description: 'Stream patterns (public-orders, public-*, !audit-*) applied to the discovered catalog' },
        metadata: {
          type: 'object',
          additionalProperties: { type: 'object' },
          description:
            'Stream-level catalog metadata by stream pattern, as in Meltano: {"public-orders": {"replication-method": "INCREMENTAL", "replication-key": "updated_at"}}',
        },
      },
    },
    transforms: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['command'],
        properties: { ...stageProperties, name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Label in the logs' } },
      },
    },
    target: { type: 'object', additionalProperties: false, required: ['command'], properties: stageProperties },
    state: {
      type: 'object',
      additionalProperties: false,
      properties: {
        backend: { type: 'string', enum: ['file', 'postgres'], default: 'file' },
        path: { type: 'string', description: 'file backend: the state file (default .tapline/state/<name>.json)' },
        ...postgresState,
      },
    },
    stop_grace_seconds: { type: 'number', minimum: 0, default: 10, description: 'Time between SIGTERM and SIGKILL when stopping the programs' },
  },
};

export type CommandSpec = string | string[];

export interface StageConfig {
  command: CommandSpec;
  config?: string | string[];
  options?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface TapConfig extends StageConfig {
  catalog?: string;
  select?: string[];
  /** Stream pattern -> stream-level metadata written into the catalog (replication-method, replication-key, ...). */
  metadata?: Record<string, Record<string, unknown>>;
}

export interface TransformConfig extends StageConfig {
  name?: string;
}

export interface FileStateConfig {
  backend: 'file';
  path?: string;
}

export interface PostgresStateConfig {
  backend: 'postgres';
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  schema: string;
  table: string;
  connect_timeout_seconds: number;
}

export type StateConfig = FileStateConfig | PostgresStateConfig;

export interface Pipeline {
  name: string;
  tap: TapConfig;
  transforms: TransformConfig[];
  target: StageConfig;
  state: StateConfig;
  stop_grace_seconds: number;
  /** The pipeline file, absolute. */
  file: string;
  /** Its folder: relative paths in the pipeline resolve against it. */
  dir: string;
}

export interface LoadPipelineOptions {
  profile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Read, template and validate a pipeline file (every error at once; a ConfigurationError otherwise). */
export async function loadPipeline(path: string, options: LoadPipelineOptions = {}): Promise<Pipeline> {
  const cwd = options.cwd ?? process.cwd();
  const file = resolve(cwd, path);
  const raw = await loadConfig({
    files: [file],
    schema: pipelineSchema,
    cwd,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const value = raw as Omit<Pipeline, 'file' | 'dir' | 'name' | 'transforms' | 'state'> & {
    name?: string;
    transforms?: TransformConfig[];
    state?: StateConfig;
  };
  for (const stage of [value.tap, ...(value.transforms ?? []), value.target]) registerSecretOptions(stage.options);
  return {
    ...value,
    name: value.name ?? basename(file, extname(file)),
    transforms: value.transforms ?? [],
    state: value.state ?? { backend: 'file' },
    file,
    dir: dirname(file),
  };
}

/** Setting names that hold secrets in the connectors of every ecosystem. */
const SECRET_KEY = /(password|passphrase|secret|token|private_key|api_key|credentials)/i;

/**
 * Mask the secret-looking values of a stage's inline options in every line the runner writes, the
 * forwarded lines of its programs included: a third-party program does not know what to mask, and the
 * pipeline schema cannot mark the settings of every program secret.
 */
function registerSecretOptions(options: unknown, key = ''): void {
  if (typeof options === 'string') {
    if (SECRET_KEY.test(key)) registerSecret(options);
  } else if (Array.isArray(options)) {
    for (const item of options) registerSecretOptions(item, key);
  } else if (options !== null && typeof options === 'object') {
    for (const [name, value] of Object.entries(options)) registerSecretOptions(value, SECRET_KEY.test(key) ? key : name);
  }
}

/** A stage's config files as absolute paths. */
export function configFilesOf(stage: StageConfig, dir: string): string[] {
  const files = stage.config === undefined ? [] : Array.isArray(stage.config) ? stage.config : [stage.config];
  return files.map((file) => resolve(dir, file));
}
