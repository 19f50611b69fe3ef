/**
 * State in a PostgreSQL table, so that Airflow workers on different machines share it: one row per
 * pipeline, and a history table of replaced states. Every change runs in one transaction that first takes
 * an advisory lock on the pipeline, so two workers saving at once are serialised and the regression check
 * sees the other's write (a row lock would not cover the very first insert, when there is no row yet).
 */
import pg from 'pg';
import { ConfigurationError, ConnectionError, isTaplineError, parseExact, parseState, isEmptyState, stringifyExact, type SingerState } from '@tapline/protocol';
import type { PostgresStateConfig } from './pipeline-config.js';
import { checkStateToSave, HISTORY_LIMIT, type SaveStateOptions, type StateBackend, type StateHistoryEntry } from './state-backend.js';

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The error of a session that is gone: terminated by the server, or a connection that broke. */
function connectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  return typeof message === 'string' && /Connection terminated|not queryable|connection error/i.test(message);
}

export class PostgresStateBackend implements StateBackend {
  readonly description: string;
  private client: pg.Client | undefined;
  private ready: Promise<pg.Client> | undefined;
  private readonly table: string;
  private readonly historyTable: string;
  private readonly lockKey: string;
  private queue: Promise<void> = Promise.resolve();
  /** Clients whose connection ended under us. */
  private readonly lost = new WeakSet<pg.Client>();

  constructor(
    private readonly pipeline: string,
    private readonly config: PostgresStateConfig,
  ) {
    this.table = `${quoteIdent(config.schema)}.${quoteIdent(config.table)}`;
    this.historyTable = `${quoteIdent(config.schema)}.${quoteIdent(`${config.table}_history`)}`;
    this.description = `postgres table ${config.schema}.${config.table}`;
    this.lockKey = `tapline_state:${config.schema}.${config.table}:${pipeline}`;
  }

  /** Connect and create the tables on first use. */
  private connect(): Promise<pg.Client> {
    this.ready ??= (async () => {
      const { url, host, port, user, password, database } = this.config;
      if (url === undefined && host === undefined) {
        throw new ConfigurationError('the postgres state backend needs a url or a host', { path: 'state', hint: 'Set state.url or state.host' });
      }
      const client = new pg.Client({
        ...(url === undefined ? {} : { connectionString: url }),
        ...(host === undefined ? {} : { host }),
        ...(port === undefined ? {} : { port }),
        ...(user === undefined ? {} : { user }),
        ...(password === undefined ? {} : { password }),
        ...(database === undefined ? {} : { database }),
        connectionTimeoutMillis: this.config.connect_timeout_seconds * 1000,
        application_name: `tapline ${this.pipeline}`,
      });
      // A dropped connection emits 'error' on the client; the next query reports it.
      client.on('error', () => this.lost.add(client));
      client.on('end', () => this.lost.add(client));
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw new ConnectionError(`cannot reach the postgres state backend: ${(error as Error).message}`, {
          cause: error,
          hint: 'Check state.url / state.host and that the server accepts connections; the stored state was not changed',
        });
      }
      this.client = client;
      await this.transaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['tapline_state:ddl']);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.config.schema)}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (pipeline text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.historyTable} (id bigserial PRIMARY KEY, pipeline text NOT NULL, state jsonb NOT NULL, replaced_at timestamptz NOT NULL DEFAULT now())`,
        );
      });
      return client;
    })();
    return this.ready;
  }

  private async transaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Run `work` in a transaction holding this pipeline's lock. Calls on one backend share one connection,
   * so they queue here: two transactions interleaved on one connection would be one transaction.
   */
  private locked<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.lockedNow(work));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async lockedNow<T>(work: (client: pg.Client) => Promise<T>, retried = false): Promise<T> {
    const client = await this.connect();
    try {
      return await this.transaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
        return work(client);
      });
    } catch (error) {
      if (isTaplineError(error)) throw error;
      // A session that died (a failover, pg_terminate_backend, a network cut between two saves of a long
      // run) is worth one new connection: the transaction did not commit, or committed the same state,
      // which is equal to itself and so passes the regression check again.
      if (!retried && (this.lost.has(client) || connectionLost(error))) {
        await this.dispose();
        return this.lockedNow(work, true);
      }
      throw new ConnectionError(`the postgres state backend failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'The stored state was not changed',
      });
    }
  }

  /**
   * A state column as its JSON text, read exactly. jsonb keeps numbers exact, but node-postgres parses
   * jsonb with JSON.parse, which would round 18446744073709551615; so the queries select `state::text`.
   */
  private stateOf(text: string): SingerState {
    return parseState(parseExact(text), this.description);
  }

  private async current(client: pg.Client): Promise<SingerState | undefined> {
    const result = await client.query<{ state: string }>(`SELECT state::text AS state FROM ${this.table} WHERE pipeline = $1`, [this.pipeline]);
    const row = result.rows[0];
    if (row === undefined) return undefined;
    const state = this.stateOf(row.state);
    return isEmptyState(state) ? undefined : state;
  }

  private async pushHistory(client: pg.Client, state: SingerState): Promise<void> {
    await client.query(`INSERT INTO ${this.historyTable} (pipeline, state) VALUES ($1, $2)`, [this.pipeline, stringifyExact(state)]);
    await client.query(
      `DELETE FROM ${this.historyTable} WHERE pipeline = $1 AND id NOT IN (SELECT id FROM ${this.historyTable} WHERE pipeline = $1 ORDER BY id DESC LIMIT ${HISTORY_LIMIT})`,
      [this.pipeline],
    );
  }

  private async write(client: pg.Client, state: SingerState): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} (pipeline, state, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (pipeline) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [this.pipeline, stringifyExact(state)],
    );
  }

  load(): Promise<SingerState | undefined> {
    return this.locked((client) => this.current(client));
  }

  save(state: SingerState, options: SaveStateOptions): Promise<void> {
    return this.locked(async (client) => {
      const current = await this.current(client);
      checkStateToSave(current, state, options);
      if (options.keepHistory && current !== undefined) await this.pushHistory(client, current);
      await this.write(client, state);
    });
  }

  clear(): Promise<void> {
    return this.locked(async (client) => {
      const current = await this.current(client);
      if (current !== undefined) await this.pushHistory(client, current);
      await client.query(`DELETE FROM ${this.table} WHERE pipeline = $1`, [this.pipeline]);
    });
  }

  rollback(): Promise<SingerState> {
    return this.locked(async (client) => {
      const result = await client.query<{ id: string; state: string }>(
        `SELECT id, state::text AS state FROM ${this.historyTable} WHERE pipeline = $1 ORDER BY id DESC LIMIT 1`,
        [this.pipeline],
      );
      const row = result.rows[0];
      if (row === undefined) {
        throw new ConfigurationError(`there is no earlier state to roll back to in ${this.description}`, { hint: 'Set one with `tapline state set`' });
      }
      const state = this.stateOf(row.state);
      await this.write(client, state);
      await client.query(`DELETE FROM ${this.historyTable} WHERE id = $1`, [row.id]);
      return state;
    });
  }

  history(): Promise<StateHistoryEntry[]> {
    return this.locked(async (client) => {
      const result = await client.query<{ state: string; replaced_at: Date }>(
        `SELECT state::text AS state, replaced_at FROM ${this.historyTable} WHERE pipeline = $1 ORDER BY id`,
        [this.pipeline],
      );
      return result.rows.map((row) => ({ state: this.stateOf(row.state), replacedAt: row.replaced_at.toISOString() }));
    });
  }

  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.ready = undefined;
    await client?.end().catch(() => undefined);
  }
}
