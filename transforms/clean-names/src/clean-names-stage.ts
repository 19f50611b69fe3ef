/**
 * transform-clean-names: the reference's column-name rules (cleanColumnNames in transform-core) applied
 * to SCHEMA properties, RECORD keys, key_properties, bookmark_properties and `required` together, so a
 * renamed key column is still the key. Names that clean to the same text get `_2`, `_3` in SCHEMA
 * property order. A record key the SCHEMA does not declare is cleaned when first seen, suffixed clear of
 * every name already given out, so the mapping never changes within a stream.
 */
import type { JsonSchema, SchemaMessage } from '@tapline/protocol';
import { RESERVED_WORDS, cleanColumnName, cleanColumnNames } from '@tapline/transform-core';
import { stageProgram, type KeyRenames, type StageDefinition, type StreamPlan } from '@tapline/transform-base';
import { cleanNamesConfigSchema, type CleanNamesOptions } from './clean-names-config.js';

export class ColumnNameMap {
  private readonly names: Map<string, string>;
  private readonly given: Set<string>;

  constructor(
    declared: readonly string[],
    private readonly reserved: ReadonlySet<string>,
  ) {
    this.names = cleanColumnNames(declared, { reservedWords: reserved });
    this.given = new Set(this.names.values());
  }

  get(name: string): string {
    let cleaned = this.names.get(name);
    if (cleaned === undefined) {
      const base = cleanColumnName(name, { reservedWords: this.reserved });
      cleaned = base;
      for (let suffix = 2; this.given.has(cleaned); suffix += 1) cleaned = `${base}_${suffix}`;
      this.names.set(name, cleaned);
      this.given.add(cleaned);
    }
    return cleaned;
  }

  get renamed(): [string, string][] {
    return [...this.names].filter(([from, to]) => from !== to);
  }
}

function renameSchema(schema: SchemaMessage, names: ColumnNameMap): SchemaMessage {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(schema.schema.properties ?? {})) properties[names.get(name)] = property;
  const body: JsonSchema = { ...schema.schema, properties };
  if (Array.isArray(schema.schema.required)) body.required = schema.schema.required.map((name) => names.get(name));
  const output: SchemaMessage = { ...schema, schema: body, key_properties: schema.key_properties.map((name) => names.get(name)) };
  if (schema.bookmark_properties) output.bookmark_properties = schema.bookmark_properties.map((name) => names.get(name));
  return output;
}

export function planCleanNames(schema: SchemaMessage, options: CleanNamesOptions): StreamPlan<never> {
  const reserved = options.reserved_words?.length
    ? new Set([...RESERVED_WORDS, ...options.reserved_words.map((word) => word.toLowerCase())])
    : RESERVED_WORDS;
  const declared = Object.keys(schema.schema.properties ?? {});
  const names = new ColumnNameMap(declared, reserved);
  const outputSchema = renameSchema(schema, names);
  const targets = declared.map((name) => names.get(name));
  const renamed = declared.map((name, index) => (targets[index] === name ? undefined : JSON.stringify(targets[index])));
  const renameKeys: KeyRenames = { keys: renamed, records: 0 };
  let rowsParsed = 0;
  let rowsRenamed = 0;

  return {
    outputSchema,
    // The runtime renames declared keys in the line's bytes; records with other keys come to transform.
    columns: declared,
    renameKeys,
    transform(record) {
      rowsParsed += 1;
      const output: Record<string, unknown> = {};
      let changed = false;
      for (const key of Object.keys(record)) {
        const name = names.get(key);
        if (name !== key) changed = true;
        output[name] = record[key];
      }
      if (changed) rowsRenamed += 1;
      return changed ? output : record;
    },
    report() {
      const renamed = names.renamed;
      const lines = renamed.length === 0 ? ['every column name was already clean'] : renamed.map(([from, to]) => `column ${JSON.stringify(from)} -> "${to}"`);
      lines.push(`${(rowsRenamed + renameKeys.records).toLocaleString('en-US')} records had keys renamed${rowsParsed > 0 ? ` (${rowsParsed.toLocaleString('en-US')} parsed in full)` : ''}`);
      return lines;
    },
  };
}

export const cleanNamesStage: StageDefinition<CleanNamesOptions, never> = {
  name: 'transform-clean-names',
  planStream: (schema, options) => planCleanNames(schema, options),
};

export const cleanNamesProgram = stageProgram({
  stage: cleanNamesStage,
  version: '0.1.0',
  description: 'Clean column names (SCHEMA properties, RECORD keys, key properties) into lower-case identifiers a SQL target accepts unquoted',
  configSchema: cleanNamesConfigSchema,
});
