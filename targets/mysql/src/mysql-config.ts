import { MYSQL_REQUIRED, mysqlConnectionProperties, type MysqlConnectionConfig } from '@tapline/mysql-client';
import { targetConfigSchema } from '@tapline/target-base';
import { sqlTargetProperties, type SqlTargetConfig } from '@tapline/target-sql-base';

export type MysqlTargetConfig = MysqlConnectionConfig &
  SqlTargetConfig & {
    /** Load with LOAD DATA LOCAL INFILE when the server allows it (default); false always uses multi-row INSERTs. */
    local_infile?: boolean;
  };

export const mysqlTargetConfigSchema = targetConfigSchema(
  {
    ...mysqlConnectionProperties,
    ...sqlTargetProperties('tapline'),
    // In MySQL a schema is a database: the tables go to `database` unless this names another one.
    default_target_schema: { type: 'string', minLength: 1, description: 'Database the tables are created in (default: `database`)' },
    local_infile: {
      type: 'boolean',
      default: true,
      description: 'Load with LOAD DATA LOCAL INFILE when the server allows it; false (or a server with local_infile=OFF) uses multi-row INSERTs',
    },
  },
  MYSQL_REQUIRED,
);
