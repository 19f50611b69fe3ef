import { ConfigurationError, ConnectionError, DataError, DiscoveryError, SyncError, type TaplineError, type TaplineErrorOptions } from '@tapline/protocol';

/**
 * Map a DuckDB error to the taxonomy. DuckDB errors carry no code, only a message that starts with the
 * error class (`IO Error:`, `Catalog Error:`, `Conversion Error:`, ...), so the class is read from there.
 * Classes: https://duckdb.org/docs/stable/dev/internal_errors (names as printed by the engine).
 */
export function classifyDuckDBError(error: unknown, where: { stream?: string; column?: string; file?: string } = {}): TaplineError {
  if (error instanceof Error && 'kind' in error && 'where' in error) return error as TaplineError;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? message;
  const base: TaplineErrorOptions = {
    cause: error,
    ...(where.stream === undefined ? {} : { stream: where.stream }),
    ...(where.column === undefined ? {} : { column: where.column }),
  };
  const lock = /Could not set lock on file "(.*)": Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
  if (lock) {
    return new ConnectionError(`the DuckDB file ${lock[1]} is locked by another process (${lock[2]}, PID ${lock[3]})`, {
      ...base,
      file: where.file ?? lock[1] ?? '',
      hint: `DuckDB lets one process write a file at a time: wait for PID ${lock[3]} to finish (or stop it), then run again`,
    });
  }
  if (/^IO Error: Cannot open (database|file)/.test(firstLine) || /database does not exist/.test(firstLine)) {
    return new ConfigurationError(`cannot open the DuckDB database: ${firstLine}`, { ...base, ...(where.file === undefined ? {} : { file: where.file }), hint: 'Check `path` in the config' });
  }
  if (/^Catalog Error:/.test(firstLine)) {
    return new DiscoveryError(firstLine, { ...base, hint: 'The catalog names something the database does not have; run --discover again' });
  }
  if (/^(Conversion|Constraint|Out of Range|Invalid Input) Error:/.test(firstLine)) {
    return new DataError(firstLine, { ...base, hint: 'The value does not fit the column; fix the source or widen the column' });
  }
  if (/^IO Error:/.test(firstLine) || /^Out of Memory Error:/.test(firstLine)) {
    return new SyncError(firstLine, { ...base, hint: 'DuckDB could not read or write its files; check disk space, memory_limit and permissions' });
  }
  if (/^INTERRUPT Error:/.test(firstLine)) return new SyncError('the query was interrupted', base);
  return new SyncError(firstLine, { ...base, hint: 'DuckDB rejected the statement; see the cause' });
}
