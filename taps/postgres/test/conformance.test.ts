import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';

describeProgramConformance({ name: 'tap-postgres', bin: fileURLToPath(new URL('../bin/tap-postgres.js', import.meta.url)), kind: 'tap' });
