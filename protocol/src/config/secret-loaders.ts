/**
 * Secret loaders: where `{{ secret('<loader>', '<id>') }}` gets its value. Each loader is one file that
 * exports a SecretLoader; adding one (GCP Secret Manager, Azure Key Vault, Vault...) is that file plus one
 * line in BUILT_IN_LOADERS below, or a `registerSecretLoader` call from the program that needs it.
 */
import { awsSecretsManagerLoader } from './aws-secrets-manager.js';
import { envSecretLoader } from './env-secret-loader.js';
import { fileSecretLoader } from './file-secret-loader.js';

export interface SecretLoaderContext {
  env: NodeJS.ProcessEnv;
  /** Base for relative ids: the directory of the config file that holds the `secret()` call. */
  cwd: string;
}

export interface SecretLoader {
  readonly name: string;
  /**
   * The secret's value. Throw ConfigurationError when the id cannot be found or is malformed, and
   * ConnectionError when the store cannot be reached; never put the value in a message.
   */
  load(id: string, context: SecretLoaderContext): Promise<string>;
}

const loaders = new Map<string, SecretLoader>();

/**
 * Make a loader available to `secret()`. A loader with the same name is replaced (a program may swap a
 * built-in for its own); the returned function puts the previous one back.
 */
export function registerSecretLoader(loader: SecretLoader): () => void {
  const previous = loaders.get(loader.name);
  loaders.set(loader.name, loader);
  return () => {
    if (loaders.get(loader.name) !== loader) return;
    if (previous) loaders.set(loader.name, previous);
    else loaders.delete(loader.name);
  };
}

export function getSecretLoader(name: string): SecretLoader | undefined {
  return loaders.get(name);
}

export function secretLoaderNames(): string[] {
  return [...loaders.keys()].sort();
}

const BUILT_IN_LOADERS: readonly SecretLoader[] = [envSecretLoader, fileSecretLoader, awsSecretsManagerLoader];
for (const loader of BUILT_IN_LOADERS) registerSecretLoader(loader);
