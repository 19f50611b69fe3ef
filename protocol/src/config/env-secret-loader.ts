/** `secret('env', 'NAME')`: an environment variable, for when it should be masked like any secret. */
import { ConfigurationError } from '../errors.js';
import type { SecretLoader } from './secret-loaders.js';

export const envSecretLoader: SecretLoader = {
  name: 'env',
  async load(id, { env }) {
    const value = env[id];
    if (value === undefined) {
      throw new ConfigurationError(`environment variable "${id}" is not set`, { hint: `Set ${id} in the environment` });
    }
    return value;
  },
};
