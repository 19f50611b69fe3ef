import { ConfigurationError, ConnectionError, DataError, DiscoveryError, SyncError, type TaplineError, type TaplineErrorOptions } from '@tapline/protocol';

interface PgLikeError {
  code?: string;
  message?: string;
  column?: string;
  table?: string;
  detail?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);

/**
 * Map a pg or socket error to the taxonomy, so the exit code and the one-line message say what the user
 * should do. SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function classifyPostgresError(error: unknown, where: { stream?: string; column?: string; table?: string } = {}): TaplineError {
  if (error instanceof Error && 'kind' in error && 'where' in error) return error as TaplineError;
  const pgError = (error ?? {}) as PgLikeError;
  const code = pgError.code ?? '';
  const message = pgError.message ?? String(error);
  const column = where.column ?? pgError.column;
  const base: TaplineErrorOptions = {
    cause: error,
    ...(where.stream === undefined ? {} : { stream: where.stream }),
    ...(column === undefined ? {} : { column }),
  };
  const detail = pgError.detail ? ` (${pgError.detail})` : '';
  if (NETWORK_CODES.has(code) || /timeout|terminated unexpectedly|Connection terminated/i.test(message) && code === '') {
    return new ConnectionError(`cannot reach the PostgreSQL server: ${message}`, { ...base, hint: 'Check host, port, ssh_tunnel and firewalls' });
  }
  if (code === '28P01' || code === '28000') {
    return new ConnectionError(`PostgreSQL refused the login: ${message}`, { ...base, hint: 'Check user and password' });
  }
  if (code === '3D000') {
    return new ConfigurationError(`${message}`, { ...base, hint: 'Check `database` in the config' });
  }
  if (code === '42P01' || code === '42703' || code === '3F000') {
    return new DiscoveryError(message, { ...base, hint: 'The catalog names something the database does not have; run --discover again' });
  }
  if (code === '42501') {
    // PostgreSQL's own text already says "permission denied for table x"; do not repeat it.
    return new ConnectionError(/^permission denied/i.test(message) ? message : `permission denied: ${message}`, { ...base, hint: 'GRANT the privileges this program needs to the configured user' });
  }
  if (code.startsWith('22') || code.startsWith('23')) {
    return new DataError(`${message}${detail}`, { ...base, hint: 'The value does not fit the column; fix the source or widen the column' });
  }
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) {
    return new ConnectionError(`${message}`, { ...base, hint: 'The server closed the connection or ran out of resources; retry' });
  }
  if (code === '57014') {
    return new SyncError(`the query was cancelled: ${message}`, base);
  }
  return new SyncError(`${message}${detail}`, { ...base, hint: 'PostgreSQL rejected the statement; see the cause' });
}
