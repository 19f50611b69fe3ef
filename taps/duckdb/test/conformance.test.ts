import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describeProgramConformance, describeTapConformance } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/tap-duckdb.js', import.meta.url));

describeProgramConformance({ name: 'tap-duckdb', bin, kind: 'tap' });

describeTapConformance({
  name: 'tap-duckdb',
  bin,
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'tap-duckdb-conformance-'));
    const path = join(dir, 'source.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE orders (id BIGINT PRIMARY KEY, amount DECIMAL(12,2), placed TIMESTAMPTZ, tags VARCHAR[], doc JSON);
      INSERT INTO orders VALUES (1, 12.50, '2024-01-02 03:04:05+01', ['a', 'b'], '{"x": 1}'), (2, NULL, NULL, [], NULL);
      CREATE TABLE notes (body VARCHAR); INSERT INTO notes VALUES ('héllo "quoted" 😀'), ('');`);
    connection.closeSync();
    instance.closeSync();
    return { config: { path }, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});
