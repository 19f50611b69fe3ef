import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';
import { describeFixtureCases } from '../../base/test/fixture-cases.js';

const bin = fileURLToPath(new URL('../bin/transform-impute.js', import.meta.url));

describeProgramConformance({ name: 'transform-impute', bin, kind: 'transform' });
describeFixtureCases('transform-impute', bin, fileURLToPath(new URL('./fixtures', import.meta.url)));
