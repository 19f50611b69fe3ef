import type { Logger, ProgramDefinition } from '@tapline/protocol';
import { openDuckDB } from '@tapline/duckdb-client';
import { discoverTap, runTap, type TapSource } from '@tapline/tap-base';
import { SqlTap, SQL_TAP_CAPABILITIES } from '@tapline/tap-sql-base';
import { duckdbTapConfigSchema, type DuckDBTapConfig } from './duckdb-config.js';
import { DuckDBDialect } from './duckdb-dialect.js';

const NAME = 'tap-duckdb';
const VERSION = '0.1.0';

async function openDuckDBTap(config: DuckDBTapConfig, logger: Logger): Promise<TapSource> {
  // Read only: the tap never writes, and read-only processes may share a file (while none writes to it).
  const db = await openDuckDB(config, logger, { readOnly: true });
  try {
    const [row] = await db.query<{ name: string }>('SELECT current_database() AS name');
    return new SqlTap(new DuckDBDialect(db, row?.name ?? 'memory'), config);
  } catch (error) {
    await db.close();
    throw error;
  }
}

export const duckdbTap: ProgramDefinition<DuckDBTapConfig> = {
  name: NAME,
  version: VERSION,
  kind: 'tap',
  description: 'Singer tap for DuckDB files: discovery, FULL_TABLE (resumable) and INCREMENTAL, rows rendered to JSON by DuckDB and streamed',
  configSchema: duckdbTapConfigSchema,
  capabilities: SQL_TAP_CAPABILITIES,
  async run(context) {
    await runTap(context, () => openDuckDBTap(context.config, context.logger));
  },
  discover(context) {
    return discoverTap(() => openDuckDBTap(context.config, context.logger));
  },
};
