import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProgramConformance, describeTapConformance } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/tap-csv.js', import.meta.url));

describeProgramConformance({ name: 'tap-csv', bin, kind: 'tap' });

describeTapConformance({
  name: 'tap-csv',
  bin,
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'tap-csv-conformance-'));
    await writeFile(join(dir, 'orders-1.csv'), 'id,amount,placed on,note\n1,12.50,2024-01-02,"first, with a comma"\n2,,2024-01-03,\n');
    await writeFile(join(dir, 'orders-2.csv'), 'id,amount,placed on,note\n3,7.25,2024-01-04,"a ""quoted"" word"\n');
    await writeFile(join(dir, 'people.csv'), 'name,age\nAda,36\nGrace,\n');
    return {
      config: {
        streams: [
          { name: 'orders', paths: [join(dir, 'orders-*.csv')], key_properties: ['id'] },
          { name: 'people', paths: [join(dir, 'people.csv')] },
        ],
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
