/** The state backend a pipeline names, bound to the pipeline. */
import { resolve } from 'node:path';
import { FileStateBackend } from './file-state-backend.js';
import type { Pipeline } from './pipeline-config.js';
import { PostgresStateBackend } from './postgres-state-backend.js';
import type { StateBackend } from './state-backend.js';

/** Where the file backend keeps a pipeline's state unless `state.path` says otherwise. */
export function defaultStatePath(pipeline: Pick<Pipeline, 'name' | 'dir'>): string {
  return resolve(pipeline.dir, '.tapline', 'state', `${pipeline.name}.json`);
}

export function createStateBackend(pipeline: Pipeline): StateBackend {
  const config = pipeline.state;
  if (config.backend === 'postgres') return new PostgresStateBackend(pipeline.name, config);
  return new FileStateBackend(config.path === undefined ? defaultStatePath(pipeline) : resolve(pipeline.dir, config.path));
}
