import { DUCKDB_REQUIRED, duckdbConnectionProperties, type DuckDBConnectionConfig } from '@tapline/duckdb-client';
import { targetConfigSchema } from '@tapline/target-base';
import { sqlTargetProperties, type SqlTargetConfig } from '@tapline/target-sql-base';

export type DuckDBTargetConfig = DuckDBConnectionConfig & SqlTargetConfig;

export const duckdbTargetConfigSchema = targetConfigSchema({ ...duckdbConnectionProperties, ...sqlTargetProperties('main') }, DUCKDB_REQUIRED);
