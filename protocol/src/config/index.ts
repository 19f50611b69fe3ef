export { loadConfig, type LoadConfigOptions } from './load-config.js';
export {
  validateConfig,
  secretPaths,
  maskSecrets,
  registerConfigSecrets,
  coerceTemplatedText,
  SECRET_MASK,
  type JsonSchemaObject,
} from './config-schema.js';
export { InvalidConfigError, type ConfigIssue, type ConfigKeyPath } from './config-issues.js';
export { readConfigFile, type ConfigFile } from './config-files.js';
export { selectProfile, applyProfile, DEFAULT_PROFILE, type ProfileSelection } from './profiles.js';
export { parseTemplate, resolveTemplates, type TemplateSegment, type ParsedTemplate } from './templating.js';
export {
  registerSecretLoader,
  getSecretLoader,
  secretLoaderNames,
  type SecretLoader,
  type SecretLoaderContext,
} from './secret-loaders.js';
export { envSecretLoader } from './env-secret-loader.js';
export { fileSecretLoader } from './file-secret-loader.js';
export {
  awsSecretsManagerLoader,
  createAwsSecretsManagerLoader,
  type AwsSecretsManagerLoaderOptions,
  type SecretsManagerSdk,
} from './aws-secrets-manager.js';
