// Reader-to-writer passthrough of orders-shaped RECORD lines, against `cat` in the same pipe position.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { compare, options } from './lib/measure.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Deterministic orders-shaped records, about 300 bytes per line. */
export async function generate(path, rows) {
  const out = createWriteStream(path);
  out.write(`${JSON.stringify({ type: 'SCHEMA', stream: 'orders', schema: { type: 'object', properties: {} }, key_properties: ['id'] })}\n`);
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  const lines = [];
  for (let id = 1; id <= rows; id += 1) {
    const record = {
      id,
      customer_id: Math.floor(random() * 100000),
      sku: `SKU-${Math.floor(random() * 1e6).toString().padStart(6, '0')}`,
      note: random() < 0.2 ? null : `order note ${Math.floor(random() * 1e9)} with some text`,
      amount: (Math.floor(random() * 1e6) / 100).toFixed(2),
      score: random() * 1000,
      is_paid: random() < 0.5,
      created_at: new Date(1.6e12 + Math.floor(random() * 1e11)).toISOString(),
      ship_date: new Date(1.6e12 + Math.floor(random() * 1e11)).toISOString().slice(0, 10),
      attrs: { channel: random() < 0.5 ? 'web' : 'store', priority: Math.floor(random() * 5) },
    };
    lines.push(JSON.stringify({ type: 'RECORD', stream: 'orders', record, time_extracted: '2026-01-01T00:00:00.000Z' }));
    if (lines.length === 10000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines.length = 0;
    }
  }
  if (lines.length) out.write(`${lines.join('\n')}\n`);
  out.write(`${JSON.stringify({ type: 'STATE', value: { bookmarks: { orders: { id: rows } } } })}\n`);
  out.end();
  await once(out, 'finish');
}

export async function run(argv) {
  const { rows, runs } = options(argv, { rows: 1_000_000, runs: 5 });
  const dir = `${here}data`;
  await mkdir(dir, { recursive: true });
  const input = `${dir}/orders-${rows}.jsonl`;
  process.stderr.write(`generating ${rows} records into ${input}\n`);
  await generate(input, rows);
  const pass = `${here}lib/passthrough.mjs`;
  const results = await compare(
    {
      cat: `cat ${input} | cat > /dev/null`,
      strict: `cat ${input} | node ${pass} strict > /dev/null`,
      lazy: `cat ${input} | node ${pass} lazy > /dev/null`,
      reencode: `cat ${input} | node ${pass} reencode > /dev/null`,
    },
    runs,
  );
  const rate = (seconds) => Math.round(rows / seconds);
  const report = {
    scenario: 'protocol',
    rows,
    runs,
    cat_s: results.cat.median,
    strict_s: results.strict.median,
    lazy_s: results.lazy.median,
    reencode_s: results.reencode.median,
    strict_msgs_per_s: rate(results.strict.median),
    lazy_msgs_per_s: rate(results.lazy.median),
    reencode_msgs_per_s: rate(results.reencode.median),
    cat_msgs_per_s: rate(results.cat.median),
    goal_msgs_per_s: 500_000,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
