/**
 * Which real servers the tests may use. A suite that needs a server runs when its connection variable is
 * set and otherwise skips with a message saying which variable to set. In CI (`TAPLINE_CI` set) every
 * variable is set by .ci/run, and a server that does not answer fails the suite: CI never skips silently.
 */

export interface ServerGate {
  /** The connection URL, or undefined when the suite must skip. */
  url: string | undefined;
  /** Why the suite skips, for its title. */
  skipReason: string | undefined;
}

function gate(variable: string, what: string): ServerGate {
  const url = process.env[variable];
  if (url !== undefined && url !== '') return { url, skipReason: undefined };
  if (process.env.TAPLINE_CI) {
    throw new Error(`${variable} is not set, but TAPLINE_CI is: CI must run the ${what} suites`);
  }
  return { url: undefined, skipReason: `set ${variable} to run against ${what}` };
}

export function postgresGate(): ServerGate {
  return gate('TAPLINE_TEST_POSTGRES_URL', 'PostgreSQL');
}

export function mysqlGate(): ServerGate {
  return gate('TAPLINE_TEST_MYSQL_URL', 'MySQL/MariaDB');
}

/** The PostgreSQL test URL, or undefined (then `describe.skip` with "SKIPPED: set TAPLINE_TEST_POSTGRES_URL"). */
export function postgresTestUrl(): string | undefined {
  return postgresGate().url;
}

export function mysqlTestUrl(): string | undefined {
  return mysqlGate().url;
}

/**
 * A PostgreSQL role that must authenticate with a password (the local server trusts every other login),
 * as `{ user, password }`, from TAPLINE_TEST_POSTGRES_PASSWORD_ROLE=`user:password`. Set up by
 * .ci/setup-postgres-auth.sh.
 */
export function postgresPasswordRole(): { user: string; password: string } | undefined {
  const value = process.env.TAPLINE_TEST_POSTGRES_PASSWORD_ROLE;
  if (!value) {
    if (process.env.TAPLINE_CI) throw new Error('TAPLINE_TEST_POSTGRES_PASSWORD_ROLE is not set, but TAPLINE_CI is');
    return undefined;
  }
  const colon = value.indexOf(':');
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** The connection settings our PostgreSQL programs take (host, port, user, password, database), from a URL. */
export function postgresConnectionConfig(text: string): Record<string, unknown> {
  const parsed = new URL(text);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  };
}
