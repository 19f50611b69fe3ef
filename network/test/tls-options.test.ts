import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type Server, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, formatErrorLine } from '@tapline/protocol';
import { tlsConnectionOptions, tlsSchema, type TlsConfig } from '../src/index.js';

const run = promisify(execFile);

function opensslInstalled(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Pki {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  selfSignedCert: string;
  selfSignedKey: string;
  clientCert: string;
  clientKey: string;
  clientKeyEncrypted: string;
}

const CLIENT_KEY_PASSPHRASE = 'client key passphrase';

/** A CA, a server certificate for localhost signed by it, a self-signed one, and a client certificate. */
async function makePki(dir: string): Promise<Pki> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  const selfSigned = (name: string, subject: string, extra: string[] = []) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject, ...extra);
  const signed = async (name: string, subject: string, extensions: string) => {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };

  await selfSigned('ca', '/CN=Tapline Test CA', ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await selfSigned('other-ca', '/CN=Some Other CA', ['-addext', 'basicConstraints=critical,CA:TRUE']);
  await selfSigned('self-signed', '/CN=localhost', ['-addext', 'subjectAltName=DNS:localhost']);
  await signed('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await signed('client', '/CN=tapline-client', 'extendedKeyUsage=clientAuth\n');
  await openssl('pkey', '-in', 'client.key', '-aes256', '-passout', `pass:${CLIENT_KEY_PASSPHRASE}`, '-out', 'client-encrypted.key');

  return {
    ca: await read('ca.pem'),
    otherCa: await read('other-ca.pem'),
    serverCert: await read('server.pem'),
    serverKey: await read('server.key'),
    selfSignedCert: await read('self-signed.pem'),
    selfSignedKey: await read('self-signed.key'),
    clientCert: await read('client.pem'),
    clientKey: await read('client.key'),
    clientKeyEncrypted: await read('client-encrypted.key'),
  };
}

interface TestServer {
  port: number;
  server: Server;
}

/** Greets each client with "hello <client certificate CN, or anonymous>" and closes. */
async function startTlsServer(options: { cert: string; key: string; clientCa?: string }): Promise<TestServer> {
  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      ...(options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    (socket: TLSSocket) => {
      const subject = socket.getPeerCertificate()?.subject;
      socket.end(`hello ${subject?.CN ?? 'anonymous'}`);
    },
  );
  // Handshake failures are what several tests provoke; they must not crash the test process.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { port: address.port, server };
}

/**
 * Dials 127.0.0.1, as a driver does behind an SSH tunnel, with the options tlsConnectionOptions built for
 * `host`. Resolves with the greeting, or with the error that ended the connection.
 */
function talk(port: number, options: ConnectionOptions | undefined): Promise<{ greeting?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ ...options, host: '127.0.0.1', port });
    let greeting = '';
    socket.on('data', (chunk: Buffer) => (greeting += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    socket.on('close', () => resolve(greeting ? { greeting } : { error: 'closed without a greeting' }));
  });
}

const haveOpenssl = opensslInstalled();
describe.skipIf(!haveOpenssl)(haveOpenssl ? 'tlsConnectionOptions against a real TLS server' : 'tls: SKIPPED: the openssl CLI is not installed', () => {
  let dir: string;
  let pki: Pki;
  let caSigned: TestServer;
  let selfSigned: TestServer;
  let mutual: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-tls-'));
    pki = await makePki(dir);
    caSigned = await startTlsServer({ cert: pki.serverCert, key: pki.serverKey });
    selfSigned = await startTlsServer({ cert: pki.selfSignedCert, key: pki.selfSignedKey });
    mutual = await startTlsServer({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca });
  });

  afterAll(async () => {
    for (const server of [caSigned, selfSigned, mutual]) {
      if (server) await new Promise((resolve) => server.server.close(resolve));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const options = (config: TlsConfig | undefined, host = 'localhost') => tlsConnectionOptions(config, host);

  it('is off without an ssl section and with mode disable', () => {
    expect(options(undefined)).toBeUndefined();
    expect(options({ mode: 'disable', ca: 'not even PEM' })).toBeUndefined();
  });

  it('require encrypts without verifying: a self-signed server is accepted', async () => {
    expect(await talk(selfSigned.port, options({ mode: 'require' }))).toEqual({ greeting: 'hello anonymous' });
    expect(await talk(selfSigned.port, options({ mode: 'prefer' }))).toEqual({ greeting: 'hello anonymous' });
  });

  it('verify-ca refuses a server whose CA it does not know and accepts it with the right ca', async () => {
    expect((await talk(caSigned.port, options({ mode: 'verify-ca' }))).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await talk(caSigned.port, options({ mode: 'verify-ca', ca: pki.otherCa }))).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await talk(selfSigned.port, options({ mode: 'verify-ca', ca: pki.ca }))).error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await talk(caSigned.port, options({ mode: 'verify-ca', ca: pki.ca }))).toEqual({ greeting: 'hello anonymous' });
  });

  it('verify-ca does not check the host name', async () => {
    const result = await talk(caSigned.port, options({ mode: 'verify-ca', ca: pki.ca }, 'db.example.com'));
    expect(result).toEqual({ greeting: 'hello anonymous' });
  });

  it('verify-full checks the host name, which server_name overrides', async () => {
    expect(await talk(caSigned.port, options({ mode: 'verify-full', ca: pki.ca }, 'localhost'))).toEqual({ greeting: 'hello anonymous' });
    expect((await talk(caSigned.port, options({ mode: 'verify-full', ca: pki.ca }, 'db.example.com'))).error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const overridden = options({ mode: 'verify-full', ca: pki.ca, server_name: 'localhost' }, 'db.example.com');
    expect(await talk(caSigned.port, overridden)).toEqual({ greeting: 'hello anonymous' });
    const mismatched = options({ mode: 'verify-full', ca: pki.ca, server_name: 'wrong.example.com' }, 'localhost');
    expect((await talk(caSigned.port, mismatched)).error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('verifies fully when the ssl section names no mode', async () => {
    expect(tlsSchema.properties?.mode?.default).toBe('verify-full');
    expect((await talk(selfSigned.port, options({}))).error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect((await talk(caSigned.port, options({ ca: pki.ca }, 'db.example.com'))).error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(await talk(caSigned.port, options({ ca: pki.ca }))).toEqual({ greeting: 'hello anonymous' });
  });

  it('presents the client certificate to a server that requires one', async () => {
    expect((await talk(mutual.port, options({ mode: 'verify-full', ca: pki.ca }))).greeting).toBeUndefined();
    const withCert = options({ mode: 'verify-full', ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    expect(await talk(mutual.port, withCert)).toEqual({ greeting: 'hello tapline-client' });
    const encryptedKey = options({ mode: 'require', cert: pki.clientCert, key: pki.clientKeyEncrypted, key_passphrase: CLIENT_KEY_PASSPHRASE });
    expect(await talk(mutual.port, encryptedKey)).toEqual({ greeting: 'hello tapline-client' });
  });

  it('names ssl.key_passphrase when it does not decrypt the client key, without printing it', () => {
    const config = { mode: 'require' as const, cert: pki.clientCert, key: pki.clientKeyEncrypted, key_passphrase: 'wrong one' };
    const error = (() => {
      try {
        options(config);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(formatErrorLine(error)).toContain('ssl.key_passphrase does not decrypt ssl.key');
    expect(formatErrorLine(error)).not.toContain('wrong one');
    expect(() => options({ mode: 'require', cert: pki.clientCert, key: pki.clientKeyEncrypted })).toThrow(
      'ssl.key is encrypted but ssl.key_passphrase is not set',
    );
  });

  it('explains that ca holds the PEM text, not a path', () => {
    expect(() => options({ mode: 'verify-ca', ca: join(dir, 'ca.pem') })).toThrow(ConfigurationError);
    expect(() => options({ mode: 'verify-ca', ca: join(dir, 'ca.pem') })).toThrow('ssl.ca is not PEM text');
    expect(() => options({ mode: 'require', cert: pki.clientCert })).toThrow('ssl.cert and ssl.key go together');
  });
});

describe('tlsSchema', () => {
  it('marks the client key and its passphrase secret and refuses unknown keys', () => {
    expect(tlsSchema.properties?.key?.secret).toBe(true);
    expect(tlsSchema.properties?.key_passphrase?.secret).toBe(true);
    expect(tlsSchema.additionalProperties).toBe(false);
  });
});
