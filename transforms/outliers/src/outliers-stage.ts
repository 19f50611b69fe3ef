/**
 * transform-outliers: finds outlier rows over the numeric columns of each stream and drops them, or keeps
 * them with a boolean flag column. Fitting goes through the transform-base runtime (observe every record,
 * fit once, then transform every record against the fitted model), so every row of a stream is judged by
 * the same model, and the model is saved with the stage's parameters so later runs judge new rows alike.
 *
 * Bounded memory: zscore keeps moments per column (exact over the whole stream); iqr keeps quartiles
 * (exact up to 1M values per column, KLL sketch beyond); the models are fitted on a seeded reservoir
 * sample of complete rows (`fit_sample_rows`), local outlier factor on a seeded subsample of it
 * (`lof_fit_rows`, because fitting is quadratic and scoring is linear in it).
 */
import { ConfigurationError, type JsonSchema } from '@tapline/protocol';
import {
  BoundedQuantiles,
  columnNumber,
  columnsOf,
  numericKind,
  stageProgram,
  withProperties,
  type NumericKind,
  type StageDefinition,
  type StreamPlan,
} from '@tapline/transform-base';
import {
  IqrFilter,
  MomentsAccumulator,
  OutlierRemover,
  PCA_MAX_DIMENSIONS,
  ReservoirSampler,
  ZScoreFilter,
  chooseOutlierMethod,
  type BoundsFilter,
  type IqrFilterState,
  type NumericRow,
  type OutlierMethod,
  type OutlierRemoverState,
  type ZScoreFilterState,
} from '@tapline/transform-core';
import { OUTLIER_DEFAULTS, outliersConfigSchema, type OutliersOptions } from './outliers-config.js';

export type ResolvedMethod = 'zscore' | 'iqr' | OutlierMethod;

export interface OutliersParams {
  /** The method used (auto resolved). */
  method: ResolvedMethod;
  /** The columns modelled, in order (a model's dimensions follow it). */
  columns: string[];
  /** Rows the parameters were fitted on (complete rows for the models, values per column otherwise). */
  fitted_rows: number;
  zscore?: Record<string, ZScoreFilterState>;
  iqr?: Record<string, IqrFilterState>;
  /** Model state; null when there was no complete row to fit on (then nothing is an outlier). */
  model?: OutlierRemoverState | null;
}

/**
 * A value of a numeric column as a number to model, or null: missing values, non-finite ones (they cannot
 * be compared) and values that are not numbers despite the SCHEMA are not modelled, and are kept (the
 * reference keeps such rows).
 */
function readNumber(value: unknown, kind: NumericKind): number | null {
  const x = columnNumber(value, kind);
  return typeof x === 'number' ? x : null;
}

/** Whether two modelled rows are the same point (what comparing their joined texts would say). */
function sameRow(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let d = 0; d < a.length; d += 1) {
    const x = a[d] as number;
    const y = b[d] as number;
    if (x !== y && !(x !== x && y !== y)) return false; // NaN texts are equal too
  }
  return true;
}

/**
 * The model-based judge: OutlierRemover's fit, with LOF fitted on a seeded subsample of at most `lofRows`
 * rows (fitting is quadratic) while the contamination estimate and PCA use them all. Null when there is no
 * row to fit on.
 */
export function fitOutlierModel(rows: readonly NumericRow[], method: OutlierMethod | 'auto', seed: number, lofRows: number): OutlierRemoverState | null {
  if (rows.length === 0) return null;
  return new OutlierRemover({ method, seed, lofFitRows: lofRows }).fit(rows).toJSON();
}

/**
 * Judges rows with a fitted model state as OutlierRemover.fromJSON(state).isOutlier does, projecting each
 * row once, except that a row LOF was fitted on keeps the verdict it got then.
 */
class ModelJudge {
  private readonly remover: OutlierRemover;
  /** LOF: the fitted rows and their own verdicts (scored leaving themselves out, as the reference's fit_predict). */
  private readonly fittedRows: readonly NumericRow[] = [];
  private readonly fittedVerdicts: readonly boolean[] = [];
  /** Fitted rows by first coordinate (a number lookup, then a few exact comparisons; no key text per row). */
  private readonly byFirst: Map<number, number[]> | undefined;

  constructor(state: OutlierRemoverState) {
    this.remover = OutlierRemover.fromJSON(state);
    if (state.model.kind === 'lof') {
      const rows = state.model.rows;
      this.fittedRows = rows;
      this.fittedVerdicts = this.remover.fittedOutliers as boolean[];
      this.byFirst = new Map();
      rows.forEach((row, i) => {
        const first = (row[0] as number) === 0 ? 0 : (row[0] as number); // -0 and 0 are one point
        const list = (this.byFirst as Map<number, number[]>).get(first);
        if (list === undefined) (this.byFirst as Map<number, number[]>).set(first, [i]);
        else list.push(i);
      });
    }
  }

  isOutlier(row: NumericRow): boolean {
    const modelled = this.remover.project(row);
    if (modelled === undefined) return false; // not a row of this model
    if (this.byFirst !== undefined) {
      // A row the model was fitted on would find itself as its nearest neighbour at distance 0; judge it
      // as the reference does instead, so that on data that fits the result is the reference's exactly.
      const first = modelled[0] as number;
      const candidates = this.byFirst.get(first === 0 ? 0 : first);
      if (candidates !== undefined) {
        // Equal fitted rows: the last one's verdict (as a map keyed by the row would keep).
        for (let c = candidates.length - 1; c >= 0; c -= 1) {
          const index = candidates[c] as number;
          if (sameRow(this.fittedRows[index] as NumericRow, modelled)) return this.fittedVerdicts[index] as boolean;
        }
      }
    }
    return this.remover.isOutlierProjected(modelled);
  }
}

interface Column {
  name: string;
  kind: NumericKind;
}

function resolveOptions(options: OutliersOptions): Required<Omit<OutliersOptions, 'columns' | 'enabled'>> {
  return {
    method: options.method ?? OUTLIER_DEFAULTS.method,
    action: options.action ?? OUTLIER_DEFAULTS.action,
    flag_column: options.flag_column ?? OUTLIER_DEFAULTS.flag_column,
    fit_sample_rows: options.fit_sample_rows ?? OUTLIER_DEFAULTS.fit_sample_rows,
    lof_fit_rows: options.lof_fit_rows ?? OUTLIER_DEFAULTS.lof_fit_rows,
    seed: options.seed ?? OUTLIER_DEFAULTS.seed,
    z_threshold: options.z_threshold ?? OUTLIER_DEFAULTS.z_threshold,
    iqr_multiplier: options.iqr_multiplier ?? OUTLIER_DEFAULTS.iqr_multiplier,
  };
}

function percent(count: number, total: number): string {
  return total === 0 ? '0%' : `${((count / total) * 100).toFixed(2)}%`;
}

export const outliersStage: StageDefinition<OutliersOptions, OutliersParams> = {
  name: 'transform-outliers',

  planStream(schema, rawOptions, context): StreamPlan<OutliersParams> | undefined {
    const options = resolveOptions(rawOptions);
    const stream = schema.stream;
    const properties = columnsOf(schema);
    // Keys and bookmarks identify rows and positions; they are not measurements, so not modelled by default.
    const identifying = new Set([...schema.key_properties, ...(schema.bookmark_properties ?? [])]);
    const names = rawOptions.columns ?? Object.keys(properties).filter((name) => !identifying.has(name) && numericKind(properties[name]) !== undefined);
    const columns: Column[] = [];
    for (const name of names) {
      const property = properties[name];
      if (property === undefined) continue; // the runtime warns at the end about columns that never appear
      const kind = numericKind(property);
      if (kind === undefined) {
        throw new ConfigurationError(`cannot look for outliers in a column that is not numeric (type ${JSON.stringify(property.type ?? null)})`, {
          stream,
          column: name,
          line: context.line,
          hint: 'Remove it from columns: only integer, number and singer.decimal columns can be modelled',
        });
      }
      columns.push({ name, kind });
    }
    if (columns.length === 0) {
      context.logger.info(`${stream}: no numeric column to look for outliers in; passed through`);
      return undefined;
    }
    const flag = options.action === 'flag' ? options.flag_column : undefined;
    const replaced: Record<string, JsonSchema> = {};
    if (flag !== undefined) {
      const existing = properties[flag];
      if (existing !== undefined && !(existing.type === 'boolean' || (Array.isArray(existing.type) && existing.type.includes('boolean')))) {
        throw new ConfigurationError(`flag_column "${flag}" is already a column of this stream`, {
          stream,
          column: flag,
          line: context.line,
          hint: 'Set flag_column to a name the stream does not use',
        });
      }
      if (columns.some((column) => column.name === flag)) {
        throw new ConfigurationError('flag_column is one of the modelled columns', { stream, column: flag, line: context.line });
      }
      replaced[flag] = { type: 'boolean' };
    }

    const dimensions = columns.length;
    const method: ResolvedMethod =
      options.method === 'auto' ? chooseOutlierMethod(dimensions) : options.method;
    const modelBased = method === 'lof' || method === 'isolation_forest';

    // Fitting state.
    const moments = method === 'zscore' ? columns.map(() => new MomentsAccumulator()) : undefined;
    const quartiles = method === 'iqr' ? columns.map(() => new BoundedQuantiles()) : undefined;
    const sample = modelBased ? new ReservoirSampler<number[]>(options.fit_sample_rows, options.seed) : undefined;
    let fittedRows = 0;

    // Judging state.
    let params: OutliersParams | undefined;
    let judge: (row: (number | null)[]) => boolean = () => false;
    let judged = 0;
    let outliers = 0;
    let incomplete = 0;

    const kinds = columns.map((column) => column.kind);
    /** Reads the modelled values of a row into `row`; `values[d]` is columns[d]'s value (the runtime's order). */
    const readRow = (values: readonly unknown[], row: (number | null)[]): (number | null)[] => {
      for (let d = 0; d < dimensions; d += 1) row[d] = readNumber(values[d], kinds[d] as NumericKind);
      return row;
    };
    /** The row being judged: judges do not keep it, so one array serves every record. */
    const judgedRow = new Array<number | null>(dimensions).fill(null);
    const hasMissing = (row: readonly (number | null)[]): boolean => {
      for (let d = 0; d < row.length; d += 1) if (row[d] === null) return true;
      return false;
    };
    const valuesOf = (record: Record<string, unknown>): unknown[] => columns.map((column) => record[column.name]);

    const observeValues = (values: readonly unknown[]): void => {
      const perColumn = moments ?? quartiles;
      if (perColumn) {
        for (let d = 0; d < dimensions; d += 1) {
          const x = readNumber(values[d], kinds[d] as NumericKind);
          if (x !== null) (perColumn[d] as MomentsAccumulator | BoundedQuantiles).add(x);
        }
      } else if (sample) {
        // A row of its own: the sample may keep it.
        const row = readRow(values, new Array<number | null>(dimensions));
        if (!hasMissing(row)) sample.add(row as number[]);
      }
      fittedRows += 1;
    };

    /** Judge a row; with a flag column, set values[dimensions] (the flag's place in `columns`). */
    const transformValues = (values: unknown[]): boolean => {
      const row = readRow(values, judgedRow);
      judged += 1;
      const missing = hasMissing(row);
      if (modelBased && missing) {
        incomplete += 1;
        if (flag !== undefined) values[dimensions] = false;
        return true;
      }
      if (missing) incomplete += 1;
      const isOutlier = judge(row);
      if (isOutlier) outliers += 1;
      if (flag !== undefined) {
        values[dimensions] = isOutlier;
        return true;
      }
      return !isOutlier;
    };

    const use = (fitted: OutliersParams): void => {
      if (fitted.columns.join('\u0000') !== columns.map((column) => column.name).join('\u0000') || fitted.method !== method) {
        throw new ConfigurationError(
          `saved parameters were fitted with method ${fitted.method} on columns ${fitted.columns.join(', ')}; the config now asks for ${method} on ${columns.map((c) => c.name).join(', ')}`,
          { stream, line: context.line, hint: 'Set refit: true to fit afresh (rows will then be judged by a new model)' },
        );
      }
      params = fitted;
      if (fitted.method === 'zscore' || fitted.method === 'iqr') {
        const filters: BoundsFilter[] = columns.map((column) =>
          fitted.method === 'zscore'
            ? ZScoreFilter.fromJSON(fitted.zscore?.[column.name] as ZScoreFilterState)
            : IqrFilter.fromJSON(fitted.iqr?.[column.name] as IqrFilterState),
        );
        // A row is an outlier when any of its values is; missing values are never outliers.
        judge = (row) => {
          for (let d = 0; d < row.length; d += 1) if ((filters[d] as BoundsFilter).isOutlier(row[d])) return true;
          return false;
        };
      } else if (fitted.model) {
        const model = new ModelJudge(fitted.model);
        judge = (row) => model.isOutlier(row as NumericRow);
      } else {
        judge = () => false;
      }
    };

    return {
      outputSchema: flag === undefined ? schema : withProperties(schema, replaced),
      columns: flag === undefined ? columns.map((column) => column.name) : [...columns.map((column) => column.name), flag],

      observeValues,
      // readNumber takes a singer.decimal string as Number() does (a string in another column is missing).
      numbersOnly: columns.map((column) => column.kind === 'decimal_string'),
      observe(record) {
        observeValues(valuesOf(record));
      },

      fit() {
        const fitted: OutliersParams = { method, columns: columns.map((column) => column.name), fitted_rows: fittedRows };
        if (moments) {
          fitted.zscore = Object.fromEntries(columns.map((column, d) => [column.name, ZScoreFilter.fromMoments(moments[d] as MomentsAccumulator, options.z_threshold).toJSON()]));
        } else if (quartiles) {
          fitted.iqr = Object.fromEntries(
            columns.map((column, d) => {
              const q = quartiles[d] as BoundedQuantiles;
              return [column.name, IqrFilter.fromQuartiles(q.quantile(0.25), q.quantile(0.75), options.iqr_multiplier).toJSON()];
            }),
          );
        } else if (sample) {
          const rows = sample.sample;
          fitted.fitted_rows = rows.length;
          fitted.model = fitOutlierModel(rows, method as OutlierMethod, options.seed, options.lof_fit_rows);
        }
        use(fitted);
        return fitted;
      },

      restore(saved) {
        use(saved);
      },

      transformValues,
      transform(record) {
        const values = valuesOf(record);
        if (!transformValues(values)) return null;
        if (flag !== undefined) record[flag] = values[dimensions];
        return record;
      },

      report() {
        const detail: string[] = [];
        if (params?.model) detail.push(`contamination ${params.model.contamination.toFixed(4)}`);
        if (params?.model?.pca) detail.push(`PCA ${params.model.dimensions} -> ${PCA_MAX_DIMENSIONS} dimensions`);
        if (params?.model?.model.kind === 'lof') detail.push(`${params.model.model.neighbours} neighbours`);
        const how = options.method === 'auto' ? `${method} (auto: ${dimensions} column${dimensions === 1 ? '' : 's'})` : method;
        const verb = flag === undefined ? 'dropped' : `flagged in ${flag}`;
        return [
          `outliers by ${how} over ${columns.map((column) => column.name).join(', ')}${detail.length > 0 ? `; ${detail.join(', ')}` : ''}; fitted on ${params?.fitted_rows ?? 0} rows`,
          `${outliers} of ${judged} rows ${verb} (${percent(outliers, judged)})${incomplete > 0 ? `; ${incomplete} rows with missing values ${modelBased ? 'not modelled, kept' : 'judged on their other columns'}` : ''}`,
        ];
      },
    };
  },
};

export const outliersProgram = stageProgram({
  stage: outliersStage,
  version: '0.1.0',
  description: 'Drop or flag outlier rows over numeric columns: z-score, IQR, isolation forest, local outlier factor, or auto; fitted per stream and kept in STATE',
  configSchema: outliersConfigSchema,
});
