import { POSTGRES_REQUIRED, postgresConnectionProperties, type PostgresConnectionConfig } from '@tapline/postgres-client';
import { tapConfigSchema } from '@tapline/tap-base';
import { SQL_TAP_PROPERTIES, type SqlTapConfig } from '@tapline/tap-sql-base';

export interface PostgresTapConfig extends PostgresConnectionConfig, SqlTapConfig {}

export const postgresTapConfigSchema = tapConfigSchema({ ...postgresConnectionProperties, ...SQL_TAP_PROPERTIES }, POSTGRES_REQUIRED);
