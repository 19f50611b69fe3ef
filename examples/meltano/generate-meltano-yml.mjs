#!/usr/bin/env node
// Writes meltano.yml next to this file: every Tapline tap, target and transform of the workspace as a
// Meltano custom plugin, with the capabilities and settings its own `--about` reports, plus the example
// project below (config, selection, mappings, a job and a schedule). Run it again after a program gains a
// setting or a capability: `node examples/meltano/generate-meltano-yml.mjs` (build first). The test in
// runner/test/orchestrators.test.ts fails when meltano.yml and `--about` disagree.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** The example project's own settings per plugin: everything that is not taken from `--about`. */
const EXAMPLE = {
  'tap-postgres': {
    config: { host: 'localhost', port: 5432, user: 'reader', database: 'shop', filter_schemas: ['public'] },
    select: ['public-orders.*', 'public-customers.*'],
    metadata: { 'public-orders': { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' } },
  },
  'target-postgres': { config: { host: 'localhost', port: 5432, user: 'loader', database: 'warehouse', default_target_schema: 'shop' } },
  'target-jsonl': { config: { destination_path: 'output' } },
  'transform-clean-names': { mappings: [{ name: 'clean-names', config: {} }] },
  'transform-impute': { mappings: [{ name: 'impute-missing', config: { params_file: 'impute-params.json' } }] },
  'transform-normalize': { mappings: [{ name: 'normalize', config: { params_file: 'normalize-params.json' } }] },
  'transform-standardize': { mappings: [{ name: 'standardize', config: { params_file: 'standardize-params.json' } }] },
  'transform-outliers': { mappings: [{ name: 'flag-outliers', config: { params_file: 'outliers-params.json' } }] },
  'transform-profile': { mappings: [{ name: 'profile', config: { output_dir: '.tapline/profile' } }] },
};

/** The Meltano setting kind for a JSON Schema property. */
function kindOf(schema) {
  if (Array.isArray(schema.enum)) return 'options';
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((type) => type !== 'null' && type !== undefined);
  if (types.length !== 1) return 'object';
  return { string: 'string', integer: 'integer', number: 'decimal', boolean: 'boolean', array: 'array', object: 'object' }[types[0]] ?? 'string';
}

/** Meltano settings from a program's `--about`: one per top-level property, secrets (or objects holding one) sensitive. */
export function settingsOf(about) {
  const secrets = about.secret_settings ?? [];
  return Object.entries(about.settings?.properties ?? {}).map(([name, schema]) => {
    const setting = { name, kind: kindOf(schema) };
    if (schema.description) setting.description = schema.description;
    if (schema.default !== undefined) setting.value = schema.default;
    if (Array.isArray(schema.enum)) setting.options = schema.enum.map((value) => ({ label: String(value), value }));
    if (secrets.some((secret) => secret === name || secret.startsWith(`${name}.`))) setting.sensitive = true;
    return setting;
  });
}

/** Every program package of the workspace: [plugin type, binary name, absolute bin path]. */
export function workspacePrograms() {
  const found = [];
  for (const [folder, type] of [['taps', 'extractors'], ['targets', 'loaders'], ['transforms', 'mappers']]) {
    for (const dir of readdirSync(join(root, folder)).sort()) {
      const pkgPath = join(root, folder, dir, 'package.json');
      if (!existsSync(pkgPath)) continue;
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
      for (const [bin, path] of Object.entries(pkg.bin ?? {})) found.push([type, bin, join(root, folder, dir, path)]);
    }
  }
  return found;
}

function plugin(bin, path) {
  const about = JSON.parse(execFileSync(process.execPath, [path, '--about'], { encoding: 'utf8' }));
  const required = about.settings?.required ?? [];
  return {
    name: bin,
    namespace: bin.replace(/-/g, '_'),
    executable: bin,
    description: about.description,
    capabilities: about.capabilities,
    settings: settingsOf(about),
    ...(required.length > 0 ? { settings_group_validation: [required] } : {}),
    ...EXAMPLE[bin],
  };
}

function project() {
  const plugins = { extractors: [], loaders: [], mappers: [] };
  for (const [type, bin, path] of workspacePrograms()) plugins[type].push(plugin(bin, path));
  return {
    version: 1,
    default_environment: 'dev',
    project_id: 'tapline-example',
    environments: [{ name: 'dev' }, { name: 'prod' }],
    plugins,
    jobs: [
      { name: 'shop-to-warehouse', tasks: ['tap-postgres clean-names target-postgres'] },
      { name: 'shop-profile', tasks: ['tap-postgres profile target-jsonl'] },
    ],
    schedules: [{ name: 'shop-hourly', interval: '@hourly', job: 'shop-to-warehouse' }],
  };
}

const HEADER = `# A Meltano project with Tapline's taps (extractors), targets (loaders) and transforms (mappers) as custom
# plugins. Generated by generate-meltano-yml.mjs from each program's \`--about\`: edit the EXAMPLE block there,
# not this file.
#
# The plugins have no pip_url: Meltano does not install them. Install the npm packages so the executables are
# on PATH (\`npm install -g @tapline/tap-postgres @tapline/target-postgres @tapline/transform-clean-names\`),
# then \`meltano run shop-to-warehouse\` (or \`meltano run tap-postgres clean-names target-postgres\`).
# Meltano keeps the state itself (systemdb or its state backend) and passes it with --state.
#
# Secrets are sensitive settings: keep them out of this file, in the environment or .env, e.g.
#   TAP_POSTGRES_PASSWORD=...  TARGET_POSTGRES_PASSWORD=...
# or as Tapline templates in the config: password: "{{ env_var('SHOP_PASSWORD') }}".
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(here, 'meltano.yml'), HEADER + stringify(project(), { lineWidth: 0 }));
  process.stderr.write(`wrote ${join(here, 'meltano.yml')}\n`);
}
