import { describeProgramConformance, describeTargetConformance, mysqlGate } from '@tapline/conformance';
import { bin, connectionConfig, dropDatabase, readRows, uniqueDatabase, url } from './mysql-test-helpers.js';

describeProgramConformance({ name: 'target-mysql', bin, kind: 'target' });

// Once with LOAD DATA LOCAL INFILE, once with multi-row INSERTs (what a server with local_infile=OFF gets).
for (const localInfile of [true, false]) {
  describeTargetConformance({
    name: `target-mysql (${localInfile ? 'LOAD DATA LOCAL INFILE' : 'multi-row INSERT'})`,
    bin,
    loadMethod: 'upsert',
    capabilities: { activateVersion: true },
    skipReason: mysqlGate().skipReason,
    async prepare(caseName) {
      const database = uniqueDatabase(caseName.slice(0, 20));
      return {
        config: { ...connectionConfig(url), default_target_schema: database, local_infile: localInfile },
        rows: (stream, properties) => readRows(database, stream, properties),
        cleanup: () => dropDatabase(database),
      };
    },
  });
}
