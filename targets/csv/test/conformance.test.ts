import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describeProgramConformance, describeTargetConformance } from '@tapline/conformance';
import { fileNameForStream } from '@tapline/target-base';

const bin = fileURLToPath(new URL('../bin/target-csv.js', import.meta.url));

/** CSV holds text only: read back booleans and JSON the way a user would interpret them. */
function interpret(value: string | null): unknown {
  if (value === null) return null;
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

describeProgramConformance({ name: 'target-csv', bin, kind: 'target' });

describeTargetConformance({
  name: 'target-csv',
  bin,
  loadMethod: 'append',
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'target-csv-'));
    return {
      config: { destination_path: dir },
      async rows(stream) {
        let text: string;
        try {
          text = await readFile(join(dir, fileNameForStream('{stream}.csv', stream)), 'utf8');
        } catch {
          return [];
        }
        const rows = parse(text, {
          columns: true,
          cast: (value: string, context: { quoting: boolean }) => (value === '' && !context.quoting ? null : value),
        }) as Record<string, string | null>[];
        return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, interpret(value)])));
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
