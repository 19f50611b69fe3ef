import type mysql from 'mysql2';
import type { Logger } from '@tapline/protocol';
import { openTunnel, tlsConnectionOptions, tlsMode, type Tunnel } from '@tapline/network';
import type { MysqlConnectionConfig } from './mysql-config.js';
import { classifyMysqlError } from './mysql-errors.js';

export interface QueryResult<Row> {
  rows: Row[];
  /** For statements that change data: rows affected and warnings, from the server's OK packet. */
  affectedRows: number;
  warningStatus: number;
}

export interface MysqlConnection {
  /** The driver connection (callback API: `query(...).stream()` reads rows with backpressure). */
  connection: mysql.Connection;
  /** `user@host:port/database`, for log lines; never the password. */
  describe: string;
  query<Row = Record<string, unknown>>(sql: string | mysql.QueryOptions, values?: unknown[]): Promise<QueryResult<Row>>;
  /**
   * Ends the connection and the tunnel; safe to call twice. `force` drops the socket without the polite
   * QUIT, for a connection with a result still streaming in (QUIT would queue behind it).
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Session settings that make every value exact and every rejection loud whatever the server's defaults
 * are: UTC for TIMESTAMP columns (the time-zone rule in the READMEs), strict mode so that a value too long
 * or a date that does not exist is an error and never a silent truncation, and no zero dates.
 */
export const SESSION_SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';
const SESSION_SETUP = [`SET time_zone = '+00:00'`, `SET SESSION sql_mode = '${SESSION_SQL_MODE}'`, 'SET NAMES utf8mb4'];

/** mysql2's TLS settings from the shared `ssl` config (mysql2 takes the CA, cert and verify flags itself). */
export function mysqlTlsOptions(config: MysqlConnectionConfig): mysql.SslOptions | undefined {
  const options = tlsConnectionOptions(config.ssl, config.host);
  if (options === undefined) return undefined;
  const mode = tlsMode(config.ssl);
  return {
    ...(options.ca === undefined ? {} : { ca: options.ca as string }),
    ...(options.cert === undefined ? {} : { cert: options.cert as string }),
    ...(options.key === undefined ? {} : { key: options.key as string }),
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full',
    ...(mode === 'verify-full' ? { verifyIdentity: true } : {}),
  } as mysql.SslOptions;
}

export async function connectMysql(config: MysqlConnectionConfig, logger: Logger, options: { local_infile?: boolean } = {}): Promise<MysqlConnection> {
  const port = config.port ?? 3306;
  const describe = `${config.user}@${config.host}:${port}${config.database === undefined ? '' : `/${config.database}`}`;
  let tunnel: Tunnel | undefined;
  let connection: mysql.Connection | undefined;
  try {
    tunnel = await openTunnel(config.ssh_tunnel, { host: config.host, port }, logger);
    const ssl = mysqlTlsOptions(config);
    // Loaded when a connection is made: --about and config errors never pay for the driver.
    const { default: driver } = await import('mysql2');
    connection = driver.createConnection({
      host: tunnel.host,
      port: tunnel.port,
      user: config.user,
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(config.database === undefined ? {} : { database: config.database }),
      ...(ssl === undefined ? {} : { ssl }),
      connectTimeout: Math.round((config.connect_timeout_seconds ?? 30) * 1000),
      charset: 'UTF8MB4_GENERAL_CI',
      // Every value the connectors turn into JSON themselves comes as the server's text: exact decimals,
      // BIGINT beyond 2^53, dates and times with their microseconds, JSON as the document's text.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      jsonStrings: true,
      timezone: 'Z',
      flags: options.local_infile ? ['+LOCAL_FILES'] : ['-LOCAL_FILES'],
    } as mysql.ConnectionOptions);
    // A connection the server drops emits 'error'; without a listener that would crash the process.
    connection.on('error', (error: Error) => logger.debug(`connection error: ${error.message}`));
    const opened = connection;
    await new Promise<void>((resolve, reject) => opened.connect((error) => (error ? reject(error) : resolve())));
    for (const statement of SESSION_SETUP) await runQuery(opened, statement);
  } catch (error) {
    connection?.destroy();
    await tunnel?.close().catch(() => undefined);
    throw classifyMysqlError(error);
  }
  logger.debug(`connected to ${describe}`);
  const connected = connection;
  const opened = tunnel;
  let closed = false;
  return {
    connection: connected,
    describe,
    query: (sql, values) => runQuery(connected, sql, values),
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      if (!closeOptions.force) await new Promise<void>((resolve) => connected.end(() => resolve()));
      connected.destroy();
      await opened.close().catch(() => undefined);
    },
  };
}

function runQuery<Row>(connection: mysql.Connection, sql: string | mysql.QueryOptions, values?: unknown[]): Promise<QueryResult<Row>> {
  return new Promise((resolve, reject) => {
    connection.query(sql as mysql.QueryOptions, values ?? [], (error, result) => {
      if (error) {
        reject(error);
        return;
      }
      if (Array.isArray(result)) resolve({ rows: result as Row[], affectedRows: 0, warningStatus: 0 });
      else {
        const ok = result as mysql.ResultSetHeader;
        resolve({ rows: [], affectedRows: ok.affectedRows, warningStatus: ok.warningStatus });
      }
    });
  });
}
