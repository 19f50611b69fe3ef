import { describeProgramConformance, describeTapConformance, postgresGate } from '@tapline/conformance';
import { bin, openFixture } from './postgres-fixture.js';

describeProgramConformance({ name: 'tap-postgres', bin, kind: 'tap' });

const gate = postgresGate();
describeTapConformance({
  name: 'tap-postgres',
  bin,
  ...(gate.skipReason ? { skip: gate.skipReason } : {}),
  async prepare() {
    const fixture = await openFixture(gate.url!);
    await fixture.sql(`CREATE TABLE ${fixture.schema}.orders (id bigint PRIMARY KEY, amount numeric(12,2), placed timestamptz, tags text[], doc jsonb)`);
    await fixture.sql(`INSERT INTO ${fixture.schema}.orders VALUES
      (1, 12.50, '2024-01-02 03:04:05+01', '{a,b}', '{"x": 1}'), (2, NULL, NULL, '{}', NULL), (3, -0.01, '1899-12-31 23:59:59+00', NULL, '[1, 2.5]')`);
    await fixture.sql(`CREATE TABLE ${fixture.schema}.notes (body text)`);
    await fixture.sql(`INSERT INTO ${fixture.schema}.notes VALUES ('héllo "quoted" 😀'), ('')`);
    return { config: fixture.config, cleanup: () => fixture.cleanup() };
  },
});
