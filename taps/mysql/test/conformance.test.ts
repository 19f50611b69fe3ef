import { describeProgramConformance, describeTapConformance, mysqlGate } from '@tapline/conformance';
import { bin, openFixture } from './mysql-fixture.js';

describeProgramConformance({ name: 'tap-mysql', bin, kind: 'tap' });

const gate = mysqlGate();
describeTapConformance({
  name: 'tap-mysql',
  bin,
  ...(gate.skipReason ? { skip: gate.skipReason } : {}),
  async prepare() {
    const fixture = await openFixture(gate.url!, 'conf');
    await fixture.sql('CREATE TABLE orders (id BIGINT PRIMARY KEY, amount DECIMAL(12,2), placed DATETIME(6), tags SET(\'a\',\'b\'), doc JSON)');
    await fixture.sql(`INSERT INTO orders VALUES (1, 12.50, '2024-01-02 03:04:05.5', 'a,b', '{"x": 1}'), (2, NULL, NULL, '', NULL), (3, -0.01, '1899-12-31 23:59:59', 'b', '[1, 2.5]')`);
    await fixture.sql('CREATE TABLE notes (body TEXT)');
    await fixture.sql(`INSERT INTO notes VALUES ('héllo "quoted" 😀'), ('')`);
    return { config: fixture.config, cleanup: () => fixture.cleanup() };
  },
});
