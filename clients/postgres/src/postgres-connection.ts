import type pg from 'pg';
import type { Logger } from '@tapline/protocol';
import { openTunnel, tlsConnectionOptions, type Tunnel } from '@tapline/network';
import type { PostgresConnectionConfig } from './postgres-config.js';
import { classifyPostgresError } from './postgres-errors.js';

export interface PostgresConnection {
  client: pg.Client;
  /** `user@host:port/database`, for log lines; never the password. */
  describe: string;
  /** Ends the client and the tunnel; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Every value arrives as PostgreSQL's own text output: exact numerics, int8 beyond 2^53, timestamps with
 * their microseconds. Each connector turns text into JSON values itself, where it knows the column type.
 */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as typeof pg.types;

/** Session settings that make text output stable whatever the server's defaults are. */
const SESSION_SETUP = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, MDY'",
  "SET IntervalStyle = 'iso_8601'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
].join('; ');

export async function connectPostgres(
  config: PostgresConnectionConfig,
  logger: Logger,
  options: { applicationName?: string } = {},
): Promise<PostgresConnection> {
  const port = config.port ?? 5432;
  const describe = `${config.user}@${config.host}:${port}/${config.database}`;
  let tunnel: Tunnel | undefined;
  let client: pg.Client | undefined;
  try {
    tunnel = await openTunnel(config.ssh_tunnel, { host: config.host, port }, logger);
    // Loaded when a connection is made: --about and config errors never pay for the driver.
    const { default: driver } = await import('pg');
    const ssl = tlsConnectionOptions(config.ssl, config.host);
    client = new driver.Client({
      host: tunnel.host,
      port: tunnel.port,
      user: config.user,
      ...(config.password === undefined ? {} : { password: config.password }),
      database: config.database,
      ...(ssl === undefined ? {} : { ssl }),
      connectionTimeoutMillis: Math.round((config.connect_timeout_seconds ?? 30) * 1000),
      application_name: config.application_name ?? options.applicationName ?? 'tapline',
      types: TEXT_TYPES,
    });
    // An idle connection that the server drops emits 'error'; without a listener that would crash us.
    client.on('error', (error) => logger.debug(`connection error: ${error.message}`));
    await client.connect();
    await client.query(SESSION_SETUP);
  } catch (error) {
    await client?.end().catch(() => undefined);
    await tunnel?.close().catch(() => undefined);
    throw classifyPostgresError(error);
  }
  logger.debug(`connected to ${describe}`);
  const connected = client;
  const opened = tunnel;
  let closed = false;
  return {
    client: connected,
    describe,
    async close() {
      if (closed) return;
      closed = true;
      await connected.end().catch(() => undefined);
      await opened.close().catch(() => undefined);
    },
  };
}
