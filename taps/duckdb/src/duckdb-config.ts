import { DUCKDB_REQUIRED, duckdbConnectionProperties, type DuckDBConnectionConfig } from '@tapline/duckdb-client';
import { tapConfigSchema } from '@tapline/tap-base';
import { SQL_TAP_PROPERTIES, type SqlTapConfig } from '@tapline/tap-sql-base';

export interface DuckDBTapConfig extends DuckDBConnectionConfig, SqlTapConfig {}

export const duckdbTapConfigSchema = tapConfigSchema({ ...duckdbConnectionProperties, ...SQL_TAP_PROPERTIES }, DUCKDB_REQUIRED);
