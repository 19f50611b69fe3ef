import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';
import { describeFixtureCases } from '../../base/test/fixture-cases.js';

const bin = fileURLToPath(new URL('../bin/transform-clean-names.js', import.meta.url));

describeProgramConformance({ name: 'transform-clean-names', bin, kind: 'transform' });
describeFixtureCases('transform-clean-names', bin, fileURLToPath(new URL('./fixtures', import.meta.url)));
