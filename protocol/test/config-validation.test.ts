import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, loadConfig, maskSecrets, secretPaths, validateConfig, type JsonSchemaObject } from '../src/config/index.js';
import { ConfigurationError, formatErrorLine } from '../src/errors.js';
import { clearSecrets, redact } from '../src/redaction.js';

const schema: JsonSchemaObject = {
  type: 'object',
  properties: {
    host: { type: 'string' },
    port: { type: 'integer', default: 5432 },
    user: { type: 'string' },
    password: { type: 'string', secret: true, minLength: 12 },
    sslmode: { type: 'string', enum: ['disable', 'require', 'verify-full'], default: 'require' },
    ssh_tunnel: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean', default: false },
        host: { type: 'string' },
        port: { type: 'integer', default: 22 },
        private_key: { type: 'string', writeOnly: true },
        private_key_passphrase: { type: 'string', secret: true },
      },
      required: ['host'],
      additionalProperties: false,
    },
    start_date: { type: 'string', format: 'date-time' },
    credentials: {
      anyOf: [{ type: 'null' }, { type: 'object', properties: { token: { type: 'string', secret: true } } }],
    },
    replicas: { type: 'array', items: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } } },
  },
  required: ['host', 'user'],
  additionalProperties: false,
};

function validationError(run: () => unknown): InvalidConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as InvalidConfigError;
  }
  throw new Error('expected a validation error');
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tapline-config-schema-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
afterEach(() => clearSecrets());

async function write(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text);
  return path;
}

describe('validateConfig', () => {
  it('fills defaults into a copy', () => {
    const input = { host: 'db', user: 'etl', ssh_tunnel: { host: 'bastion' } };
    const config = validateConfig(input, schema);
    expect(config).toEqual({ host: 'db', user: 'etl', port: 5432, sslmode: 'require', ssh_tunnel: { host: 'bastion', enabled: false, port: 22 } });
    expect(input).toEqual({ host: 'db', user: 'etl', ssh_tunnel: { host: 'bastion' } });
  });

  it('reports every error at once, each with its dotted path', () => {
    const error = validationError(() =>
      validateConfig(
        {
          hots: 'db',
          user: 5,
          port: 'abc',
          sslmode: 'maybe',
          start_date: 'yesterday',
          ssh_tunnel: { port: 'x', hots: 'bastion' },
          replicas: [{ host: 'r1', port: 1 }, { host: 'r2', port: 'two' }],
        },
        schema,
      ),
    );
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`).sort()).toEqual(
      [
        'host: is required',
        'hots: unknown key (did you mean "host"?)',
        'user: must be string',
        'port: must be integer',
        'sslmode: must be one of "disable", "require", "verify-full"',
        'start_date: must match format "date-time"',
        'ssh_tunnel.host: is required',
        'ssh_tunnel.hots: unknown key (did you mean "host"?)',
        'ssh_tunnel.port: must be integer',
        'replicas[1].port: must be integer',
      ].sort(),
    );
    expect(error.message.split('; ')).toHaveLength(10);
    expect(error.message).toContain('ssh_tunnel.port: must be integer');
    expect(error.where.path).toBeUndefined();
  });

  it('suggests a key only when one is close', () => {
    const error = validationError(() => validateConfig({ host: 'db', user: 'u', completely_different: 1 }, schema));
    expect(error.message).toBe('unknown key');
    expect(error.where.path).toBe('completely_different');
  });

  it('puts a single error’s path in the error location', () => {
    const error = validationError(() => validateConfig({ host: 'db', user: 'etl', ssh_tunnel: { host: 'b', port: 'x' } }, schema));
    expect(error.message).toBe('must be integer');
    expect(error.where.path).toBe('ssh_tunnel.port');
    expect(formatErrorLine(error)).toBe('configuration error: at ssh_tunnel.port: must be integer');
  });

  it('never echoes a secret value in a message', () => {
    const error = validationError(() =>
      validateConfig({ host: 'db', user: 'etl', password: 'short-pw', ssh_tunnel: { host: 'b', private_key_passphrase: 987654321 } }, schema),
    );
    expect(error.message).toBe('password: must NOT have fewer than 12 characters; ssh_tunnel.private_key_passphrase: must be string');
    expect(formatErrorLine(error)).not.toMatch(/short-pw|987654321/);
  });
});

describe('secret paths', () => {
  it('lists the paths marked secret or writeOnly, nested and inside anyOf branches', () => {
    expect(secretPaths(schema)).toEqual([['password'], ['ssh_tunnel', 'private_key'], ['ssh_tunnel', 'private_key_passphrase'], ['credentials', 'token']]);
    expect(secretPaths({ type: 'object', properties: { host: { type: 'string' } } })).toEqual([]);
  });

  it('masks secret values for printing and leaves the input alone', () => {
    const config = { host: 'db', user: 'etl', password: 'pa55word-long', ssh_tunnel: { host: 'b', private_key: 'KEY', private_key_passphrase: null }, credentials: { token: 'tok' } };
    expect(maskSecrets(config, schema)).toEqual({
      host: 'db',
      user: 'etl',
      password: '********',
      ssh_tunnel: { host: 'b', private_key: '********', private_key_passphrase: null },
      credentials: { token: '********' },
    });
    expect(config.password).toBe('pa55word-long');
  });
});

describe('loadConfig with a schema', () => {
  it('validates, fills defaults, turns templated numbers into numbers and registers secret settings', async () => {
    const file = await write(
      'tap.yml',
      [
        'host: db.example.com',
        "port: \"{{ env_var('PGPORT', '6432') }}\"",
        'user: etl',
        'password: plain-text-password', // not templated, secret by schema
        'ssh_tunnel:',
        '  host: bastion',
        "  enabled: \"{{ env_var('SSH_ENABLED') }}\"",
        "  private_key_passphrase: \"{{ env_var('SSH_PASSPHRASE') }}\"",
        "credentials: \"{{ env_var('CREDENTIALS_JSON') }}\"",
      ].join('\n'),
    );
    const config = await loadConfig({
      files: [file],
      schema,
      env: { SSH_ENABLED: 'true', SSH_PASSPHRASE: 'open-sesame', CREDENTIALS_JSON: '{"token": "json-token-value"}' },
    });
    expect(config).toEqual({
      host: 'db.example.com',
      port: 6432,
      user: 'etl',
      password: 'plain-text-password',
      sslmode: 'require',
      ssh_tunnel: { host: 'bastion', enabled: true, port: 22, private_key_passphrase: 'open-sesame' },
      credentials: { token: 'json-token-value' },
    });
    expect(redact('auth failed for plain-text-password / open-sesame / json-token-value')).toBe('auth failed for ******** / ******** / ********');
    expect(redact('host db.example.com')).toBe('host db.example.com');
  });

  it('reports validation errors after templating, without the secret values', async () => {
    const file = await write('bad.json', JSON.stringify({ host: 'db', user: 'etl', password: '{{ env_var("PW") }}', port: '{{ env_var("PORT") }}' }));
    const error = await loadConfig({ files: [file], schema, env: { PW: 'tiny-secret', PORT: 'not-a-number' } }).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).message).toBe('port: must be integer; password: must NOT have fewer than 12 characters');
    expect(formatErrorLine(error)).not.toContain('tiny-secret');
    expect(redact('tiny-secret')).toBe('********');
  });
});
