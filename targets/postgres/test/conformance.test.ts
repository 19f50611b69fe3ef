import { describeProgramConformance, describeTargetConformance, postgresGate } from '@tapline/conformance';
import { bin, connectionConfig, dropSchema, readRows, uniqueSchema, url } from './postgres-test-helpers.js';

describeProgramConformance({ name: 'target-postgres', bin, kind: 'target' });

describeTargetConformance({
  name: 'target-postgres',
  bin,
  loadMethod: 'upsert',
  capabilities: { activateVersion: true },
  skipReason: postgresGate().skipReason,
  async prepare(caseName) {
    const schema = uniqueSchema(caseName.slice(0, 20));
    return {
      config: { ...connectionConfig(url), default_target_schema: schema },
      rows: (stream, properties) => readRows(schema, stream, properties),
      cleanup: () => dropSchema(schema),
    };
  },
});
