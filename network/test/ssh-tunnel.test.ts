import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ConnectionError, Logger, formatErrorLine, loadConfig, type JsonSchema } from '@tapline/protocol';
import { postgresTestUrl } from '@tapline/conformance';
import { openTunnel, sshTunnelSchema, type Endpoint, type SshTunnelConfig, type Tunnel } from '../src/index.js';
import {
  PASSWORD_USER,
  PASSWORD_USER_PASSWORD,
  RSA_PASSPHRASE,
  SSHD_PATH,
  freePort,
  sshdInstalled,
  startSshd,
  type TestSshd,
} from './sshd.js';

function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger({ program: 'test', level: 'debug', sink: { write: (text: string) => lines.push(text) } });
  return { logger, lines };
}

/** Connects through the tunnel, sends `text`, and returns what came back before the server closed. */
function roundTrip(endpoint: Endpoint, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(endpoint);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.on('connect', () => socket.write(text));
  });
}

/** A TCP server that answers each connection with "echo:<what it got>" and closes. */
async function startEchoServer(): Promise<{ endpoint: Endpoint; server: Server }> {
  const server = createServer((socket) => socket.once('data', (chunk: Buffer) => socket.end(`echo:${chunk.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { endpoint: { host: '127.0.0.1', port: address.port }, server };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (error: unknown) => error,
  );
}

describe('openTunnel without a tunnel', () => {
  it('returns the destination itself when no ssh_tunnel is configured or it is disabled', async () => {
    const destination = { host: 'db.internal', port: 5432 };
    const none = await openTunnel(undefined, destination);
    expect({ host: none.host, port: none.port }).toEqual(destination);
    await none.close();
    await none.close();
    const disabled = await openTunnel({ enabled: false, host: 'bastion', username: 'me', password: 'x' }, destination);
    expect({ host: disabled.host, port: disabled.port }).toEqual(destination);
    await disabled.close();
  });

  it('asks for a password or a private key before connecting anywhere', async () => {
    const error = await rejection(openTunnel({ host: 'bastion.invalid', username: 'me' }, { host: 'db', port: 5432 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(formatErrorLine(error)).toContain('ssh_tunnel needs a password or a private_key');
  });
});

const sshdMissing = !sshdInstalled();
const sshTitle = sshdMissing
  ? 'ssh tunnel: SKIPPED: openssh-server not installed (apt-get install openssh-server)'
  : 'ssh tunnel through a real sshd';

if (sshdMissing && process.env.TAPLINE_CI) {
  describe('ssh tunnel', () => {
    it('needs openssh-server in CI', () => {
      throw new Error(`${SSHD_PATH} is missing but TAPLINE_CI is set: CI must install openssh-server and run the ssh tunnel tests`);
    });
  });
}

describe.skipIf(sshdMissing)(sshTitle, () => {
  let sshd: TestSshd;
  let keys: { ed25519: string; rsaEncrypted: string; rsaPemEncrypted: string; unauthorized: string };
  let echo: { endpoint: Endpoint; server: Server };

  beforeAll(async () => {
    sshd = await startSshd();
    const read = (file: string) => readFile(file, 'utf8');
    keys = {
      ed25519: await read(sshd.keys.ed25519),
      rsaEncrypted: await read(sshd.keys.rsaEncrypted),
      rsaPemEncrypted: await read(sshd.keys.rsaPemEncrypted),
      unauthorized: await read(sshd.keys.unauthorized),
    };
    echo = await startEchoServer();
  });

  afterAll(async () => {
    await sshd?.stop();
    await new Promise((resolve) => echo?.server.close(resolve));
  });

  function keyConfig(privateKey: string, extra: Partial<SshTunnelConfig> = {}): SshTunnelConfig {
    return { host: sshd.host, port: sshd.port, username: sshd.user, private_key: privateKey, ...extra };
  }

  it('forwards a connection through sshd and logs where the tunnel listens', async () => {
    const { logger, lines } = captureLogger();
    const tunnel = await openTunnel(keyConfig(keys.ed25519), echo.endpoint, logger);
    try {
      expect(tunnel.host).toBe('127.0.0.1');
      expect(tunnel.port).not.toBe(echo.endpoint.port);
      expect(await roundTrip(tunnel, 'hello')).toBe('echo:hello');
      expect(await roundTrip(tunnel, 'again')).toBe('echo:again');
    } finally {
      await tunnel.close();
    }
    const info = lines.find((line) => line.includes(' INFO '));
    expect(info).toContain(
      `ssh tunnel to 127.0.0.1:${echo.endpoint.port} via ${sshd.user}@127.0.0.1:${sshd.port} on 127.0.0.1:${tunnel.port}`,
    );
    expect(lines.join('')).not.toContain('PRIVATE KEY');
  });

  it('opens from a YAML config that loads the key with file() relative to the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapline-ssh-config-'));
    try {
      await mkdir(join(dir, 'keys'));
      await copyFile(sshd.keys.rsaEncrypted, join(dir, 'keys', 'bastion_rsa'));
      await writeFile(join(dir, 'tap.yml'), [
        'ssh_tunnel:',
        `  host: ${sshd.host}`,
        `  port: ${sshd.port}`,
        `  username: ${sshd.user}`,
        `  private_key: "{{ file('keys/bastion_rsa') }}"`,
        `  private_key_passphrase: "{{ env_var('BASTION_KEY_PASSPHRASE') }}"`,
        `  host_key_fingerprint: ${sshd.hostKeyFingerprint}`,
        '',
      ].join('\n'));
      const schema: JsonSchema = { type: 'object', properties: { ssh_tunnel: sshTunnelSchema }, additionalProperties: false };
      const config = await loadConfig({
        files: [join(dir, 'tap.yml')],
        schema,
        env: { BASTION_KEY_PASSPHRASE: RSA_PASSPHRASE },
        cwd: tmpdir(),
      });
      const tunnel = await openTunnel(config.ssh_tunnel as SshTunnelConfig, echo.endpoint);
      try {
        expect(await roundTrip(tunnel, 'from yaml')).toBe('echo:from yaml');
      } finally {
        await tunnel.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts the host key when host_key_fingerprint matches', async () => {
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:/);
    const tunnel = await openTunnel(keyConfig(keys.ed25519, { host_key_fingerprint: sshd.hostKeyFingerprint }), echo.endpoint);
    try {
      expect(await roundTrip(tunnel, 'pinned')).toBe('echo:pinned');
    } finally {
      await tunnel.close();
    }
  });

  it('refuses a host key whose fingerprint does not match', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const error = await rejection(openTunnel(keyConfig(keys.ed25519, { host_key_fingerprint: wrong }), echo.endpoint));
    expect(error).toBeInstanceOf(ConnectionError);
    const line = formatErrorLine(error);
    expect(line).toContain(`SSH host key of 127.0.0.1:${sshd.port} is ${sshd.hostKeyFingerprint}`);
    expect(line).toContain(`not the expected ${wrong}`);
    expect(line).toContain('ssh_tunnel.host_key_fingerprint');
  });

  it('reports a key the server does not accept as an SSH authentication failure', async () => {
    const error = await rejection(openTunnel(keyConfig(keys.unauthorized), echo.endpoint));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toBe(`SSH authentication failed for ${sshd.user}@127.0.0.1:${sshd.port}`);
    expect((error as ConnectionError).hint).toMatch(/username.*authorized_keys.*passphrase/);
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
  });

  it.each([
    ['OpenSSH format', 'rsaEncrypted'],
    ['PEM format', 'rsaPemEncrypted'],
  ] as const)('names ssh_tunnel.private_key_passphrase when it does not decrypt an RSA key (%s)', async (_format, key) => {
    const secret = 'not the passphrase';
    const error = await rejection(openTunnel(keyConfig(keys[key], { private_key_passphrase: secret }), echo.endpoint));
    expect(error).toBeInstanceOf(ConfigurationError);
    const line = formatErrorLine(error);
    expect(line).toContain('ssh_tunnel.private_key_passphrase does not decrypt ssh_tunnel.private_key');
    expect(line).not.toContain(secret);
    expect(line).not.toContain(RSA_PASSPHRASE);
  });

  it('asks for the passphrase when an encrypted key comes without one', async () => {
    const error = await rejection(openTunnel(keyConfig(keys.rsaEncrypted), echo.endpoint));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).where.path).toBe('ssh_tunnel.private_key_passphrase');
  });

  it('explains that private_key holds the key, not its path', async () => {
    const error = await rejection(openTunnel(keyConfig(sshd.keys.ed25519), echo.endpoint));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(formatErrorLine(error)).toContain("{{ file('~/.ssh/id_ed25519') }}");
  });

  it('reports an SSH port nobody listens on as a connection error naming host:port', async () => {
    const closedPort = await freePort();
    const error = await rejection(openTunnel({ ...keyConfig(keys.ed25519), port: closedPort }, echo.endpoint));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toContain(`cannot reach SSH server 127.0.0.1:${closedPort}`);
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
  });

  it('closes once however often close() is called, and stops listening', async () => {
    const tunnel = await openTunnel(keyConfig(keys.ed25519), echo.endpoint);
    expect(await roundTrip(tunnel, 'x')).toBe('echo:x');
    await Promise.all([tunnel.close(), tunnel.close()]);
    await tunnel.close();
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: tunnel.host, port: tunnel.port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('drops a socket whose forward fails, logs it at debug, and keeps the tunnel up', async () => {
    const { logger, lines } = captureLogger();
    const deadPort = await freePort();
    const tunnel = await openTunnel(keyConfig(keys.ed25519), { host: '127.0.0.1', port: deadPort }, logger);
    try {
      // The driver sees its connection closed or reset (which one depends on whether the bytes it sent
      // were still unread when the socket was destroyed), never an answer.
      const dropped = (text: string) => roundTrip(tunnel, text).catch((error: NodeJS.ErrnoException) => error.code);
      expect(['', 'ECONNRESET']).toContain(await dropped('lost'));
      expect(['', 'ECONNRESET']).toContain(await dropped('lost again'));
      // Both connections reached the bastion: the first failure did not take the tunnel down.
      expect(lines.filter((line) => line.includes('DEBUG') && line.includes(`forwarding to 127.0.0.1:${deadPort} failed`))).toHaveLength(2);
    } finally {
      await tunnel.close();
    }
  });

  const notRoot = process.getuid?.() !== 0;
  describe.skipIf(!sshdInstalled() || notRoot)(
    notRoot ? 'password login: SKIPPED: needs root to create the tapline_ssh_test user' : 'password login',
    () => {
    it('logs in with a password and never logs it', async () => {
      const { logger, lines } = captureLogger();
      const config = { host: sshd.host, port: sshd.port, username: PASSWORD_USER, password: PASSWORD_USER_PASSWORD };
      const tunnel = await openTunnel(config, echo.endpoint, logger);
      try {
        expect(await roundTrip(tunnel, 'pw')).toBe('echo:pw');
      } finally {
        await tunnel.close();
      }
      expect(lines.join('')).toContain(`via ${PASSWORD_USER}@127.0.0.1:${sshd.port}`);
      expect(lines.join('')).not.toContain(PASSWORD_USER_PASSWORD);
    });

    it('reports a wrong password as an SSH authentication failure without the password', async () => {
      const config = { host: sshd.host, port: sshd.port, username: PASSWORD_USER, password: 'wrong-password-123' };
      const error = await rejection(openTunnel(config, echo.endpoint));
      expect(error).toBeInstanceOf(ConnectionError);
      const line = formatErrorLine(error);
      expect(line).toContain(`SSH authentication failed for ${PASSWORD_USER}@127.0.0.1:${sshd.port}`);
      expect(line).toContain('ssh_tunnel.password');
      expect(line).not.toContain('wrong-password-123');
    });
  });

  const pgUrl = postgresTestUrl();
  describe.skipIf(pgUrl === undefined)(
    pgUrl === undefined ? 'PostgreSQL through the tunnel: SKIPPED: set TAPLINE_TEST_POSTGRES_URL' : 'PostgreSQL through the tunnel',
    () => {
      async function selectOneThrough(config: SshTunnelConfig): Promise<unknown> {
        const url = new URL(pgUrl ?? '');
        const destination = { host: url.hostname, port: Number(url.port || 5432) };
        let tunnel: Tunnel | undefined;
        try {
          tunnel = await openTunnel(config, destination);
          const connected = new pg.Client({
            host: tunnel.host,
            port: tunnel.port,
            user: decodeURIComponent(url.username),
            password: decodeURIComponent(url.password),
            database: decodeURIComponent(url.pathname.slice(1)),
          });
          await connected.connect();
          try {
            const result = await connected.query<{ one: number }>('SELECT 1 AS one');
            return result.rows[0]?.one;
          } finally {
            await connected.end();
          }
        } finally {
          await tunnel?.close();
        }
      }

      it('with an ed25519 private key', async () => {
        expect(await selectOneThrough(keyConfig(keys.ed25519))).toBe(1);
      });

      it('with a passphrase-protected RSA key (OpenSSH and PEM formats)', async () => {
        expect(await selectOneThrough(keyConfig(keys.rsaEncrypted, { private_key_passphrase: RSA_PASSPHRASE }))).toBe(1);
        expect(await selectOneThrough(keyConfig(keys.rsaPemEncrypted, { private_key_passphrase: RSA_PASSPHRASE }))).toBe(1);
      });

      it.skipIf(process.getuid?.() !== 0)('with a password', async () => {
        const config = { host: sshd.host, port: sshd.port, username: PASSWORD_USER, password: PASSWORD_USER_PASSWORD };
        expect(await selectOneThrough(config)).toBe(1);
      });
    },
  );
});
