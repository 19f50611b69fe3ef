import { ConfigurationError, ConnectionError, DataError, DiscoveryError, SyncError, type TaplineError, type TaplineErrorOptions } from '@tapline/protocol';

interface MysqlLikeError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'HANDSHAKE_NO_SSL_SUPPORT']);

/** Server error numbers whose value does not fit its column (strict mode): a DataError, never a truncation. */
export const DATA_ERRNOS = new Set([1048, 1062, 1264, 1265, 1292, 1366, 1367, 1406, 1365, 1411, 1441, 4025, 3140, 1690, 1416]);

/** The column and row a strict-mode message names: `... for column 'c' at row 3` (MySQL) or `` `db`.`t`.`c` `` (MariaDB). */
export function rejectedPosition(message: string): { column?: string; row?: number } {
  const column = /for column (?:'((?:[^']|'')*)'|`(?:[^`]|``)*`\.`(?:[^`]|``)*`\.`((?:[^`]|``)*)`|`((?:[^`]|``)*)`)/.exec(message);
  const row = / at row (\d+)/.exec(message);
  const name = column === null ? undefined : (column[1]?.replace(/''/g, "'") ?? column[2]?.replace(/``/g, '`') ?? column[3]?.replace(/``/g, '`'));
  return { ...(name === undefined ? {} : { column: name }), ...(row === null ? {} : { row: Number(row[1]) }) };
}

/**
 * Map a mysql2 or socket error to the taxonomy, so the exit code and the one-line message say what the
 * user should do. Server error numbers: https://mariadb.com/kb/en/mariadb-error-code-reference/
 */
export function classifyMysqlError(error: unknown, where: { stream?: string; column?: string; table?: string } = {}): TaplineError {
  if (error instanceof Error && 'kind' in error && 'where' in error) return error as TaplineError;
  const e = (error ?? {}) as MysqlLikeError;
  const code = e.code ?? '';
  const errno = e.errno ?? 0;
  const message = e.sqlMessage ?? e.message ?? String(error);
  const base: TaplineErrorOptions = {
    cause: error,
    ...(where.stream === undefined ? {} : { stream: where.stream }),
    ...(where.column === undefined ? {} : { column: where.column }),
  };
  if (NETWORK_CODES.has(code) || code === 'ETIMEDOUT' || /connect ETIMEDOUT|Connection lost/i.test(message)) {
    return new ConnectionError(`cannot reach the MySQL server: ${message || code}`, { ...base, hint: 'Check host, port, ssl, ssh_tunnel and firewalls' });
  }
  if (errno === 1045 || errno === 1698 || code === 'ER_ACCESS_DENIED_ERROR') {
    return new ConnectionError(`MySQL refused the login: ${message}`, { ...base, hint: 'Check user and password' });
  }
  if (errno === 1049) return new ConfigurationError(message, { ...base, hint: 'Check `database` in the config' });
  if (errno === 1130) return new ConnectionError(message, { ...base, hint: 'The server does not accept this user from this host; GRANT it or connect from an allowed host' });
  if (errno === 1146 || errno === 1054 || errno === 1109) {
    return new DiscoveryError(message, { ...base, hint: 'The catalog names something the database does not have; run --discover again' });
  }
  if (errno === 1044 || errno === 1142 || errno === 1143 || errno === 1227) {
    return new ConnectionError(`permission denied: ${message}`, { ...base, hint: 'GRANT the privileges this program needs to the configured user' });
  }
  if (DATA_ERRNOS.has(errno)) {
    const position = rejectedPosition(message);
    const column = where.column ?? position.column;
    return new DataError(message, { ...base, ...(column === undefined ? {} : { column }), hint: 'The value does not fit the column; fix the source or widen the column' });
  }
  if (errno === 1040 || errno === 1053 || errno === 2006 || errno === 2013 || e.fatal) {
    return new ConnectionError(message, { ...base, hint: 'The server closed the connection or ran out of resources; retry' });
  }
  if (errno === 1317) return new SyncError(`the query was cancelled: ${message}`, base);
  return new SyncError(message, { ...base, hint: 'MySQL rejected the statement; see the cause' });
}
