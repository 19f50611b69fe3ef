/**
 * `secret('aws', '<name or ARN>[#key]')`: AWS Secrets Manager. The SDK is an optional dependency and is
 * imported only when a config actually asks for an AWS secret, so programs that never do stay small and
 * start fast. TAPLINE_AWS_SECRETS_ENDPOINT (or the SDK's AWS_ENDPOINT_URL_SECRETS_MANAGER) points it at
 * LocalStack or a test server.
 */
import { ConfigurationError, ConnectionError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { isPlainObject } from './merge.js';
import type { SecretLoader, SecretLoaderContext } from './secret-loaders.js';

const SDK_PACKAGE = '@aws-sdk/client-secrets-manager';

export type SecretsManagerSdk = Pick<typeof import('@aws-sdk/client-secrets-manager'), 'SecretsManagerClient' | 'GetSecretValueCommand'>;

export interface AwsSecretsManagerLoaderOptions {
  /** How to load the SDK; the default is a dynamic import. */
  importSdk?: () => Promise<SecretsManagerSdk>;
}

/** Errors that mean "the id or request is wrong", as opposed to "we could not get through". */
const NOT_FOUND_ERRORS = new Set(['ResourceNotFoundException']);
const BAD_REQUEST_ERRORS = new Set(['InvalidParameterException', 'InvalidRequestException', 'ValidationException']);
const REFUSED_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'DecryptionFailure',
]);

export function createAwsSecretsManagerLoader(options: AwsSecretsManagerLoaderOptions = {}): SecretLoader {
  const importSdk = options.importSdk ?? (() => import('@aws-sdk/client-secrets-manager'));
  return {
    name: 'aws',
    async load(id, context) {
      const { secretId, key } = parseId(id);
      let sdk: SecretsManagerSdk;
      try {
        sdk = await importSdk();
      } catch (error) {
        throw new ConfigurationError(`secret("aws", ...) needs the package ${SDK_PACKAGE}, which could not be loaded`, {
          cause: error,
          hint: `npm install ${SDK_PACKAGE}`,
        });
      }
      const text = await fetchSecret(sdk, secretId, context);
      return key === undefined ? text : pickKey(text, secretId, key);
    },
  };
}

export const awsSecretsManagerLoader: SecretLoader = createAwsSecretsManagerLoader();

function parseId(id: string): { secretId: string; key: string | undefined } {
  // Secret names and ARNs cannot contain '#', so the last one always starts the key.
  const hash = id.lastIndexOf('#');
  const secretId = hash === -1 ? id : id.slice(0, hash);
  const key = hash === -1 ? undefined : id.slice(hash + 1);
  if (secretId === '' || key === '') {
    throw new ConfigurationError(`invalid AWS secret id "${id}"`, { hint: "Write secret('aws', 'name-or-arn') or secret('aws', 'name-or-arn#key')" });
  }
  return { secretId, key };
}

/** arn:aws:secretsmanager:<region>:<account>:secret:<name> */
function regionFromArn(secretId: string): string | undefined {
  const parts = secretId.split(':');
  return parts[0] === 'arn' && parts[2] === 'secretsmanager' && parts[3] ? parts[3] : undefined;
}

async function fetchSecret(sdk: SecretsManagerSdk, secretId: string, { env }: SecretLoaderContext): Promise<string> {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || regionFromArn(secretId);
  const endpoint = env.TAPLINE_AWS_SECRETS_ENDPOINT || env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  // The SDK's own chain reads process.env; credentials in the env we were given must win over it.
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const client = new sdk.SecretsManagerClient({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // Without timeouts a black-holed endpoint would hang start-up forever.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
  });
  try {
    const output = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
    if (typeof output.SecretString === 'string') return output.SecretString;
    if (output.SecretBinary) return Buffer.from(output.SecretBinary).toString('utf8');
    throw new ConfigurationError(`AWS secret "${secretId}" has no value`, { hint: 'Store a value in the secret' });
  } catch (error) {
    throw translateError(error, secretId, region ?? undefined, endpoint || undefined);
  } finally {
    client.destroy();
  }
}

function translateError(error: unknown, secretId: string, region: string | undefined, endpoint: string | undefined): Error {
  if (error instanceof ConfigurationError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const inRegion = region ? ` in region ${region}` : '';
  if (NOT_FOUND_ERRORS.has(name)) {
    return new ConfigurationError(`AWS Secrets Manager has no secret "${secretId}"${inRegion}`, {
      cause: error,
      hint: 'Check the secret name or ARN, the region (AWS_REGION) and that these credentials may see it',
    });
  }
  if (BAD_REQUEST_ERRORS.has(name)) {
    return new ConfigurationError(`AWS Secrets Manager cannot give secret "${secretId}"${inRegion} (${name})`, {
      cause: error,
      hint: 'Check the secret id; a secret scheduled for deletion cannot be read',
    });
  }
  if (name === 'CredentialsProviderError') {
    return new ConfigurationError(`no AWS credentials to read secret "${secretId}"`, {
      cause: error,
      hint: 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an IAM role is available',
    });
  }
  if (/region is missing/i.test(message)) {
    return new ConfigurationError(`no AWS region to read secret "${secretId}" from`, { cause: error, hint: 'Set AWS_REGION, or use the secret ARN' });
  }
  const where = endpoint ?? (region ? `region ${region}` : 'AWS');
  if (REFUSED_ERRORS.has(name)) {
    return new ConnectionError(`AWS Secrets Manager (${where}) refused to give secret "${secretId}" (${name})`, {
      cause: error,
      hint: 'Check the AWS credentials and that they allow secretsmanager:GetSecretValue (and kms:Decrypt) on this secret',
    });
  }
  return new ConnectionError(`cannot read secret "${secretId}" from AWS Secrets Manager (${where})`, {
    cause: error,
    hint: 'Check the network and the endpoint, then try again',
  });
}

function pickKey(text: string, secretId: string, key: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: JSON.parse's message would quote the secret.
    parsed = undefined;
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigurationError(`AWS secret "${secretId}" is not a JSON object, so "#${key}" cannot pick a key from it`, {
      hint: 'Drop the #key suffix to use the whole secret',
    });
  }
  const value = Object.hasOwn(parsed, key) ? parsed[key] : undefined;
  if (value === undefined || value === null) {
    const keys = Object.keys(parsed);
    throw new ConfigurationError(`AWS secret "${secretId}" has no key "${key}"${didYouMean(key, keys)}`, {
      hint: `Its keys are: ${keys.join(', ') || '(none)'}`,
    });
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
