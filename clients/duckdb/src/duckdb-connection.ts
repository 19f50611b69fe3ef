import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBInstance, DuckDBConnection as NodeConnection } from '@duckdb/node-api';
import { ConfigurationError, type Logger } from '@tapline/protocol';
import type { DuckDBConnectionConfig } from './duckdb-config.js';
import { classifyDuckDBError } from './duckdb-errors.js';
import { quoteLiteral } from './duckdb-sql.js';

export interface DuckDBConnection {
  connection: NodeConnection;
  /** The file (or `:memory:`) for log lines; never the token. */
  describe: string;
  /** Run statements, ignoring results; DuckDB errors are classified. */
  run(sql: string, where?: { stream?: string }): Promise<void>;
  /** Rows as JSON-safe objects (bigints and decimals as strings). Only for small results. */
  query<Row>(sql: string, where?: { stream?: string }): Promise<Row[]>;
  /**
   * Drop the blocks DuckDB keeps cached. DuckDB holds every block it has read or written until it reaches
   * `memory_limit` (80% of RAM by default), so a process that reads or writes a table once grows with the
   * table. Shrinking the limit evicts every block not in use; the limit is then set back. Call it between
   * statements (a page of a read, a committed batch), never while a result is open.
   */
  releaseMemory(): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** The limit releaseMemory shrinks to: below what one statement pins, so everything else goes. */
const RELEASE_LIMIT = '16MB';

export interface OpenOptions {
  /** Open read only: the tap never writes, and a reader does not block other readers. */
  readOnly?: boolean;
}

/** A path on this machine's disk: not `:memory:`, not MotherDuck (`md:`, `motherduck:`). */
function isLocalFile(path: string): boolean {
  return path !== ':memory:' && !/^(md|motherduck):/i.test(path);
}

/**
 * Open the database. The session time zone is UTC, so TIMESTAMPTZ values render and parse the same
 * whatever the machine's zone is.
 */
export async function openDuckDB(config: DuckDBConnectionConfig, logger: Logger, options: OpenOptions = {}): Promise<DuckDBConnection> {
  const settings: Record<string, string> = {};
  if (options.readOnly && config.path !== ':memory:') settings.access_mode = 'READ_ONLY';
  if (config.threads !== undefined) settings.threads = String(config.threads);
  if (config.memory_limit !== undefined) settings.memory_limit = config.memory_limit;
  if (config.motherduck_token !== undefined) settings.motherduck_token = config.motherduck_token;
  const where = { file: config.path };
  // A writer creates its file where the config says, folders included (DuckDB creates only the file).
  if (!options.readOnly && isLocalFile(config.path)) {
    try {
      await mkdir(dirname(resolve(config.path)), { recursive: true });
    } catch (error) {
      throw new ConfigurationError(`cannot create the folder of the DuckDB database: ${(error as Error).message}`, {
        file: config.path,
        hint: 'Check `path` in the config, and that this user may create folders there',
      });
    }
  }
  let instance: DuckDBInstance;
  let connection: NodeConnection;
  let memoryLimit: string;
  try {
    // Loaded here, not at import: the native library takes a noticeable part of a second to load, which
    // `--about` and `--help` should not pay.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    instance = await DuckDBInstance.create(config.path, settings);
    connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    // What releaseMemory sets back. Not `RESET memory_limit`: DuckDB 1.5 then reports the default but
    // keeps enforcing the small limit.
    memoryLimit = config.memory_limit ?? String((await connection.runAndReadAll("SELECT current_setting('memory_limit')")).getRows()[0]?.[0]);
  } catch (error) {
    throw classifyDuckDBError(error, where);
  }
  logger.debug(`opened DuckDB ${config.path}${options.readOnly ? ' (read only)' : ''}`);
  let closed = false;
  return {
    connection,
    describe: config.path,
    async run(sql, at = {}) {
      try {
        await connection.run(sql);
      } catch (error) {
        throw classifyDuckDBError(error, at);
      }
    },
    async query<Row>(sql: string, at: { stream?: string } = {}) {
      try {
        return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
      } catch (error) {
        throw classifyDuckDBError(error, at);
      }
    },
    async releaseMemory() {
      try {
        await connection.run(`SET memory_limit = '${RELEASE_LIMIT}'`);
      } catch {
        // Blocks in use (a temporary table) keep DuckDB above the small limit: it refuses the limit but has
        // evicted every block it could, which is all this is for.
      }
      try {
        await connection.run(`SET memory_limit = ${quoteLiteral(memoryLimit)}`);
      } catch (error) {
        throw classifyDuckDBError(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Closing the instance releases the file lock at once, not when the process exits.
      connection.closeSync();
      instance.closeSync();
    },
  };
}
