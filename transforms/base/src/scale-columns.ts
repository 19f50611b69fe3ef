/**
 * The plan shared by the stages that rescale numeric columns (normalize, standardize): pick the columns,
 * check they are numeric, fit one accumulator per column, apply a function per value. Nulls stay null.
 * Integer columns become number in the SCHEMA; exact-decimal strings (`singer.decimal`) stay decimal
 * strings (the scaled value as text), so `NaN`/`Infinity` decimals can pass through unchanged as the
 * same type instead of becoming null.
 */
import { ConfigurationError, DataError, type JsonSchema, type SchemaMessage } from '@tapline/protocol';
import { NON_FINITE, columnNumber, columnsOf, numericKind, withProperties, withType, type NumericKind } from './schema-columns.js';
import type { PlanContext, StreamPlan } from './stage-runtime.js';

export interface ColumnFitter<P> {
  add(x: number): void;
  /** The parameters once every value was added. */
  params(): P;
}

export interface Scaler<P> {
  /** The action, for errors: `normalize`, `standardize`. */
  action: string;
  /** What was done, for the report: `min-max normalized`, `standardized (z-score)`. */
  verb: string;
  fitter(): ColumnFitter<P>;
  /** Scale one finite value. */
  apply(x: number, params: P): number;
  /** Parameters in a few words, for the report. */
  describe(params: P): string;
}

export interface ScaleOptions {
  columns?: string[];
}

export interface ScaleParams<P> {
  columns: Record<string, P>;
}

interface ColumnState<P> {
  name: string;
  kind: NumericKind;
  fitter: ColumnFitter<P> | undefined;
  params: P | undefined;
  scaled: number;
  nulls: number;
  kept: number;
}

function notNumeric(stream: string, column: string, line: number): never {
  throw new DataError('value is not a number', {
    stream,
    column,
    line,
    hint: 'The SCHEMA declares this column numeric; check the program that wrote the record',
  });
}

/** Build the plan, or undefined when the stream has no column to scale. */
export function planScaledColumns<P>(
  schema: SchemaMessage,
  options: ScaleOptions,
  context: PlanContext,
  scaler: Scaler<P>,
): StreamPlan<ScaleParams<P>> | undefined {
  const properties = columnsOf(schema);
  // Key and bookmark columns identify rows and positions: rescaling them would merge rows downstream
  // and move bookmarks, so they are never scaled by default and refused when named.
  const identifying = new Set([...schema.key_properties, ...(schema.bookmark_properties ?? [])]);
  const names =
    options.columns ?? Object.keys(properties).filter((name) => !identifying.has(name) && numericKind(properties[name]) !== undefined);
  const columns: ColumnState<P>[] = [];
  for (const name of names) {
    const property = properties[name];
    if (property === undefined) continue; // warned at the end if it never appears
    if (identifying.has(name)) {
      throw new ConfigurationError(`cannot ${scaler.action} a key or bookmark property`, {
        stream: schema.stream,
        column: name,
        line: context.line,
        hint: 'Remove it from columns: rows are matched and resumed by its exact values',
      });
    }
    const kind = numericKind(property);
    if (kind === undefined) {
      throw new ConfigurationError(`cannot ${scaler.action} a column that is not numeric (type ${JSON.stringify(property.type ?? null)})`, {
        stream: schema.stream,
        column: name,
        line: context.line,
        hint: 'Remove it from columns: only integer, number and singer.decimal columns can be scaled',
      });
    }
    columns.push({ name, kind, fitter: undefined, params: undefined, scaled: 0, nulls: 0, kept: 0 });
  }
  if (columns.length === 0) return undefined;

  const replaced: Record<string, JsonSchema> = {};
  for (const column of columns) {
    if (column.kind === 'integer') replaced[column.name] = withType(properties[column.name], 'number');
  }
  const stream = schema.stream;

  const read = (value: unknown, column: ColumnState<P>, line: number): number | undefined => {
    const x = columnNumber(value, column.kind);
    if (typeof x === 'number') return x;
    // NaN and infinities (a float column's texts, non-finite decimals) pass unchanged.
    return x === NON_FINITE ? undefined : notNumeric(stream, column.name, line);
  };

  // By position: values[i] belongs to columns[i] (the runtime's fast path hands them so).
  const observeValues = (values: readonly unknown[], line: number): void => {
    for (let i = 0; i < columns.length; i += 1) {
      const value = values[i];
      if (value === null || value === undefined) continue;
      const column = columns[i] as ColumnState<P>;
      const x = read(value, column, line);
      if (x !== undefined) (column.fitter ??= scaler.fitter()).add(x);
    }
  };
  const transformValues = (values: unknown[], line: number): boolean => {
    for (let i = 0; i < columns.length; i += 1) {
      const column = columns[i] as ColumnState<P>;
      const value = values[i];
      if (value === null || value === undefined) {
        column.nulls += 1;
        continue;
      }
      const params = column.params;
      const x = read(value, column, line);
      if (params === undefined || x === undefined) {
        column.kept += 1;
        continue;
      }
      const y = scaler.apply(x, params);
      values[i] = column.kind === 'decimal_string' ? String(y) : y;
      column.scaled += 1;
    }
    return true;
  };
  const valuesOf = (record: Record<string, unknown>): unknown[] => columns.map((column) => record[column.name]);

  return {
    outputSchema: withProperties(schema, replaced),
    columns: columns.map((column) => column.name),
    observeValues,
    transformValues,
    // read() takes a plain decimal string as Number() does, and a scaled decimal is always new text.
    numbersOnly: columns.map((column) => column.kind === 'decimal_string'),
    observe(record, line) {
      observeValues(valuesOf(record), line);
    },
    fit() {
      const params: Record<string, P> = {};
      for (const column of columns) {
        column.params = (column.fitter ?? scaler.fitter()).params();
        column.fitter = undefined;
        params[column.name] = column.params;
      }
      return { columns: params };
    },
    restore(saved) {
      for (const column of columns) {
        column.params = saved.columns?.[column.name];
        if (column.params === undefined) {
          context.logger.warn(`column "${column.name}" has no saved parameters; its values pass unchanged (set refit: true to fit it)`, { stream });
        }
      }
    },
    transform(record, line) {
      const values = valuesOf(record);
      transformValues(values, line);
      columns.forEach((column, i) => {
        if (values[i] !== record[column.name]) record[column.name] = values[i];
      });
      return record;
    },
    report() {
      return columns.map((column) => {
        const what = column.params === undefined ? 'not scaled (no parameters)' : `${scaler.verb} (${scaler.describe(column.params)})`;
        const extra = column.kept > 0 ? `, ${column.kept.toLocaleString('en-US')} non-finite kept` : '';
        return `column "${column.name}": ${what}: ${column.scaled.toLocaleString('en-US')} values, ${column.nulls.toLocaleString('en-US')} nulls kept${extra}`;
      });
    },
  };
}
