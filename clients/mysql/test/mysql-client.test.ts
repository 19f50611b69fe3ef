import { describe, expect, it } from 'vitest';
import { ConfigurationError, ConnectionError, DataError, DiscoveryError, Logger, formatErrorLine } from '@tapline/protocol';
import { mysqlTestUrl } from '@tapline/conformance';
import { classifyMysqlError, connectMysql, mysqlTlsOptions, quoteIdentifier, quoteLiteral, rejectedPosition, type MysqlConnectionConfig } from '../src/index.js';

const url = mysqlTestUrl();
const logger = new Logger({ program: 'test', level: 'error', sink: { write: () => undefined } });

function configFrom(text: string): MysqlConnectionConfig {
  const parsed = new URL(text);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  };
}

describe('quoting', () => {
  it('quotes identifiers and literals so any name or text is safe', () => {
    expect(quoteIdentifier('we`ird name')).toBe('`we``ird name`');
    expect(quoteLiteral("it's a \\ path")).toBe("'it''s a \\\\ path'");
    expect(() => quoteIdentifier('nul\u0000')).toThrow();
  });
});

describe('classifyMysqlError', () => {
  it('maps server error numbers to the taxonomy', () => {
    expect(classifyMysqlError({ errno: 1146, sqlMessage: "Table 'db.x' doesn't exist" })).toBeInstanceOf(DiscoveryError);
    expect(classifyMysqlError({ errno: 1045, sqlMessage: 'Access denied' })).toBeInstanceOf(ConnectionError);
    expect(classifyMysqlError({ errno: 1049, sqlMessage: "Unknown database 'x'" })).toBeInstanceOf(ConfigurationError);
    expect(classifyMysqlError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toBeInstanceOf(ConnectionError);
    const data = classifyMysqlError({ errno: 1406, sqlMessage: "Data too long for column 'name' at row 3" }, { stream: 's' });
    expect(data).toBeInstanceOf(DataError);
    expect(formatErrorLine(data)).toContain('column "name"');
  });

  it('reads the column and row of MySQL and MariaDB strict-mode messages', () => {
    expect(rejectedPosition("Data too long for column 'na''me' at row 3")).toEqual({ column: "na'me", row: 3 });
    expect(rejectedPosition("Incorrect date value: '0000-02-29' for column `db`.`t`.`da``y` at row 2")).toEqual({ column: 'da`y', row: 2 });
    expect(rejectedPosition('Duplicate entry')).toEqual({});
  });
});

describe('mysqlTlsOptions', () => {
  it('maps the shared ssl modes onto mysql2', () => {
    expect(mysqlTlsOptions({ host: 'db', port: 3306, user: 'u' })).toBeUndefined();
    expect(mysqlTlsOptions({ host: 'db', port: 3306, user: 'u', ssl: { mode: 'require' } })).toEqual({ rejectUnauthorized: false });
    expect(mysqlTlsOptions({ host: 'db', port: 3306, user: 'u', ssl: { mode: 'verify-full' } })).toEqual({ rejectUnauthorized: true, verifyIdentity: true });
  });
});

describe.skipIf(url === undefined)(`connectMysql${url === undefined ? ' (SKIPPED: set TAPLINE_TEST_MYSQL_URL)' : ''}`, () => {
  it('connects with exact text values, a UTC session and strict mode', async () => {
    const connection = await connectMysql(configFrom(url!), logger);
    try {
      const { rows } = await connection.query<Record<string, unknown>>(
        "SELECT CAST('12345678901234567890.123456789' AS DECIMAL(40,9)) AS n, 18446744073709551615 AS big, @@session.time_zone AS zone, @@session.sql_mode LIKE '%STRICT_ALL_TABLES%' AS strict",
      );
      expect(rows[0]).toEqual({ n: '12345678901234567890.123456789', big: '18446744073709551615', zone: '+00:00', strict: 1 });
    } finally {
      await connection.close();
      await connection.close();
    }
  });

  it('TLS required of a server without TLS is a connection error that names ssl', async () => {
    const plain = await connectMysql(configFrom(url!), logger);
    const { rows } = await plain.query<{ Value: string }>("SHOW VARIABLES LIKE 'have_ssl'");
    await plain.close();
    const result = await connectMysql({ ...configFrom(url!), ssl: { mode: 'require' } }, logger).catch((e: unknown) => e);
    if (rows[0]?.Value === 'YES') {
      // A server with TLS: the connection is encrypted.
      const secure = result as Awaited<ReturnType<typeof connectMysql>>;
      const { rows: cipher } = await secure.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      await secure.close();
      expect(cipher[0]?.Value).not.toBe('');
      return;
    }
    const error = result;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(formatErrorLine(error)).toMatch(/cannot reach the MySQL server: .*(secure|SSL|TLS).*Check host, port, ssl/i);
  });

  it('an unknown database is a configuration error', async () => {
    const error = await connectMysql({ ...configFrom(url!), database: 'no_such_database_xyz' }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(formatErrorLine(error)).toMatch(/Unknown database 'no_such_database_xyz'.*Check `database`/);
  });
});
