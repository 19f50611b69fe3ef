import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';

describeProgramConformance({ name: 'tap-jsonl', bin: fileURLToPath(new URL('../bin/tap-jsonl.js', import.meta.url)), kind: 'tap' });
