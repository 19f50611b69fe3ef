import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProgramConformance, describeTargetConformance } from '@tapline/conformance';
import { parseExact } from '@tapline/protocol';
import { fileNameForStream } from '@tapline/target-base';

const bin = fileURLToPath(new URL('../bin/target-jsonl.js', import.meta.url));

describeProgramConformance({ name: 'target-jsonl', bin, kind: 'target' });

describeTargetConformance({
  name: 'target-jsonl',
  bin,
  loadMethod: 'append',
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'target-jsonl-'));
    return {
      config: { destination_path: dir },
      async rows(stream) {
        let text: string;
        try {
          text = await readFile(join(dir, fileNameForStream('{stream}.jsonl', stream)), 'utf8');
        } catch {
          return [];
        }
        return text.split('\n').filter((line) => line !== '').map((line) => parseExact(line) as Record<string, unknown>);
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
