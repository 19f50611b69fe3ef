import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ConnectionError, DataError, DiscoveryError, Logger, clearSecrets, formatErrorLine, registerSecret } from '@tapline/protocol';
import { postgresPasswordRole, postgresTestUrl } from '@tapline/conformance';
import { classifyPostgresError, connectPostgres, quoteIdentifier, quoteLiteral, type PostgresConnectionConfig } from '../src/index.js';

const url = postgresTestUrl();
const logger = new Logger({ program: 'test', level: 'error', sink: { write: () => undefined } });

function configFrom(text: string): PostgresConnectionConfig {
  const parsed = new URL(text);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('quoting', () => {
  it('quotes identifiers and literals so any name or text is safe', () => {
    expect(quoteIdentifier('we"ird name')).toBe('"we""ird name"');
    expect(quoteLiteral("it's a \\ path")).toBe("E'it''s a \\\\ path'");
    expect(() => quoteIdentifier('nul\u0000')).toThrow();
  });
});

describe('classifyPostgresError', () => {
  it('maps SQLSTATE classes to the taxonomy', () => {
    expect(classifyPostgresError({ code: '42P01', message: 'relation "x" does not exist' })).toBeInstanceOf(DiscoveryError);
    expect(classifyPostgresError({ code: '22001', message: 'value too long' }, { stream: 's', column: 'c' })).toBeInstanceOf(DataError);
    expect(classifyPostgresError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toBeInstanceOf(ConnectionError);
  });
});

describe.skipIf(url === undefined)(`connectPostgres${url === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : ''}`, () => {
  it('connects with exact text values and a UTC session', async () => {
    const connection = await connectPostgres(configFrom(url!), logger);
    try {
      const { rows } = await connection.client.query(
        "SELECT 12345678901234567890.123456789::numeric AS n, 9007199254740993::int8 AS big, '2024-01-01 12:00:00+05:30'::timestamptz AS at, current_setting('TimeZone') AS zone",
      );
      expect(rows[0]).toEqual({ n: '12345678901234567890.123456789', big: '9007199254740993', at: '2024-01-01 06:30:00+00', zone: 'UTC' });
    } finally {
      await connection.close();
      await connection.close();
    }
  });

  it('an unknown database is a configuration error', async () => {
    const error = await connectPostgres({ ...configFrom(url!), database: 'no_such_database_xyz' }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(formatErrorLine(error)).toMatch(/database "no_such_database_xyz" does not exist.*Check `database`/);
  });

  it('an unreachable port is a connection error naming what to check', async () => {
    const error = await connectPostgres({ ...configFrom(url!), host: '127.0.0.1', port: await closedPort(), connect_timeout_seconds: 5 }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(formatErrorLine(error)).toMatch(/cannot reach the PostgreSQL server.*ECONNREFUSED/);
  });

  const role = postgresPasswordRole();
  it.skipIf(role === undefined)(`a wrong password is a connection error that never prints the password${role === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_PASSWORD_ROLE, see .ci/setup-postgres-auth.sh)' : ''}`, async () => {
    const wrong = 'not-the-right-password-42';
    registerSecret(wrong);
    const error = await connectPostgres({ ...configFrom(url!), user: role!.user, password: wrong }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    const line = formatErrorLine(error);
    expect(line).toMatch(/password authentication failed for user "tapline_auth".*Check user and password/);
    expect(line).not.toContain(wrong);
    const ok = await connectPostgres({ ...configFrom(url!), user: role!.user, password: role!.password }, logger);
    await ok.close();
    clearSecrets();
  });
});
