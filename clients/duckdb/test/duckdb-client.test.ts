import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ConnectionError, DataError, DiscoveryError, Logger, SyncError } from '@tapline/protocol';
import { classifyDuckDBError, openDuckDB, qualifiedName, quoteLiteral } from '../src/index.js';

const quiet = new Logger({ program: 'test', level: 'silent' });

describe('@tapline/duckdb-client', () => {
  it('classifies a lock conflict as a connection error naming the file and the holder', () => {
    const error = classifyDuckDBError(new Error('IO Error: Could not set lock on file "/data/x.duckdb": Conflicting lock is held in /usr/bin/node (PID 42). See also https://duckdb.org/docs/stable/connect/concurrency'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe('the DuckDB file /data/x.duckdb is locked by another process (/usr/bin/node, PID 42)');
    expect(error.where.file).toBe('/data/x.duckdb');
    expect(error.hint).toContain('wait for PID 42 to finish');
  });

  it('classifies the other DuckDB error classes by their prefix', () => {
    expect(classifyDuckDBError(new Error('IO Error: Cannot open database "/x.duckdb" in read-only mode: database does not exist'))).toBeInstanceOf(ConfigurationError);
    expect(classifyDuckDBError(new Error('Catalog Error: Table with name t does not exist!'))).toBeInstanceOf(DiscoveryError);
    expect(classifyDuckDBError(new Error("Conversion Error: Could not convert string 'x' to INT64"))).toBeInstanceOf(DataError);
    expect(classifyDuckDBError(new Error('Parser Error: syntax error at or near "x"'))).toBeInstanceOf(SyncError);
  });

  it('quotes identifiers and literals so any name works', () => {
    expect(qualifiedName('my "schema"', 'a.b')).toBe('"my ""schema"""."a.b"');
    expect(quoteLiteral("it's a \\ backslash")).toBe("'it''s a \\ backslash'");
  });

  it('opens :memory: with the session time zone set to UTC, and close is safe twice', async () => {
    const db = await openDuckDB({ path: ':memory:' }, quiet);
    const [row] = await db.query<{ tz: string; at: string }>("SELECT current_setting('TimeZone') AS tz, CAST(TIMESTAMPTZ '2024-01-01 12:00:00+02' AS VARCHAR) AS at");
    expect(row).toEqual({ tz: 'UTC', at: '2024-01-01 10:00:00+00' });
    await db.close();
    await db.close();
  });

  it('creates the folders of a new database file when writing, and refuses a missing file when reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapline-duckdb-'));
    try {
      const path = join(dir, 'not', 'yet', 'there.duckdb');
      await expect(openDuckDB({ path }, quiet, { readOnly: true })).rejects.toThrow(/cannot open the DuckDB database/);
      const db = await openDuckDB({ path }, quiet);
      await db.run('CREATE TABLE t AS SELECT 1 AS x');
      await db.close();
      expect((await stat(path)).isFile()).toBe(true);
      // A folder that cannot be made (a file stands in the way) is a configuration error naming the path.
      await expect(openDuckDB({ path: join(path, 'inner.duckdb') }, quiet)).rejects.toThrow(/cannot create the folder of the DuckDB database/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
