import { type ProgramDefinition } from '@tapline/protocol';
import { connectPostgres } from '@tapline/postgres-client';
import { discoverTap, runTap, type TapSource } from '@tapline/tap-base';
import { SqlTap, SQL_TAP_CAPABILITIES } from '@tapline/tap-sql-base';
import { postgresTapConfigSchema, type PostgresTapConfig } from './postgres-config.js';
import { PostgresDialect } from './postgres-dialect.js';

const NAME = 'tap-postgres';
const VERSION = '0.1.0';

async function openPostgresTap(config: PostgresTapConfig, logger: import('@tapline/protocol').Logger): Promise<TapSource> {
  const connection = await connectPostgres(config, logger, { applicationName: NAME });
  return new SqlTap(new PostgresDialect(connection, config.database), config);
}

export const postgresTap: ProgramDefinition<PostgresTapConfig> = {
  name: NAME,
  version: VERSION,
  kind: 'tap',
  description: 'Singer tap for PostgreSQL: discovery, FULL_TABLE (resumable, read with COPY) and INCREMENTAL',
  configSchema: postgresTapConfigSchema,
  capabilities: SQL_TAP_CAPABILITIES,
  async run(context) {
    await runTap(context, () => openPostgresTap(context.config, context.logger));
  },
  discover(context) {
    return discoverTap(() => openPostgresTap(context.config, context.logger));
  },
};
