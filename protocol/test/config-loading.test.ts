import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { ConfigurationError, formatErrorLine } from '../src/errors.js';
import { clearSecrets, redact } from '../src/redaction.js';

const fixtures = fileURLToPath(new URL('./fixtures/config/', import.meta.url));

async function failure(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

afterEach(() => clearSecrets());

describe('loadConfig: files', () => {
  it('merges JSON and YAML files in order: objects deep, arrays and scalars replaced', async () => {
    const config = await loadConfig({ files: ['base.json', 'override.yaml'], cwd: fixtures, env: {} });
    expect(config).toEqual({
      host: 'db.internal',
      port: 5432,
      user: 'etl',
      database: 'analytics',
      options: { sslmode: 'require', application_name: 'tapline', tags: ['c'] },
    });
  });

  it('reads a file with another extension as JSON, else YAML', async () => {
    expect(await loadConfig({ files: ['settings.conf'], cwd: fixtures, env: {} })).toEqual({ host: 'conf-host', port: 1234 });
  });

  it('gives an empty config for no files', async () => {
    expect(await loadConfig({ files: [], cwd: fixtures, env: {} })).toEqual({});
  });

  it('names a missing file', async () => {
    const error = await failure(loadConfig({ files: ['base.json', 'nope.yml'], cwd: fixtures, env: {} }));
    expect(error.where.file).toBe('nope.yml');
    expect(error.message).toContain('does not exist');
    expect(error.hint).toContain('nope.yml');
  });

  it('reports JSON syntax errors with line and column, without quoting the file', async () => {
    const error = await failure(loadConfig({ files: ['bad-syntax.json'], cwd: fixtures, env: {} }));
    expect(error.where).toMatchObject({ file: 'bad-syntax.json', line: 3 });
    expect(error.message).toMatch(/not valid JSON \(column 15\)/);
    expect(formatErrorLine(error)).not.toContain('hunter2');
  });

  it('reports YAML syntax errors with line and column, without quoting the file', async () => {
    const error = await failure(loadConfig({ files: ['bad-syntax.yaml'], cwd: fixtures, env: {} }));
    expect(error.where).toMatchObject({ file: 'bad-syntax.yaml' });
    expect(error.where.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/not valid YAML \(column \d+\)/);
    expect(formatErrorLine(error)).not.toContain('hunter2');
  });

  it('requires an object at the top level', async () => {
    const error = await failure(loadConfig({ files: ['top-level-array.json'], cwd: fixtures, env: {} }));
    expect(error.message).toContain('found an array');
    expect(error.where.file).toBe('top-level-array.json');
  });
});

describe('loadConfig: profiles', () => {
  const env = { PROD_DB_USER: 'etl_prod', PROD_DB_PASSWORD: 'pr0d-pa55word' };

  it('applies profiles.default when no profile is selected', async () => {
    const config = await loadConfig({ files: ['profiles.yml'], cwd: fixtures, env });
    expect(config).toEqual({ host: 'localhost', port: 5432, user: 'dev', database: 'dev_db', options: { sslmode: 'disable' } });
  });

  it('layers the selected profile over default over the base', async () => {
    const config = await loadConfig({ files: ['profiles.yml'], profile: 'production', cwd: fixtures, env });
    expect(config).toEqual({
      host: 'prod.db.example.com',
      port: 5432,
      user: 'etl_prod',
      password: 'pr0d-pa55word',
      database: 'dev_db',
      options: { sslmode: 'verify-full' },
    });
    expect(redact('login with pr0d-pa55word failed')).toBe('login with ******** failed');
  });

  it('takes the profile from TAPLINE_PROFILE, and the option over it', async () => {
    const fromEnv = await loadConfig({ files: ['profiles.yml'], cwd: fixtures, env: { ...env, TAPLINE_PROFILE: 'staging' } });
    expect(fromEnv.host).toBe('staging.db.example.com');
    const fromOption = await loadConfig({ files: ['profiles.yml'], profile: 'production', cwd: fixtures, env: { ...env, TAPLINE_PROFILE: 'staging' } });
    expect(fromOption.host).toBe('prod.db.example.com');
  });

  it('applies the profile in every file that defines it, later files winning', async () => {
    const config = await loadConfig({ files: ['profiles.yml', 'more-profiles.json'], profile: 'production', cwd: fixtures, env });
    expect(config).toMatchObject({ host: 'prod.db.example.com', port: 6543 });
    const qa = await loadConfig({ files: ['profiles.yml', 'more-profiles.json'], profile: 'qa', cwd: fixtures, env });
    expect(qa).toMatchObject({ host: 'qa.db.example.com', database: 'dev_db' });
  });

  it('does not resolve templates of profiles that are not selected', async () => {
    // production's env_var('PROD_DB_USER') is not set here, and must not matter for staging.
    const config = await loadConfig({ files: ['profiles.yml'], profile: 'staging', cwd: fixtures, env: {} });
    expect(config.host).toBe('staging.db.example.com');
  });

  it('fails for an unknown profile, listing the profiles that exist', async () => {
    const error = await failure(loadConfig({ files: ['profiles.yml', 'more-profiles.json'], profile: 'prod', cwd: fixtures, env }));
    expect(error.message).toBe('profile "prod" is not defined in any config file; available profiles: default, production, qa, staging');
    const fromEnv = await failure(loadConfig({ files: ['profiles.yml'], cwd: fixtures, env: { TAPLINE_PROFILE: 'nightly' } }));
    expect(fromEnv.message).toContain('"nightly" (from TAPLINE_PROFILE)');
  });

  it('treats files without profiles as the default profile', async () => {
    expect(await loadConfig({ files: ['base.json'], profile: 'default', cwd: fixtures, env: {} })).toMatchObject({ host: 'db.internal' });
    const error = await failure(loadConfig({ files: ['base.json'], profile: 'production', cwd: fixtures, env: {} }));
    expect(error.message).toContain('available profiles: default');
  });
});
