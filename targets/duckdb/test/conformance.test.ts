import { describeProgramConformance, describeTargetConformance } from '@tapline/conformance';
import { readRows, targetBin, tempDir } from './duckdb-test-helpers.js';

describeProgramConformance({ name: 'target-duckdb', bin: targetBin, kind: 'target' });

// DuckDB is embedded: the suite needs no server and never skips.
describeTargetConformance({
  name: 'target-duckdb',
  bin: targetBin,
  loadMethod: 'upsert',
  capabilities: { activateVersion: true },
  skipReason: undefined,
  async prepare(caseName) {
    const dir = await tempDir(caseName.slice(0, 20));
    const path = dir.file('conformance.duckdb');
    return {
      config: { path },
      rows: (stream, properties) => readRows(path, stream, properties).catch((error: unknown) => {
        // A failing case may end before the target created the file at all: then it holds no rows.
        if (/does not exist|Cannot open/.test(String(error))) return [];
        throw error;
      }),
      cleanup: () => dir.cleanup(),
    };
  },
});
