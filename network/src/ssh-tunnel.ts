/**
 * SSH tunnels: how a connector reaches a database that only a bastion host can see. The tunnel is a local
 * TCP listener on 127.0.0.1 that forwards every accepted socket through one SSH connection, so any driver
 * (pg, mysql2, ClickHouse over HTTP...) can use it unchanged: it just connects to `tunnel.host:tunnel.port`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type ssh2Module from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { ConfigurationError, ConnectionError, type JsonSchema, type Logger } from '@tapline/protocol';

export interface SshTunnelConfig {
  /** `false` turns the tunnel off without deleting its settings. Default: on when the section is present. */
  enabled?: boolean;
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  password?: string;
  /** PEM text; users load files with {{ file('...') }}. */
  private_key?: string;
  private_key_passphrase?: string;
  /**
   * The bastion's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:<base64>`). When set, any
   * other host key is refused; when not set, any host key is accepted.
   */
  host_key_fingerprint?: string;
}

export const sshTunnelSchema: JsonSchema = {
  type: 'object',
  description: 'Reach the server through an SSH bastion host',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Set false to connect directly while keeping the settings' },
    host: { type: 'string', minLength: 1, description: 'SSH bastion host name or address' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 22, description: 'SSH port' },
    username: { type: 'string', minLength: 1, description: 'SSH user' },
    password: { type: 'string', secret: true, writeOnly: true, description: 'SSH password (when not using a key)' },
    private_key: {
      type: 'string',
      secret: true,
      writeOnly: true,
      description: "Private key as PEM text: use {{ file('~/.ssh/id_ed25519') }} to load a file",
    },
    private_key_passphrase: { type: 'string', secret: true, writeOnly: true, description: 'Passphrase of an encrypted private key' },
    host_key_fingerprint: {
      type: 'string',
      pattern: '^(SHA256:)?[A-Za-z0-9+/]{43}=?$',
      description: 'Expected host key, as `ssh-keygen -lf` prints it (SHA256:...); any other key is refused',
    },
  },
  required: ['host', 'username'],
  additionalProperties: false,
};

export interface Endpoint {
  host: string;
  port: number;
}

export interface Tunnel extends Endpoint {
  /** Stops listening, drops forwarded sockets and ends the SSH connection; safe to call twice. */
  close(): Promise<void>;
}

/** How long to wait for the SSH handshake and authentication before giving up. */
const READY_TIMEOUT_MS = 20_000;
/**
 * Keepalives stop a NAT or firewall in front of the bastion from silently dropping an idle tunnel, which
 * happens during a long load where the database connection has nothing to say for minutes.
 */
const KEEPALIVE_INTERVAL_MS = 15_000;

/**
 * When config is undefined or `enabled === false`: returns the destination itself with a no-op close.
 * Otherwise opens an SSH connection and a local TCP listener on 127.0.0.1:<random port> that forwards each
 * accepted socket through the SSH connection (forwardOut) to destination.
 */
export async function openTunnel(config: SshTunnelConfig | undefined, destination: Endpoint, logger?: Logger): Promise<Tunnel> {
  if (config === undefined || config.enabled === false) {
    return { host: destination.host, port: destination.port, close: async () => undefined };
  }
  const sshPort = config.port ?? 22;
  const via = `${config.username}@${config.host}:${sshPort}`;
  const target = `${destination.host}:${destination.port}`;
  // Loaded with a tunnel: a program that opens none (or only prints --about) never pays for ssh2.
  const { default: ssh } = await import('ssh2');
  const client = await connectSsh(ssh, config, sshPort, via, logger);

  const sockets = new Set<Socket>();
  let sshAlive = true;
  let closing: Promise<void> | undefined;
  client.on('close', () => {
    sshAlive = false;
    if (closing === undefined) {
      logger?.warn(`ssh tunnel to ${target}: the SSH connection to ${via} closed; new connections through the tunnel will fail`);
    }
    // A forwarded socket cannot outlive its SSH connection; ending them makes the driver see a closed
    // connection instead of hanging.
    for (const socket of sockets) socket.destroy();
  });

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (error) => logger?.debug(`ssh tunnel to ${target}: local socket error: ${error.message}`));
    if (!sshAlive) {
      logger?.debug(`ssh tunnel to ${target}: refused a connection, the SSH connection to ${via} is closed`);
      socket.destroy();
      return;
    }
    forwardSocket(client, socket, destination, target, logger);
  });

  let localPort: number;
  try {
    localPort = await listen(server);
  } catch (error) {
    client.end();
    throw new ConnectionError(`could not open a local port for the ssh tunnel to ${target}: ${(error as Error).message}`, { cause: error });
  }
  server.on('error', (error) => logger?.warn(`ssh tunnel to ${target}: local listener failed: ${error.message}`));
  logger?.info(`ssh tunnel to ${target} via ${via} on 127.0.0.1:${localPort}`);

  return {
    host: '127.0.0.1',
    port: localPort,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
        if (sshAlive) await endSsh(client);
        logger?.debug(`ssh tunnel to ${target} via ${via} closed`);
      })();
      return closing;
    },
  };
}

type SshClient = InstanceType<typeof ssh2Module.Client>;

function connectSsh(ssh: typeof ssh2Module, config: SshTunnelConfig, sshPort: number, via: string, logger: Logger | undefined): Promise<SshClient> {
  const credentials = sshCredentials(ssh, config);
  const expected = config.host_key_fingerprint === undefined ? undefined : normalizeFingerprint(config.host_key_fingerprint);
  let offeredFingerprint: string | undefined;

  const connectConfig: ConnectConfig = {
    host: config.host,
    port: sshPort,
    username: config.username,
    ...credentials,
    readyTimeout: READY_TIMEOUT_MS,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    hostVerifier: (key: Buffer) => {
      offeredFingerprint = sshFingerprint(key);
      return expected === undefined || expected === offeredFingerprint;
    },
  };

  return new Promise<SshClient>((resolve, reject) => {
    const client = new ssh.Client();
    let settled = false;
    client.on('ready', () => {
      settled = true;
      resolve(client);
    });
    // Stays attached after `ready`: an SSH connection that dies later emits 'error', which would
    // otherwise crash the process.
    client.on('error', (error: Error & { level?: string }) => {
      if (settled) {
        logger?.warn(`ssh connection to ${via} failed: ${error.message}`);
        return;
      }
      settled = true;
      reject(classifySshError(error, config, via, expected, offeredFingerprint));
    });
    client.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new ConnectionError(`SSH connection to ${via} closed before it was ready`, {
        hint: 'check that the port is an SSH server and that it accepts this client',
      }));
    });
    if (config.password !== undefined) {
      // Servers that authenticate passwords through PAM offer keyboard-interactive instead of password;
      // answering its prompts with the password is what an interactive ssh user would do.
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
        finish(prompts.map(() => config.password ?? ''));
      });
    }
    try {
      client.connect(connectConfig);
    } catch (error) {
      // ssh2 validates its options synchronously; we checked the key already, so this is unexpected.
      settled = true;
      reject(new ConnectionError(`SSH connection to ${via} failed: ${(error as Error).message}`, { cause: error }));
    }
  });
}

/** Parse the key here rather than inside ssh2, so a bad passphrase is a configuration error naming the setting. */
function sshCredentials(ssh: typeof ssh2Module, config: SshTunnelConfig): Pick<ConnectConfig, 'password' | 'privateKey' | 'passphrase' | 'tryKeyboard'> {
  if (config.private_key === undefined && config.password === undefined) {
    throw new ConfigurationError('ssh_tunnel needs a password or a private_key', {
      path: 'ssh_tunnel',
      hint: "set ssh_tunnel.private_key (e.g. \"{{ file('~/.ssh/id_ed25519') }}\") or ssh_tunnel.password",
    });
  }
  const credentials: Pick<ConnectConfig, 'password' | 'privateKey' | 'passphrase' | 'tryKeyboard'> = {};
  if (config.password !== undefined) {
    credentials.password = config.password;
    credentials.tryKeyboard = true;
  }
  if (config.private_key !== undefined) {
    credentials.privateKey = parsePrivateKey(ssh, config.private_key, config.private_key_passphrase);
    if (config.private_key_passphrase !== undefined) credentials.passphrase = config.private_key_passphrase;
  }
  return credentials;
}

function parsePrivateKey(ssh: typeof ssh2Module, text: string, passphrase: string | undefined): Buffer {
  const pem = Buffer.from(text);
  if (!text.includes('-----BEGIN')) {
    throw new ConfigurationError('ssh_tunnel.private_key is not a PEM private key', {
      path: 'ssh_tunnel.private_key',
      hint: "the setting holds the key itself, not its path: load a file with \"{{ file('~/.ssh/id_ed25519') }}\"",
    });
  }
  const parsed = ssh.utils.parseKey(pem, passphrase);
  if (!(parsed instanceof Error)) return pem;
  const encrypted = passphrase !== undefined && isEncryptedKeyError(ssh.utils.parseKey(pem));
  if (encrypted) {
    throw new ConfigurationError('ssh_tunnel.private_key_passphrase does not decrypt ssh_tunnel.private_key', {
      path: 'ssh_tunnel.private_key_passphrase',
      hint: 'check the passphrase; `ssh-keygen -y -f <key file>` asks for it and prints the public key when it is right',
      cause: parsed,
    });
  }
  if (isEncryptedKeyError(parsed)) {
    throw new ConfigurationError('ssh_tunnel.private_key is encrypted but ssh_tunnel.private_key_passphrase is not set', {
      path: 'ssh_tunnel.private_key_passphrase',
      hint: "set ssh_tunnel.private_key_passphrase, e.g. \"{{ env_var('SSH_KEY_PASSPHRASE') }}\"",
      cause: parsed,
    });
  }
  throw new ConfigurationError(`ssh_tunnel.private_key could not be read: ${parsed.message}`, {
    path: 'ssh_tunnel.private_key',
    hint: 'use an OpenSSH or PEM private key (RSA, ECDSA or Ed25519); convert others with `ssh-keygen -p -f <key file>`',
    cause: parsed,
  });
}

function isEncryptedKeyError(result: unknown): boolean {
  return result instanceof Error && /no passphrase given/i.test(result.message);
}

function classifySshError(
  error: Error & { level?: string; code?: string },
  config: SshTunnelConfig,
  via: string,
  expectedFingerprint: string | undefined,
  offeredFingerprint: string | undefined,
): ConnectionError {
  if (expectedFingerprint !== undefined && offeredFingerprint !== undefined && expectedFingerprint !== offeredFingerprint) {
    return new ConnectionError(
      `SSH host key of ${config.host}:${config.port ?? 22} is SHA256:${offeredFingerprint}, not the expected SHA256:${expectedFingerprint}`,
      {
        hint: 'the bastion may have been reinstalled or someone may be intercepting the connection; confirm the key with its administrator, then update ssh_tunnel.host_key_fingerprint',
        cause: error,
      },
    );
  }
  if (error.level === 'client-authentication') {
    return new ConnectionError(`SSH authentication failed for ${via}`, {
      hint: config.private_key !== undefined
        ? 'check ssh_tunnel.username, that the private key is in the server\'s authorized_keys, and ssh_tunnel.private_key_passphrase'
        : 'check ssh_tunnel.username and ssh_tunnel.password',
      cause: error,
    });
  }
  if (error.level === 'client-timeout') {
    return new ConnectionError(`SSH server ${config.host}:${config.port ?? 22} did not complete the handshake in ${READY_TIMEOUT_MS / 1000}s`, {
      hint: 'check ssh_tunnel.host and ssh_tunnel.port, and that a firewall lets this machine reach it',
      cause: error,
    });
  }
  if (error.level === 'client-socket' || error.level === 'client-dns') {
    return new ConnectionError(`cannot reach SSH server ${config.host}:${config.port ?? 22}: ${error.message}`, {
      hint: 'check ssh_tunnel.host and ssh_tunnel.port, and that the bastion is running',
      cause: error,
    });
  }
  return new ConnectionError(`SSH connection to ${via} failed: ${error.message}`, { cause: error });
}

function forwardSocket(client: SshClient, socket: Socket, destination: Endpoint, target: string, logger: Logger | undefined): void {
  const source = { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
  // Hold what the driver sends while the SSH channel opens; piping starts once it exists.
  socket.pause();
  try {
    client.forwardOut(source.address, source.port, destination.host, destination.port, (error: Error | undefined, channel: ClientChannel) => {
      if (error) {
        // One failed forward (the bastion cannot reach the database, say) fails that connection alone;
        // the driver reports it, and the tunnel stays up for the next one.
        logger?.debug(`ssh tunnel: forwarding to ${target} failed: ${error.message}`);
        socket.destroy();
        return;
      }
      if (socket.destroyed) {
        channel.close();
        return;
      }
      channel.on('error', (channelError: Error) => {
        logger?.debug(`ssh tunnel: channel to ${target} failed: ${channelError.message}`);
        socket.destroy();
      });
      channel.on('close', () => socket.destroy());
      socket.on('close', () => channel.close());
      socket.pipe(channel).pipe(socket);
      socket.resume();
    });
  } catch (error) {
    // ssh2 throws synchronously when the connection is no longer usable.
    logger?.debug(`ssh tunnel: forwarding to ${target} failed: ${(error as Error).message}`);
    socket.destroy();
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('listener has no TCP address'));
      else resolve(address.port);
    });
  });
}

function endSsh(client: SshClient): Promise<void> {
  return new Promise((resolve) => {
    // 'close' may never come if the connection is already gone; a short timer keeps close() from hanging.
    const timer = setTimeout(resolve, 2_000);
    timer.unref();
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

/** The SHA-256 fingerprint of an SSH host key blob, as `ssh-keygen -lf` prints it (base64, no padding). */
export function sshFingerprint(hostKey: Buffer): string {
  return createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '');
}

function normalizeFingerprint(value: string): string {
  return value.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
}
