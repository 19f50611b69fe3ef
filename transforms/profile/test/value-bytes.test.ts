import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '@tapline/conformance';
import { Mulberry32 } from '@tapline/transform-core';
import { hashAsciiBytes, hashString } from '../src/distinct-sketch.js';
import { UNDECIDED, isCanonicalJson, jsonNumberAt, jsonNumberEnd, numberOfText } from '../src/value-bytes.js';

const bin = fileURLToPath(new URL('../bin/transform-profile.js', import.meta.url));

/** The text inside a buffer with other bytes around it, as a span of a line is. */
function span(text: string): [Buffer, number, number] {
  const bytes = Buffer.from(`,-${text}-1`, 'latin1');
  return [bytes, 2, 2 + text.length];
}

const JSON_NUMBERS = [
  '0', '-0', '-0.0', '1', '-1', '0.1', '0.30000000000000004', '123456789012345', '9007199254740993', '12345678901234567890123',
  '1e5', '1E+2', '1e-7', '1.5e-7', '2.50', '1e400', '-1e400', '1e-400', '5e-324', '1.7976931348623157e308', '521.1161377472413',
  '899.45867699545751', '0.000001', '4.35', '1e22', '1e23', '1e-22', '1e-23', '100000000000000000000000',
];

describe('values read from bytes', () => {
  it('reads JSON numbers as JSON.parse does, -0 included', () => {
    for (const text of JSON_NUMBERS) expect(Object.is(jsonNumberAt(...span(text)), JSON.parse(text)), text).toBe(true);
  });

  it('checks and reads a JSON number in one pass as JSON.parse reads it', () => {
    for (const text of JSON_NUMBERS) {
      const [bytes, start, end] = span(text);
      const value = new Float64Array(2);
      expect(jsonNumberEnd(bytes, start, end, value, 1), text).toBe(end);
      expect(Object.is(value[1], JSON.parse(text)), text).toBe(true);
    }
    // Not JSON numbers (the span ends at the number: a shorter number is not the whole span).
    for (const text of ['+3', '.5', '5.', '-', '007', '-01', '1e', '1e+', '1.e5', '-.5', 'e5', '']) {
      const [bytes, start, end] = span(text);
      expect(jsonNumberEnd(bytes, start, end, new Float64Array(1), 0), text).not.toBe(end);
    }
  });

  it('reads plain strings as Number() does, or leaves the radix forms to it', () => {
    const texts = [...JSON_NUMBERS, '+3', '.5', '5.', '+.5', '-.5', '007', '.', '-', '+', '1e', '1e+', 'e5', '1.2.3', '1_000', '1,000', '$5',
      '12%', '2020-09-13T12:26:41.000Z', '2024-01-05', 'Infinity', '-Infinity', '+Infinity', 'NaN', '0x1F', '0X1f', '0b101', '0o17', '0x', '-0x1',
      '1 2', '0.5e-3'];
    for (const text of texts) {
      const read = numberOfText(...span(text));
      const expected = Number(text);
      if (read === UNDECIDED) expect(/^0[xob]./i.test(text), text).toBe(true);
      else if (Number.isFinite(expected)) expect(Object.is(read, expected), text).toBe(true);
      else expect(Number.isFinite(read), text).toBe(false);
    }
  });

  it('calls an object or array canonical only when JSON.stringify writes it back the same', () => {
    const canonical = ['{}', '[]', '{"a":1}', '{"channel":"web","priority":1}', '[true,false,null]', '{"a":{"b":[1,{"c":null}]}}', '[-5,0,"x"]', '{"__proto__":1}'];
    const other = ['{ "a": 1 }', '{"a":1,"a":2}', '{"1":2,"a":1}', '{"":1}', '[-0]', '[1.5]', '[1e2]', '[01]', '{"a":"\\u0041"}', '{"a":"ü"}',
      '[1234567890123456]', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'];
    for (const text of canonical) {
      expect(isCanonicalJson(...span(text)), text).toBe(true);
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
    }
    for (const text of other) expect(isCanonicalJson(...span(text)), text).toBe(false);
  });

  it('hashes ASCII bytes as hashString hashes the text', () => {
    for (const text of ['', 'a', 'SKU-914939', 'order note 753081202 with some text', '{"a":1}']) {
      expect(hashAsciiBytes(...span(text), 1)).toBe(hashString(text, 1));
    }
  });
});

/** A JSON number kept as written (`1.50`, `-0`), with another spelling of the same double. */
class Num {
  constructor(
    readonly text: string,
    readonly other = text,
  ) {}
}
type Value = null | boolean | string | Num | Value[] | { [key: string]: Value };

/** How a writer spells JSON. */
interface Style {
  comma: string;
  colon: string;
  /** Python's ensure_ascii: non-ASCII characters as \uXXXX. */
  asciiOnly: boolean;
  /** The other spellings of numbers, and `\/` for `/`. */
  unusual: boolean;
  /** `\u0065` for every `e`, keys included. */
  escapeE: boolean;
  eol: string;
}

const COMPACT: Style = { comma: ',', colon: ':', asciiOnly: false, unusual: false, escapeE: false, eol: '\n' };
const PYTHON: Style = { comma: ', ', colon: ': ', asciiOnly: true, unusual: false, escapeE: false, eol: '\n' };
const CRLF: Style = { ...COMPACT, eol: '\r\n' };
const UNUSUAL: Style = { ...COMPACT, unusual: true };

const CONTROL_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f' };

function unicodeEscape(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

function quote(text: string, style: Style): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 32) out += CONTROL_ESCAPES[char] ?? unicodeEscape(code);
    else if (code > 126 && style.asciiOnly) for (let k = 0; k < char.length; k += 1) out += unicodeEscape(char.charCodeAt(k));
    else if (style.unusual && char === '/') out += '\\/';
    else if (style.escapeE && char === 'e') out += unicodeEscape(101);
    else out += char;
  }
  return `${out}"`;
}

function render(value: Value, style: Style): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value, style);
  if (value instanceof Num) return style.unusual ? value.other : value.text;
  if (Array.isArray(value)) return `[${value.map((item) => render(item, style)).join(style.comma)}]`;
  return `{${Object.entries(value).map(([key, item]) => `${quote(key, style)}${style.colon}${render(item, style)}`).join(style.comma)}}`;
}

/** Strings a compact line carries as they are, and (SPECIAL) ones it escapes or that are not ASCII. */
const STRINGS = ['plain', 'a b', '', ' padded ', 'a/b/e', '7530.81', ' 12 ', '0x1F', '1e5', 'N/A', 'null', "'x'", 'SKU-914939', 'Infinity', '-0'];
const SPECIAL = ['"quoted"', 'back\\slash', 'line\nbreak', 'tab\tend', 'ünïcödé', '日本語', 'emoji 😀'];
const NUMBERS = [new Num('1e5', '1E+5'), new Num('-0', '-0.0'), new Num('1.50', '1.5e0'), new Num('2.5'), new Num('0.1', '1e-1'), new Num('-7', '-7.0'),
  new Num('123456789012345678'), new Num('0.30000000000000004'), new Num('1e400', '1E400'), new Num('100000', '1e5'), new Num('42')];
const NESTED: Value[] = [{ k: new Num('1') }, { k: [new Num('1'), { j: 'x' }] }, [], {}, [new Num('1.5'), new Num('-0')], { b: new Num('1'), a: new Num('2') },
  [true, false, null], { a: new Num('1'), 1: new Num('2') }, { deep: { deeper: { deepest: [new Num('1e5')] } } }, { k: 'ü' }, { k: 'a"b/c' }];
const DAYS = ['2024-01-05', '2024-01-06T10:00:00Z', '2024-02-29', 'not a day', ' 2024-03-01 '];

const SCHEMA = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: ['string', 'null'] }, amount: { type: ['number', 'null'] }, flag: { type: ['boolean', 'null'] },
    meta: {}, day: { type: ['string', 'null'] }, note: {} },
};

/** Records as ordered members; a tenth of them repeat the record before. */
function makeRecords(count: number): [string, Value][][] {
  const random = new Mulberry32(17);
  const pick = <T>(values: readonly T[]): T => values[random.nextInt(values.length)] as T;
  const text = (): string => (random.next() < 0.04 ? pick(SPECIAL) : pick(STRINGS));
  const records: [string, Value][][] = [];
  for (let row = 0; row < count; row += 1) {
    if (row > 0 && random.next() < 0.1) {
      records.push(records[row - 1] as [string, Value][]);
      continue;
    }
    const members: [string, Value][] = [
      ['id', new Num(String(row % 700))],
      ['name', random.next() < 0.1 ? null : text()],
      ['amount', random.next() < 0.1 ? null : random.next() < 0.5 ? pick(NUMBERS) : new Num(String(random.nextInt(10000) / 100))],
      ['flag', pick([true, false, null])],
      ['meta', random.next() < 0.04 ? pick(NESTED.slice(-2)) : pick(NESTED.slice(0, -2))],
      ['day', pick(DAYS)],
      ['note', random.next() < 0.5 ? text() : pick(NUMBERS)],
    ];
    // Some members absent, and a member the SCHEMA does not declare.
    const kept = members.filter(([key]) => key === 'id' || random.next() > 0.08);
    if (random.next() < 0.03) kept.push(['extra', text()]);
    records.push(kept);
  }
  return records;
}

/** The SCHEMA and the records as lines in `style`; `shuffle` reorders each record's keys (and some envelopes). */
function input(records: [string, Value][][], style: Style, shuffle: boolean): string {
  const random = new Mulberry32(23);
  const envelope = (members: [string, string][], lineStyle = style): string =>
    `{${members.map(([key, text]) => `${quote(key, lineStyle)}${lineStyle.colon}${text}`).join(lineStyle.comma)}}`;
  const lines = [
    envelope([['type', '"SCHEMA"'], ['stream', '"s"'], ['schema', render(SCHEMA as unknown as Value, style)], ['key_properties', '["id"]']]),
  ];
  for (const members of records) {
    const lineStyle = shuffle && random.next() < 0.3 ? { ...style, escapeE: true } : style;
    let ordered = members;
    if (shuffle) {
      ordered = [...members];
      for (let i = ordered.length - 1; i > 0; i -= 1) {
        const j = random.nextInt(i + 1);
        [ordered[i], ordered[j]] = [ordered[j] as [string, Value], ordered[i] as [string, Value]];
      }
    }
    const record = render(Object.fromEntries(ordered) as Value, lineStyle);
    const head: [string, string][] = shuffle && random.next() < 0.2 ? [['stream', '"s"'], ['type', '"RECORD"']] : [['type', '"RECORD"'], ['stream', '"s"']];
    const tail: [string, string][] = style === PYTHON ? [['time_extracted', '"2026-01-01T00:00:00.000000Z"']] : [];
    lines.push(envelope([...head, ['record', record], ...tail], lineStyle));
  }
  return lines.map((line) => `${line}${style.eol}`).join('');
}

describe('a record read from its bytes and one parsed', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transform-profile-bytes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('give the same report', async () => {
    // With a SCHEMA the records are read from their bytes; without one they are parsed. Keys come in the
    // SCHEMA's order so that both reports list the columns alike.
    const values = ['1', '-0', '2.5', '1e400', '"7530.81"', '"0x1F"', '" 12 "', '""', '"\'x\'"', '"a b"', '"ünï"', '"2024-01-05"', 'true', 'false',
      'null', '{"a":1}', '{ "a": 1 }', '[1,2]', '{"b":1,"a":2}', '"x\\"y"'];
    let seed = 3;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const lines: string[] = [];
    for (let row = 0; row < 6000; row += 1) {
      const members = ['a', 'b', 'c', 'd'].filter(() => random(10) > 0).map((name) => `"${name}":${name === 'd' ? row : values[random(values.length)]}`);
      lines.push(`{"type":"RECORD","stream":"s","record":{${members.join(',')}}}`);
    }
    const schema = '{"type":"SCHEMA","stream":"s","schema":{"properties":{"a":{},"b":{},"c":{},"d":{}}},"key_properties":[]}';
    const reports: string[] = [];
    for (const [name, input] of [['bytes', [schema, ...lines]], ['parsed', lines]] as const) {
      await writeFile(join(dir, `${name}.jsonl`), `${input.join('\n')}\n`);
      await writeFile(join(dir, `${name}.json`), JSON.stringify({ output_dir: join(dir, name), sample_size: 500, max_tracked_values: 5 }));
      const run = await runProgram(bin, { args: ['--config', join(dir, `${name}.json`)], stdinFile: join(dir, `${name}.jsonl`) });
      expect(run.code, run.stderr).toBe(0);
      reports.push(await readFile(join(dir, name, 's.json'), 'utf8'));
    }
    expect(reports[0]).toBe(reports[1]);
  });

  interface Report {
    json: string;
    html: string;
  }
  // Compact lines are read by the profile's own line reader, spaced ones by the protocol's codec, and
  // CRLF, escaped, non-ASCII or reordered ones are parsed: the reports must not tell which.
  const shapes: [string, Style, boolean][] = [
    ['compact', COMPACT, false],
    ['python', PYTHON, false],
    ['crlf', CRLF, false],
    ['unusual', UNUSUAL, true],
  ];
  const configs: [string, Record<string, unknown>][] = [
    ['exact', {}],
    ['sampled', { sample_size: 500, max_tracked_values: 50 }],
  ];

  for (const [configName, config] of configs) {
    it(`give the same JSON and HTML reports whether lines are compact, spaced, CRLF-ended or reordered and escaped (${configName})`, async () => {
      const records = makeRecords(1500);
      const reports: Report[] = [];
      for (const [name, style, shuffle] of shapes) {
        const inputPath = join(dir, `${configName}-${name}.jsonl`);
        const configPath = join(dir, `${configName}-${name}.json`);
        const outputDir = join(dir, `${configName}-${name}`);
        await writeFile(inputPath, input(records, style, shuffle));
        await writeFile(configPath, JSON.stringify({ output_dir: outputDir, ...config }));
        const run = await runProgram(bin, { args: ['--config', configPath], stdinFile: inputPath });
        expect(run.code, run.stderr).toBe(0);
        reports.push({ json: await readFile(join(outputDir, 's.json'), 'utf8'), html: await readFile(join(outputDir, 's.html'), 'utf8') });
      }
      const [first, ...others] = reports as [Report, ...Report[]];
      expect(JSON.parse(first.json).dataset.row_count).toBe(1500);
      for (const [index, other] of others.entries()) {
        expect(other.json, shapes[index + 1]?.[0]).toBe(first.json);
        expect(other.html, shapes[index + 1]?.[0]).toBe(first.html);
      }
    });
  }
});
