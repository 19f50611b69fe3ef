import { POSTGRES_REQUIRED, postgresConnectionProperties, type PostgresConnectionConfig } from '@tapline/postgres-client';
import { targetConfigSchema } from '@tapline/target-base';
import { sqlTargetProperties, type SqlTargetConfig } from '@tapline/target-sql-base';

export type PostgresTargetConfig = PostgresConnectionConfig & SqlTargetConfig;

export const postgresTargetConfigSchema = targetConfigSchema(
  { ...postgresConnectionProperties, ...sqlTargetProperties('public') },
  POSTGRES_REQUIRED,
);
