import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';

describeProgramConformance({ name: 'tap-duckdb', bin: fileURLToPath(new URL('../bin/tap-duckdb.js', import.meta.url)), kind: 'tap' });
