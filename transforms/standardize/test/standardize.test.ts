import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';
import { describeFixtureCases } from '../../base/test/fixture-cases.js';

const bin = fileURLToPath(new URL('../bin/transform-standardize.js', import.meta.url));

describeProgramConformance({ name: 'transform-standardize', bin, kind: 'transform' });
describeFixtureCases('transform-standardize', bin, fileURLToPath(new URL('./fixtures', import.meta.url)));
