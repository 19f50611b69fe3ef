/**
 * A real OpenSSH server for the tunnel tests: its own host key, client keys and sshd_config in a temp
 * folder, listening on a free loopback port. Nothing outside the temp folder is touched, except (as root)
 * /run/sshd, which sshd insists on, and one dedicated user for the password case.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';
export const PASSWORD_USER = 'tapline_ssh_test';
/** Only ever valid on the throwaway sshd below, which listens on 127.0.0.1 and allows just our users. */
export const PASSWORD_USER_PASSWORD = 'tapline-ssh-test-pw-7731';
export const RSA_PASSPHRASE = 'correct horse battery staple';

export interface TestKeys {
  /** Unencrypted ed25519, authorized. */
  ed25519: string;
  /** RSA in OpenSSH format, encrypted with RSA_PASSPHRASE, authorized. */
  rsaEncrypted: string;
  /** RSA in the older PEM (PKCS#1) format, encrypted with RSA_PASSPHRASE, authorized. */
  rsaPemEncrypted: string;
  /** ed25519 that is not in authorized_keys. */
  unauthorized: string;
}

export interface TestSshd {
  host: string;
  port: number;
  /** The user the key cases log in as: whoever runs the tests. */
  user: string;
  keys: TestKeys;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** True when PASSWORD_USER exists and password authentication is on (needs root). */
  passwordLogin: boolean;
  /** What sshd logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function keygen(dir: string, name: string, args: string[]): Promise<string> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-f', file, '-C', `tapline-test-${name}`, ...args]);
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function ensurePasswordUser(): Promise<void> {
  const exists = await run('id', [PASSWORD_USER]).then(() => true, () => false);
  if (!exists) await run('useradd', ['--no-create-home', '--shell', '/bin/sh', PASSWORD_USER]);
  // chpasswd every time: cheap, and it makes the password known whatever an earlier run left behind.
  await new Promise<void>((resolve, reject) => {
    const child = spawn('chpasswd', { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${stderr}`))));
    child.stdin.end(`${PASSWORD_USER}:${PASSWORD_USER_PASSWORD}\n`);
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'tapline-sshd-'));
  const hostKey = await keygen(dir, 'ssh_host_ed25519_key', ['-t', 'ed25519', '-N', '']);
  const keys: TestKeys = {
    ed25519: await keygen(dir, 'id_ed25519', ['-t', 'ed25519', '-N', '']),
    rsaEncrypted: await keygen(dir, 'id_rsa', ['-t', 'rsa', '-b', '2048', '-N', RSA_PASSPHRASE]),
    rsaPemEncrypted: await keygen(dir, 'id_rsa_pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', RSA_PASSPHRASE]),
    unauthorized: await keygen(dir, 'id_unauthorized', ['-t', 'ed25519', '-N', '']),
  };
  const authorized = await Promise.all([keys.ed25519, keys.rsaEncrypted, keys.rsaPemEncrypted].map((key) => readFile(`${key}.pub`, 'utf8')));
  await writeFile(join(dir, 'authorized_keys'), authorized.join(''), { mode: 0o600 });
  const { stdout: fingerprintLine } = await run('ssh-keygen', ['-lf', `${hostKey}.pub`]);
  const hostKeyFingerprint = fingerprintLine.split(' ')[1] ?? '';

  const root = isRoot();
  if (root) {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    await ensurePasswordUser();
  }
  const user = userInfo().username;

  // A port can be taken between freePort() and sshd binding it; try a few.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const configFile = join(dir, 'sshd_config');
    await writeFile(configFile, [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      `PasswordAuthentication ${root ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'PermitRootLogin yes',
      `AllowUsers ${root ? `${user} ${PASSWORD_USER}` : user}`,
      'AllowTcpForwarding yes',
      'PermitTTY no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      // Passwords only for the throwaway test user, never for whoever runs the tests.
      ...(root ? [`Match User ${user}`, '  PasswordAuthentication no'] : []),
      '',
    ].join('\n'));
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    if (await waitForPort(port, child)) {
      return {
        host: '127.0.0.1',
        port,
        user,
        keys,
        hostKeyFingerprint,
        passwordLogin: root,
        log: () => log,
        async stop() {
          child.kill('SIGTERM');
          await exited;
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGTERM');
    await exited;
    if (!/Address already in use|Bind to port/.test(log)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start:\n${log}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('sshd could not bind a free port after 5 attempts');
}

async function waitForPort(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) return false;
    if (await canConnect(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

export function sshdInstalled(): boolean {
  return existsSync(SSHD_PATH);
}
