import { MYSQL_REQUIRED, mysqlConnectionProperties, type MysqlConnectionConfig } from '@tapline/mysql-client';
import { tapConfigSchema } from '@tapline/tap-base';
import { SQL_TAP_PROPERTIES, type SqlTapConfig } from '@tapline/tap-sql-base';

export interface MysqlTapConfig extends MysqlConnectionConfig, SqlTapConfig {
  /** TINYINT(1) columns as booleans (default) or as integers. */
  tinyint1_as_boolean?: boolean;
}

export const mysqlTapConfigSchema = tapConfigSchema(
  {
    ...mysqlConnectionProperties,
    database: { type: 'string', minLength: 1, description: 'Database to read (default: every database, or those filter_schemas names)' },
    ...SQL_TAP_PROPERTIES,
    filter_schemas: { ...SQL_TAP_PROPERTIES.filter_schemas, description: 'Discover only databases matching one of these globs (default: `database`, or every user database)' },
    tinyint1_as_boolean: { type: 'boolean', default: true, description: 'Read TINYINT(1) columns as booleans (0 is false, anything else true); false reads them as integers' },
  },
  MYSQL_REQUIRED,
);
