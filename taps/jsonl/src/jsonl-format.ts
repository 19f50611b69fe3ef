/**
 * JSON Lines for the file tap: one JSON object per line, schema inferred from the JSON types seen. Lines are
 * read with parseExact: an integer beyond 2^53 is a bigint (an integer), and is written back digit for digit.
 */
import { DataError, isDate, isDateTime, isDecimalText, isTime, parseExact, schemaTypes, stringifyExact, type JsonSchema } from '@tapline/protocol';
import { JsonValueInference, METADATA_COLUMNS, readTextChunks, type FileFormat, type ReadPlan, type SourceFile } from '@tapline/tap-file-base';
import type { JsonlStreamConfig } from './jsonl-config.js';

const FORMAT_CHECKS: Record<string, (text: string) => boolean> = {
  date: isDate,
  'date-time': isDateTime,
  time: isTime,
  'singer.decimal': isDecimalText,
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'bigint') return 'integer';
  return typeof value;
}

/** A check that a parsed value fits a property's schema (types and string formats), or undefined for "anything". */
function valueCheck(schema: JsonSchema): ((value: unknown) => boolean) | undefined {
  const types = new Set(schemaTypes(schema));
  if (types.size === 0) return undefined;
  if (types.has('number')) types.add('integer');
  const format = typeof schema.format === 'string' ? FORMAT_CHECKS[schema.format] : undefined;
  return (value) => {
    const kind = kindOf(value);
    if (!types.has(kind)) return false;
    return kind !== 'string' || format === undefined || format(value as string);
  };
}

/** Each line of a file as text with its line number; blank lines are skipped. */
async function* fileLines(path: string, encoding: string): AsyncGenerator<{ texts: string[]; lines: number[] }> {
  for await (const chunk of readTextChunks(path, encoding)) {
    const texts: string[] = [];
    const lines: number[] = [];
    let line = chunk.firstLine;
    let start = 0;
    const text = chunk.text;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      let stop = end;
      if (stop > start && text.charCodeAt(stop - 1) === 13) stop -= 1;
      const lineText = text.slice(start, stop);
      if (lineText.trim() !== '') {
        texts.push(lineText);
        lines.push(line);
      }
      line += 1;
      start = end + 1;
    }
    if (texts.length > 0) yield { texts, lines };
  }
}

function parseLine(text: string, file: string, line: number, stream: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseExact(text);
  } catch (error) {
    throw new DataError(`malformed JSON: ${(error as Error).message}`, { file, line, stream, cause: error, hint: 'Each line must be one complete JSON object; fix or remove the line' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = kindOf(value);
    const phrase = kind === 'array' ? 'an array' : kind === 'null' ? 'null' : kind === 'integer' || kind === 'number' ? 'a number' : `a ${kind}`;
    throw new DataError(`the line is ${phrase}, not a JSON object`, { file, line, stream, hint: 'Each line must be one JSON object' });
  }
  return value as Record<string, unknown>;
}

export class JsonlFormat implements FileFormat<JsonlStreamConfig> {
  async infer(stream: JsonlStreamConfig, files: readonly SourceFile[], sampleRows: number, encoding: string): Promise<Record<string, JsonSchema>> {
    const properties = new Map<string, JsonValueInference>();
    let sampled = 0;
    for (const file of files) {
      if (sampled >= sampleRows) break;
      reading: for await (const { texts, lines } of fileLines(file.path, encoding)) {
        for (let i = 0; i < texts.length; i += 1) {
          if (sampled >= sampleRows) break reading;
          const object = parseLine(texts[i] as string, file.path, lines[i] as number, stream.name);
          for (const [key, value] of Object.entries(object)) {
            let inference = properties.get(key);
            if (inference === undefined) {
              inference = new JsonValueInference();
              properties.set(key, inference);
            }
            inference.observe(value);
          }
          sampled += 1;
        }
      }
    }
    return Object.fromEntries([...properties].map(([name, inference]) => [name, inference.schema()]));
  }

  async *read(_stream: JsonlStreamConfig, file: SourceFile, plan: ReadPlan): AsyncGenerator<string[]> {
    const properties = (plan.schema.properties ?? {}) as Record<string, JsonSchema>;
    const checks = new Map(Object.entries(properties).map(([name, schema]) => [name, valueCheck(schema)]));
    const keys = plan.keyProperties;
    const dataProperties = Object.keys(properties).filter((name) => !(name in METADATA_COLUMNS));
    // The line itself is the record when nothing is left out or added: numbers keep every digit they had.
    const asIs = plan.metadata === undefined && dataProperties.every((name) => plan.properties.includes(name));
    const members = plan.properties.map((name) => [name, `${JSON.stringify(name)}:`] as const);
    for await (const { texts, lines } of fileLines(file.path, plan.encoding)) {
      const records: string[] = [];
      for (let i = 0; i < texts.length; i += 1) {
        const text = texts[i] as string;
        const line = lines[i] as number;
        const object = parseLine(text, file.path, line, plan.stream);
        for (const key of keys) {
          if (object[key] === undefined || object[key] === null) {
            throw new DataError(`key property "${key}" is missing`, { file: file.path, line, stream: plan.stream, column: key, hint: 'Every line needs its key properties; fix the file or change key_properties' });
          }
        }
        for (const key in object) {
          if (!checks.has(key)) {
            throw new DataError(`property "${key}" is not in the stream's schema`, {
              file: file.path,
              line,
              stream: plan.stream,
              column: key,
              hint: `Add it to "schema_overrides" (e.g. {${JSON.stringify(key)}: {"type": ["null", "string"]}}) or raise sample_rows so that inference sees it; with --catalog, run --discover again`,
            });
          }
          const check = checks.get(key);
          if (check !== undefined && !check(object[key])) {
            const schema = properties[key] as JsonSchema;
            throw new DataError(`${stringifyExact(object[key]).slice(0, 60)} is not ${schemaTypes(schema).join(' or ')}${schema.format === undefined ? '' : ` (${String(schema.format)})`}`, {
              file: file.path,
              line,
              stream: plan.stream,
              column: key,
              hint: 'Widen the property in "schema_overrides", or raise sample_rows so that inference sees such values',
            });
          }
        }
        if (asIs) {
          records.push(text.trim());
          continue;
        }
        let json = '{';
        for (const [name, member] of members) {
          const value = object[name];
          if (value === undefined) continue;
          json += (json.length === 1 ? '' : ',') + member + stringifyExact(value);
        }
        if (plan.metadata !== undefined) json += (json.length === 1 ? '' : ',') + plan.metadata(line);
        records.push(`${json}}`);
      }
      if (records.length > 0) yield records;
    }
  }
}
