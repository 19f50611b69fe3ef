import type { JsonSchema } from '@tapline/protocol';
import { sshTunnelSchema, tlsSchema, type SshTunnelConfig, type TlsConfig } from '@tapline/network';

/** How tap-mysql and target-mysql reach a server; both spread these into their config schema. */
export interface MysqlConnectionConfig {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** The database to connect to (the tap reads it unless `filter_schemas` says otherwise). */
  database?: string;
  ssl?: TlsConfig;
  ssh_tunnel?: SshTunnelConfig;
  connect_timeout_seconds?: number;
}

export const mysqlConnectionProperties: Record<string, JsonSchema> = {
  host: { type: 'string', minLength: 1, description: 'Server host name or address' },
  port: { type: 'integer', minimum: 1, maximum: 65535, default: 3306, description: 'Server port' },
  user: { type: 'string', minLength: 1, description: 'User to connect as' },
  password: { type: 'string', secret: true, writeOnly: true, description: 'Password (use {{ env_var() }} or {{ secret() }})' },
  database: { type: 'string', minLength: 1, description: 'Database to connect to' },
  ssl: { ...tlsSchema, description: 'TLS: mode (disable, prefer, require, verify-ca, verify-full), ca, cert, key' },
  ssh_tunnel: { ...sshTunnelSchema, description: 'Reach the server through an SSH bastion' },
  connect_timeout_seconds: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Give up connecting after this long' },
};

export const MYSQL_REQUIRED = ['host', 'user'];
