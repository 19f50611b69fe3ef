/**
 * Profiles. A config file may hold a top-level `profiles` object; the rest of the file is the base that
 * every profile shares. For each file the effective settings are
 *
 *   base  <-  profiles.default  <-  profiles[selected]
 *
 * and then files merge in the order given, so a later file (say, a local override without profiles)
 * beats an earlier file's profile values. `default` always exists implicitly: a plain file is the
 * default profile, and selecting `default` explicitly is never an error.
 */
import { ConfigurationError } from '../errors.js';
import type { ConfigFile } from './config-files.js';
import { deepMerge, isPlainObject } from './merge.js';

export const DEFAULT_PROFILE = 'default';

export interface ProfileSelection {
  name: string;
  /** Where the name came from; an explicitly selected profile must exist. */
  source: 'option' | 'env' | 'implicit';
}

/** `--profile` beats TAPLINE_PROFILE beats `default`. An empty value counts as not given. */
export function selectProfile(profile: string | undefined, env: NodeJS.ProcessEnv): ProfileSelection {
  if (profile !== undefined && profile !== '') return { name: profile, source: 'option' };
  const fromEnv = env.TAPLINE_PROFILE;
  if (fromEnv !== undefined && fromEnv !== '') return { name: fromEnv, source: 'env' };
  return { name: DEFAULT_PROFILE, source: 'implicit' };
}

function profilesOf(file: ConfigFile): Record<string, Record<string, unknown>> | undefined {
  if (!Object.hasOwn(file.data, 'profiles')) return undefined;
  const profiles = file.data.profiles;
  if (!isPlainObject(profiles)) {
    throw new ConfigurationError('`profiles` must be an object that maps profile names to settings', { file: file.file, path: 'profiles' });
  }
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, settings] of Object.entries(profiles)) {
    // `production:` with nothing under it is YAML null: an empty profile, not a mistake worth failing on.
    if (settings === null) result[name] = {};
    else if (isPlainObject(settings)) result[name] = settings;
    else throw new ConfigurationError('a profile must be an object of settings', { file: file.file, path: `profiles.${name}` });
  }
  return result;
}

/** Each file's settings with the selected profile applied, in file order. */
export function applyProfile(files: readonly ConfigFile[], selection: ProfileSelection): Record<string, unknown>[] {
  const defined = new Set<string>();
  const layers = files.map((file) => {
    const profiles = profilesOf(file);
    const { profiles: _profiles, ...base } = file.data;
    if (profiles === undefined) return file.data;
    for (const name of Object.keys(profiles)) defined.add(name);
    let settings = deepMerge({}, base);
    if (profiles[DEFAULT_PROFILE]) settings = deepMerge(settings, profiles[DEFAULT_PROFILE]);
    const selected = selection.name === DEFAULT_PROFILE ? undefined : profiles[selection.name];
    if (selected) settings = deepMerge(settings, selected);
    return settings;
  });
  if (selection.source !== 'implicit' && selection.name !== DEFAULT_PROFILE && !defined.has(selection.name)) {
    const available = [DEFAULT_PROFILE, ...[...defined].filter((name) => name !== DEFAULT_PROFILE).sort()];
    const from = selection.source === 'env' ? ' (from TAPLINE_PROFILE)' : '';
    throw new ConfigurationError(
      `profile "${selection.name}"${from} is not defined in any config file; available profiles: ${available.join(', ')}`,
      {
        ...(files.length === 1 && files[0] ? { file: files[0].file } : {}),
        hint: `Choose one of those, or add a profiles.${selection.name} section to a config file`,
      },
    );
  }
  return layers;
}
