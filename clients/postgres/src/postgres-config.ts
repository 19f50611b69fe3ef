import type { JsonSchema } from '@tapline/protocol';
import { sshTunnelSchema, tlsSchema, type SshTunnelConfig, type TlsConfig } from '@tapline/network';

/** How tap-postgres and target-postgres reach a server; both spread these into their config schema. */
export interface PostgresConnectionConfig {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  ssl?: TlsConfig;
  ssh_tunnel?: SshTunnelConfig;
  connect_timeout_seconds?: number;
  application_name?: string;
}

export const postgresConnectionProperties: Record<string, JsonSchema> = {
  host: { type: 'string', minLength: 1, description: 'Server host name or address' },
  port: { type: 'integer', minimum: 1, maximum: 65535, default: 5432, description: 'Server port' },
  user: { type: 'string', minLength: 1, description: 'Role to connect as' },
  password: { type: 'string', secret: true, writeOnly: true, description: 'Password (use {{ env_var() }} or {{ secret() }})' },
  database: { type: 'string', minLength: 1, description: 'Database name' },
  ssl: { ...tlsSchema, description: 'TLS: mode (disable, prefer, require, verify-ca, verify-full), ca, cert, key' },
  ssh_tunnel: { ...sshTunnelSchema, description: 'Reach the server through an SSH bastion' },
  connect_timeout_seconds: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Give up connecting after this long' },
  application_name: { type: 'string', description: 'Shown in pg_stat_activity (default: the program name)' },
};

export const POSTGRES_REQUIRED = ['host', 'user', 'database'];
