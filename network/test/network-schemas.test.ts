import { describe, expect, it } from 'vitest';
import { InvalidConfigError, secretPaths, validateConfig, type JsonSchema } from '@tapline/protocol';
import { sshTunnelSchema, tlsSchema } from '../src/index.js';

/** How a connector uses the two schemas: as its `ssl` and `ssh_tunnel` properties. */
const connectorSchema: JsonSchema = {
  type: 'object',
  properties: { host: { type: 'string' }, ssl: tlsSchema, ssh_tunnel: sshTunnelSchema },
  additionalProperties: false,
};

describe('ssh_tunnel and ssl schemas', () => {
  it('mark every secret, so --about lists them and the logs mask them', () => {
    expect(secretPaths(connectorSchema).map((path) => path.join('.')).sort()).toEqual([
      'ssh_tunnel.password',
      'ssh_tunnel.private_key',
      'ssh_tunnel.private_key_passphrase',
      'ssl.key',
      'ssl.key_passphrase',
    ]);
  });

  it('fill the defaults: SSH port 22, tunnel enabled, TLS verify-full', () => {
    const config = validateConfig(
      { host: 'db', ssl: {}, ssh_tunnel: { host: 'bastion', username: 'me', private_key: '-----BEGIN OPENSSH PRIVATE KEY-----' } },
      connectorSchema,
    );
    expect(config.ssh_tunnel).toMatchObject({ port: 22, enabled: true });
    expect(config.ssl).toEqual({ mode: 'verify-full' });
  });

  it('report a misspelt setting, a bad mode and a malformed fingerprint with their paths', () => {
    const attempt = () =>
      validateConfig(
        {
          ssl: { mode: 'verify', server_nmae: 'db' },
          ssh_tunnel: { host: 'bastion', username: 'me', private_key_pasphrase: 'x', host_key_fingerprint: 'MD5:aa:bb' },
        },
        connectorSchema,
      );
    expect(attempt).toThrow(InvalidConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('ssl.mode');
    expect(message).toContain('ssl.server_nmae');
    expect(message).toContain('ssh_tunnel.private_key_pasphrase');
    expect(message).toContain('ssh_tunnel.host_key_fingerprint');
  });
});
