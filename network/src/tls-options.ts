/**
 * TLS settings with libpq's vocabulary (sslmode), turned into Node `tls.ConnectionOptions`, which pg and
 * mysql2 accept as their `ssl` option and an HTTP client accepts as its agent options. One vocabulary for
 * every connector means a user who knows `sslmode=verify-full` knows all of ours.
 */
import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { ConfigurationError, type JsonSchema } from '@tapline/protocol';

export type TlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface TlsConfig {
  /** Default `verify-full` when the `ssl` section is present. */
  mode?: TlsMode;
  /** PEM text of the CA certificate(s) that signed the server's certificate; default: the system CAs. */
  ca?: string;
  /** Client certificate (PEM), for servers that authenticate clients by certificate. */
  cert?: string;
  /** Client private key (PEM). */
  key?: string;
  key_passphrase?: string;
  /** The name the server certificate must carry (verify-full), when it differs from the host connected to. */
  server_name?: string;
}

export const TLS_MODES: readonly TlsMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
const DEFAULT_TLS_MODE: TlsMode = 'verify-full';

export const tlsSchema: JsonSchema = {
  type: 'object',
  description: 'TLS: mode, CA, client certificate',
  properties: {
    mode: {
      type: 'string',
      enum: [...TLS_MODES],
      default: DEFAULT_TLS_MODE,
      description: 'disable; prefer or require (encrypt, no verification); verify-ca (check the chain); verify-full (chain and host name)',
    },
    ca: { type: 'string', description: "CA certificate(s) as PEM text: use {{ file('ca.pem') }} to load a file" },
    cert: { type: 'string', description: 'Client certificate as PEM text' },
    key: { type: 'string', secret: true, writeOnly: true, description: 'Client private key as PEM text' },
    key_passphrase: { type: 'string', secret: true, writeOnly: true, description: 'Passphrase of an encrypted client key' },
    server_name: { type: 'string', minLength: 1, description: 'Name to expect in the server certificate (verify-full) and to send as SNI' },
  },
  additionalProperties: false,
};

/** The effective mode: `disable` when there is no `ssl` section, the default when it names no mode. */
export function tlsMode(config: TlsConfig | undefined): TlsMode {
  if (config === undefined) return 'disable';
  return config.mode ?? DEFAULT_TLS_MODE;
}

/**
 * Node tls.ConnectionOptions for a driver, or undefined when TLS is off (mode disable or config undefined).
 * require = encrypt without verifying; verify-ca = verify chain but not host name; verify-full = chain +
 * host name (server_name overrides the name checked). `host` is the database's own host name, not a
 * tunnel's 127.0.0.1: it is the name the certificate was issued for.
 *
 * `prefer` gives the same options as `require`: falling back to plain text when the server refuses TLS is
 * the driver's business, and pg and mysql2 cannot do it, so a connector that wants libpq's exact `prefer`
 * retries without `ssl` when the server says it has no TLS.
 */
export function tlsConnectionOptions(config: TlsConfig | undefined, host: string): ConnectionOptions | undefined {
  const mode = tlsMode(config);
  if (config === undefined || mode === 'disable') return undefined;

  const expectedName = config.server_name ?? host;
  const options: ConnectionOptions = {};
  // SNI: cloud proxies route by it even when nothing is verified; RFC 6066 forbids an IP address there.
  if (isIP(expectedName) === 0) options.servername = expectedName;
  if (config.ca !== undefined) options.ca = pemSetting(config.ca, 'ssl.ca', 'CERTIFICATE');
  if (config.cert !== undefined) options.cert = pemSetting(config.cert, 'ssl.cert', 'CERTIFICATE');
  if (config.key !== undefined) {
    options.key = clientKey(config.key, config.key_passphrase);
    if (config.key_passphrase !== undefined) options.passphrase = config.key_passphrase;
  }
  if ((config.cert === undefined) !== (config.key === undefined)) {
    throw new ConfigurationError('ssl.cert and ssl.key go together: set both or neither', {
      path: config.cert === undefined ? 'ssl.cert' : 'ssl.key',
    });
  }

  switch (mode) {
    case 'prefer':
    case 'require':
      options.rejectUnauthorized = false;
      options.checkServerIdentity = () => undefined;
      break;
    case 'verify-ca':
      options.rejectUnauthorized = true;
      // The chain is still checked (rejectUnauthorized); only the name check is skipped.
      options.checkServerIdentity = () => undefined;
      break;
    case 'verify-full':
      options.rejectUnauthorized = true;
      // Check against the configured name, not the address the driver dialled: behind a tunnel that is
      // 127.0.0.1, which no server certificate names.
      options.checkServerIdentity = (_dialled: string, cert: PeerCertificate) => checkServerIdentity(expectedName, cert);
      break;
  }
  return options;
}

/** PEM text, or a configuration error that says the setting wants the contents, not a path. */
function pemSetting(value: string, path: string, label: string): string {
  if (!value.includes('-----BEGIN')) {
    throw new ConfigurationError(`${path} is not PEM text (expected -----BEGIN ${label}-----)`, {
      path,
      hint: `the setting holds the PEM text itself, not a path: load a file with "{{ file('${label === 'CERTIFICATE' ? 'ca.pem' : 'client-key.pem'}') }}"`,
    });
  }
  return value;
}

/**
 * The client key is checked here, so that a wrong passphrase is reported as the setting it is rather
 * than as an opaque "bad decrypt" from the middle of a TLS handshake.
 */
function clientKey(key: string, passphrase: string | undefined): string {
  pemSetting(key, 'ssl.key', 'PRIVATE KEY');
  try {
    createPrivateKey(passphrase === undefined ? { key } : { key, passphrase });
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(key);
    if (encrypted && passphrase === undefined) {
      throw new ConfigurationError('ssl.key is encrypted but ssl.key_passphrase is not set', { path: 'ssl.key_passphrase', cause: error });
    }
    if (encrypted) {
      throw new ConfigurationError('ssl.key_passphrase does not decrypt ssl.key', { path: 'ssl.key_passphrase', cause: error });
    }
    throw new ConfigurationError('ssl.key is not a private key Node can read', {
      path: 'ssl.key',
      hint: 'use a PEM private key (PKCS#1, PKCS#8 or SEC1)',
      cause: error,
    });
  }
  return key;
}
