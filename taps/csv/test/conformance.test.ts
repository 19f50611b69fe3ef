import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';

describeProgramConformance({ name: 'tap-csv', bin: fileURLToPath(new URL('../bin/tap-csv.js', import.meta.url)), kind: 'tap' });
