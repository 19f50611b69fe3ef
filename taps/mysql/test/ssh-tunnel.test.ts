/** tap-mysql through a real sshd (the one network/test starts), as a user with a bastion would run it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlTestUrl } from '@tapline/conformance';
import { sshdInstalled, startSshd, type TestSshd } from '../../../network/test/sshd.js';
import { catalogWith, openFixture, records, runTap, type Fixture } from './mysql-fixture.js';

const url = mysqlTestUrl();
const skip = url === undefined ? 'set TAPLINE_TEST_MYSQL_URL' : !sshdInstalled() ? 'openssh-server not installed' : undefined;
const suite = skip === undefined ? describe : describe.skip;

suite(skip === undefined ? 'tap-mysql through an SSH tunnel' : `tap-mysql through an SSH tunnel (SKIPPED: ${skip})`, () => {
  let fx: Fixture;
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
    fx = await openFixture(url!, 'tapssh');
    await fx.sql('CREATE TABLE t (id int PRIMARY KEY, v varchar(10))');
    await fx.sql("INSERT INTO t VALUES (1, 'through'), (2, 'tunnel')");
  }, 60_000);
  afterAll(async () => {
    await fx?.cleanup();
    await sshd?.stop();
  });

  it('discovers and reads through the bastion; the server address is resolved on the far side', async () => {
    const tunnel = { ssh_tunnel: { host: sshd.host, port: sshd.port, username: sshd.user, private_key: `{{ file('${sshd.keys.ed25519}') }}` } };
    const id = `${fx.database}-t`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } }, tunnel);
    const run = await runTap(fx, { catalog, config: tunnel, name: 'ssh' });
    expect(run.code, run.stderr).toBe(0);
    expect(records(run, id)).toEqual([{ id: 1, v: 'through' }, { id: 2, v: 'tunnel' }]);
  });

  it('a bastion that refuses the key is a connection error before any record', async () => {
    const tunnel = { ssh_tunnel: { host: sshd.host, port: sshd.port, username: sshd.user, private_key: `{{ file('${sshd.keys.unauthorized}') }}` } };
    const run = await runTap(fx, { catalog: { streams: [] }, config: tunnel, name: 'ssh-refused' });
    expect(run.code).toBe(5);
    expect(run.errLines.at(-1)).toMatch(/connection error/);
  });
});
