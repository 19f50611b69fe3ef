import { fileURLToPath } from 'node:url';
import { describeProgramConformance } from '@tapline/conformance';
import { describeFixtureCases } from '../../base/test/fixture-cases.js';

const bin = fileURLToPath(new URL('../bin/transform-normalize.js', import.meta.url));

describeProgramConformance({ name: 'transform-normalize', bin, kind: 'transform' });
describeFixtureCases('transform-normalize', bin, fileURLToPath(new URL('./fixtures', import.meta.url)));
