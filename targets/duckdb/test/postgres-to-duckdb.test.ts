/** tap-postgres | target-duckdb: PostgreSQL's types land in DuckDB with every value intact. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresGate } from '@tapline/conformance';
import { catalogWith, openFixture, runTap, type Fixture } from '../../../taps/postgres/test/postgres-fixture.js';
import { readRows, runWithConfig, targetBin, tempDir, type TempDir } from './duckdb-test-helpers.js';

const gate = postgresGate();
const suite = gate.url === undefined ? describe.skip : describe;

suite(gate.url === undefined ? `tap-postgres | target-duckdb (SKIPPED: ${gate.skipReason})` : 'tap-postgres | target-duckdb', () => {
  let fx: Fixture;
  let dir: TempDir;
  beforeAll(async () => {
    fx = await openFixture(gate.url as string);
    dir = await tempDir('pg');
    await fx.sql(`CREATE TABLE ${fx.schema}.orders (
      id bigint PRIMARY KEY, sku varchar(32), amount numeric(12,2), exact numeric, score double precision, is_paid boolean,
      created_at timestamptz, ship_date date, at_time time, attrs jsonb, tags text[], raw bytea)`);
    await fx.sql(`INSERT INTO ${fx.schema}.orders VALUES
      (1, 'A-1', 12.34, 12345678901234567890.123456789012, 0.1, true, '1850-06-15 12:00:00.123456+01:30', '2024-02-29', '23:59:59.999999', '{"a": [1, 2.5]}', '{x,NULL}', '\\x00ff'),
      (2, '', -0.01, 'NaN', 'NaN', false, '2024-03-10 02:30:00+05:30', '0001-01-01', '00:00:00', '[]', '{}', ''),
      (3, NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  });
  afterAll(async () => {
    await fx?.cleanup();
    await dir?.cleanup();
  });

  it('loads numerics exactly (DECIMAL, or VARCHAR when they do not fit), timestamps, JSON, arrays and floats', async () => {
    const id = `${fx.schema}-orders`;
    const source = await runTap(fx, { catalog: await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } }) });
    expect(source.code, source.stderr).toBe(0);
    const path = dir.file('pg.duckdb');
    const load = await runWithConfig(targetBin, { path }, { text: source.stdout });
    expect(load.code, load.stderr).toBe(0);
    expect(load.states.at(-1)).toEqual(source.states.at(-1));
    const rows = await readRows(path, id, ['id', 'sku', 'amount', 'exact', 'score', 'is_paid', 'created_at', 'ship_date', 'at_time', 'attrs', 'tags', 'raw'], { where: 'ORDER BY id' });
    expect(rows).toEqual([
      {
        id: 1, sku: 'A-1', amount: '12.340000000', exact: '12345678901234567890.123456789012', score: 0.1, is_paid: true,
        created_at: '1850-06-15T10:30:00.123456+00:00', ship_date: '2024-02-29', at_time: '23:59:59.999999', attrs: { a: [1, 2.5] }, tags: ['x', null], raw: 'AP8=',
      },
      {
        id: 2, sku: '', amount: '-0.010000000', exact: 'NaN', score: 'NaN', is_paid: false,
        created_at: '2024-03-09T21:00:00.000000+00:00', ship_date: '0001-01-01', at_time: '00:00:00', attrs: [], tags: [], raw: '',
      },
      { id: 3, sku: null, amount: null, exact: null, score: '-Infinity', is_paid: null, created_at: null, ship_date: null, at_time: null, attrs: null, tags: null, raw: null },
    ]);
  });
});
