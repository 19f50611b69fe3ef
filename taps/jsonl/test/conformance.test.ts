import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProgramConformance, describeTapConformance } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/tap-jsonl.js', import.meta.url));

describeProgramConformance({ name: 'tap-jsonl', bin, kind: 'tap' });

describeTapConformance({
  name: 'tap-jsonl',
  bin,
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'tap-jsonl-conformance-'));
    await writeFile(
      join(dir, 'events.jsonl'),
      ['{"id":1,"kind":"click","tags":["a","b"],"at":"2024-01-02T03:04:05Z"}', '{"id":2,"kind":"view","meta":{"ms":12.5},"at":"2024-01-02T03:04:06Z"}', ''].join('\n'),
    );
    return {
      config: { streams: [{ name: 'events', paths: [join(dir, '*.jsonl')], key_properties: ['id'] }] },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
