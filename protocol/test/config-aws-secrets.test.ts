/**
 * The AWS Secrets Manager loader against a real HTTP server that speaks the Secrets Manager JSON protocol,
 * so the real SDK signs, sends and parses real requests. No AWS account needed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsManagerLoader, createAwsSecretsManagerLoader, loadConfig } from '../src/config/index.js';
import { ConfigurationError, ConnectionError, formatErrorLine } from '../src/errors.js';
import { clearSecrets, redact } from '../src/redaction.js';

const SECRETS: Record<string, string> = {
  'prod/db-password': 'aws-plain-secret-value',
  'prod/db': JSON.stringify({ username: 'etl_prod', password: 'aws-json-password', port: 5432 }),
};

interface SeenRequest {
  target: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

let server: Server;
let endpoint: string;
const seen: SeenRequest[] = [];

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((text) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      const target = request.headers['x-amz-target'] as string | undefined;
      seen.push({ target, authorization: request.headers.authorization, body });
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      const id = String(body.SecretId);
      const value = SECRETS[id];
      if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.end(JSON.stringify({ ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`, Name: id, SecretString: value, VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  clearSecrets();
  seen.length = 0;
});

function awsEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TAPLINE_AWS_SECRETS_ENDPOINT: endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIATESTTESTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key',
    ...overrides,
  };
}

describe('aws secret loader', () => {
  it('reads a plain secret with a signed GetSecretValue request', async () => {
    expect(await awsSecretsManagerLoader.load('prod/db-password', { env: awsEnv(), cwd: process.cwd() })).toBe('aws-plain-secret-value');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.target).toBe('secretsmanager.GetSecretValue');
    expect(seen[0]?.body).toEqual({ SecretId: 'prod/db-password' });
    expect(seen[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIATESTTESTTEST\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
  });

  it('picks one key of a JSON secret with #key, through loadConfig, and registers the values', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapline-aws-'));
    try {
      await writeFile(
        join(dir, 'config.yml'),
        [
          "user: \"{{ secret('aws', 'prod/db#username') }}\"",
          "password: \"{{ secret('aws', 'prod/db#password') }}\"",
          "port: \"{{ secret('aws', 'prod/db#port') }}\"",
          "api_key: \"{{ secret('aws', 'prod/db-password') }}\"",
        ].join('\n'),
      );
      const config = await loadConfig({ files: ['config.yml'], cwd: dir, env: awsEnv() });
      expect(config).toEqual({ user: 'etl_prod', password: 'aws-json-password', port: '5432', api_key: 'aws-plain-secret-value' });
      expect(redact('aws-json-password and aws-plain-secret-value')).toBe('******** and ********');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives a ConfigurationError naming the id (never a value) for an unknown secret', async () => {
    const error = await awsSecretsManagerLoader.load('prod/nope', { env: awsEnv(), cwd: process.cwd() }).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toBe('AWS Secrets Manager has no secret "prod/nope" in region eu-west-1');
    expect((error as ConfigurationError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('names the available keys, not the values, when #key is missing', async () => {
    const error = await awsSecretsManagerLoader.load('prod/db#pasword', { env: awsEnv(), cwd: process.cwd() }).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ConfigurationError);
    const line = formatErrorLine(error);
    expect(line).toContain('AWS secret "prod/db" has no key "pasword" (did you mean "password"?)');
    expect(line).toContain('Its keys are: username, password, port');
    expect(line).not.toContain('aws-json-password');
  });

  it('reports the secret id and path in one config error for an unknown secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapline-aws-'));
    try {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ ssh_tunnel: { password: "{{ secret('aws', 'prod/missing') }}" } }));
      const error = await loadConfig({ files: ['config.json'], cwd: dir, env: awsEnv() }).catch((error: unknown) => error);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).where).toMatchObject({ path: 'ssh_tunnel.password', file: 'config.json' });
      expect((error as ConfigurationError).message).toContain('"prod/missing"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives a ConnectionError when the endpoint cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await awsSecretsManagerLoader
      .load('prod/db-password', { env: awsEnv({ TAPLINE_AWS_SECRETS_ENDPOINT: deadEndpoint }), cwd: process.cwd() })
      .catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toBe(`cannot read secret "prod/db-password" from AWS Secrets Manager (${deadEndpoint})`);
    expect((error as ConnectionError).cause).toBeDefined();
  });

  it('asks for the SDK to be installed when it cannot be imported', async () => {
    const loader = createAwsSecretsManagerLoader({
      importSdk: () => Promise.reject(Object.assign(new Error("Cannot find package '@aws-sdk/client-secrets-manager'"), { code: 'ERR_MODULE_NOT_FOUND' })),
    });
    const error = await loader.load('prod/db', { env: awsEnv(), cwd: process.cwd() }).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).hint).toBe('npm install @aws-sdk/client-secrets-manager');
  });
});
