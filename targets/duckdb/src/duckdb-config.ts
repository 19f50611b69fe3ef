import { DUCKDB_REQUIRED, duckdbConnectionProperties, type DuckDBConnectionConfig } from '@tapline/duckdb-client';
import { BASE_TARGET_PROPERTIES, targetConfigSchema } from '@tapline/target-base';
import { sqlTargetProperties, type SqlTargetConfig } from '@tapline/target-sql-base';

export type DuckDBTargetConfig = DuckDBConnectionConfig & SqlTargetConfig;

/**
 * Smaller batches than other targets: DuckDB runs inside this process, so the parsed records of the batch
 * being loaded and of the one being read (about 6 bytes of heap per input byte) share its memory with
 * DuckDB's. 10,000 orders rows keep the peak near 270 MB (50,000: 440-480 MB, 20,000: about 310 MB) for
 * about 15% more CPU; batch_size_bytes bounds the batch when records are wide.
 */
const batchDefaults = {
  batch_size_rows: { ...BASE_TARGET_PROPERTIES.batch_size_rows, default: 10_000 },
  batch_size_bytes: { ...BASE_TARGET_PROPERTIES.batch_size_bytes, default: 8 * 1024 * 1024 },
};

export const duckdbTargetConfigSchema = targetConfigSchema({ ...batchDefaults, ...duckdbConnectionProperties, ...sqlTargetProperties('main') }, DUCKDB_REQUIRED);
