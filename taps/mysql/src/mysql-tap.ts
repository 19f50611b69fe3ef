import { type Logger, type ProgramDefinition } from '@tapline/protocol';
import { connectMysql } from '@tapline/mysql-client';
import { discoverTap, runTap, type TapSource } from '@tapline/tap-base';
import { SqlTap, SQL_TAP_CAPABILITIES } from '@tapline/tap-sql-base';
import { mysqlTapConfigSchema, type MysqlTapConfig } from './mysql-config.js';
import { MysqlDialect } from './mysql-dialect.js';

const NAME = 'tap-mysql';
const VERSION = '0.1.0';

async function openMysqlTap(config: MysqlTapConfig, logger: Logger): Promise<TapSource> {
  const connection = await connectMysql(config, logger);
  const dialect = new MysqlDialect(connection, {
    ...(config.database === undefined ? {} : { database: config.database }),
    ...(config.filter_schemas === undefined ? {} : { filterSchemas: config.filter_schemas }),
    tinyint1AsBoolean: config.tinyint1_as_boolean ?? true,
  });
  return new SqlTap(dialect, config);
}

export const mysqlTap: ProgramDefinition<MysqlTapConfig> = {
  name: NAME,
  version: VERSION,
  kind: 'tap',
  description: 'Singer tap for MySQL and MariaDB: discovery, FULL_TABLE (resumable, streamed) and INCREMENTAL',
  configSchema: mysqlTapConfigSchema,
  capabilities: SQL_TAP_CAPABILITIES,
  async run(context) {
    await runTap(context, () => openMysqlTap(context.config, context.logger));
  },
  discover(context) {
    return discoverTap(() => openMysqlTap(context.config, context.logger));
  },
};
