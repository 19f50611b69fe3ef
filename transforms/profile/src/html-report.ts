/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no font, no URL), so it opens
 * offline and from an e-mail attachment. Every piece of data goes through `escapeHtml`; values come from
 * the stream and must never become markup.
 */
import { stringifyExact } from '@tapline/protocol';
import type { ColumnType, ValueCount } from '@tapline/transform-core';
import type { Histogram, ProfiledColumn, StreamProfile } from './stream-profiler.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A value as a short readable label (strings as they are, other JSON as JSON), cut at `max` characters. */
function label(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : value === undefined ? 'null' : (stringifyExact(value) ?? String(value));
  const chars = [...text];
  return escapeHtml(chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text);
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return integerFormat.format(x);
  const magnitude = Math.abs(x);
  if (magnitude !== 0 && (magnitude >= 1e9 || magnitude < 1e-3)) return x.toExponential(3);
  return x.toLocaleString('en-US', { maximumFractionDigits: magnitude >= 100 ? 2 : 4 });
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;
}

const TYPE_LABELS: Record<ColumnType, string> = {
  number: 'number',
  number_with_decimals: 'decimal',
  category: 'category',
  category_high_cardinality: 'category (high cardinality)',
  true_or_false: 'true / false',
  datetime: 'datetime',
  email: 'email',
  phone_number: 'phone number',
  zip_code: 'zip code',
  text: 'text',
  list: 'list',
};

const STYLE = `
:root{--ink:#1d2330;--muted:#5f6b7a;--line:#e3e7ee;--panel:#f6f8fb;--accent:#2f6fde;--good:#1f8a4c;--bad:#c2410c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 12px}h3{font-size:15px;margin:0}
.sub{color:var(--muted);margin:0 0 20px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.fact{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.fact b{display:block;font-size:18px}.fact span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;background:var(--panel);border:1px solid var(--line)}
.Good{color:var(--good)}.Bad{color:var(--bad)}
.column{border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:12px 0}
.column header{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;margin-bottom:8px}
.grid{display:grid;grid-template-columns:minmax(220px,1fr) minmax(280px,2fr);gap:16px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0}dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
.note{color:var(--muted);font-size:12px}
`;

export function renderHtmlReport(profile: StreamProfile): string {
  const { dataset } = profile;
  const title = `Profile of ${profile.stream}`;
  const facts: [string, string][] = [
    [formatNumber(dataset.row_count), 'rows'],
    [formatNumber(dataset.column_count), 'columns'],
    [`${formatNumber(dataset.duplicate_row_count)} (${percent(dataset.duplicate_row_rate)})`, 'duplicate rows'],
    [percent(dataset.completeness), 'completeness'],
    [percent(dataset.validity), 'validity'],
    [formatNumber(dataset.empty_column_count), 'empty columns'],
    [`${formatNumber(dataset.complete_row_count)} (${percent(dataset.complete_row_rate)})`, 'complete rows'],
    [dataset.is_timeseries ? `yes: ${dataset.timeseries_index.join(', ')}` : 'no', 'time series'],
  ];
  const accuracy = profile.exact
    ? `Every figure is exact over all ${formatNumber(dataset.row_count)} rows.`
    : `More rows than the ${formatNumber(profile.sample_rows)}-row sample (seed ${profile.seed}): counts, nulls, min, max, mean, std, skew and sum are exact; ` +
      `quantiles are within ${percent(profile.error_bounds.quantile_rank_error)} in rank (99% confidence); distinct and duplicate counts within ` +
      `${percent(profile.error_bounds.distinct_relative_error)} (one standard error); types and type-specific figures come from the sample.`;
  const columns = Object.values(profile.columns);
  const rows = columns
    .map(
      (column) => `<tr><td><a href="#col-${anchor(column.column)}">${escapeHtml(column.column)}</a></td><td>${escapeHtml(TYPE_LABELS[column.type])}</td>` +
        `<td class="n">${percent(column.null_value_rate)}</td><td class="n">${formatNumber(column.count_distinct)}${column.estimated.includes('count_distinct') ? ' ≈' : ''}</td>` +
        `<td class="n">${percent(column.validity)}</td><td class="${column.quality}">${column.quality}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(accuracy)}${profile.key_properties.length > 0 ? ` Key: ${escapeHtml(profile.key_properties.join(', '))}.` : ''}</p>
<section class="facts">
${facts.map(([value, name]) => `<div class="fact"><b>${escapeHtml(value)}</b><span>${escapeHtml(name)}</span></div>`).join('\n')}
</section>
<h2>Columns</h2>
<table>
<thead><tr><th>column</th><th>type</th><th>null rate</th><th>distinct</th><th>validity</th><th>quality</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${columns.map(renderColumn).join('\n')}
</main>
</body>
</html>
`;
}

/** An id for a column's section: the name's code points in hex, so any name gives a valid, unique id. */
function anchor(name: string): string {
  return [...name].map((c) => (c.codePointAt(0) as number).toString(16)).join('-');
}

function renderColumn(column: ProfiledColumn): string {
  const facts: [string, string][] = [
    ['non-null', formatNumber(column.count)],
    ['nulls', `${formatNumber(column.null_value_count)} (${percent(column.null_value_rate)})`],
    ['longest null run', formatNumber(column.max_null_seq)],
    ['distinct', formatNumber(column.count_distinct)],
    ['invalid', `${formatNumber(column.invalid_value_count)} (${percent(column.invalid_value_rate)})`],
    ['mode', column.mode === null ? '–' : `${label(column.mode, 40)} (${percent(column.mode_ratio)})`],
  ];
  const numeric = column.numeric;
  if (numeric) {
    facts.push(
      ['mean', formatNumber(numeric.average)],
      ['std', formatNumber(numeric.std)],
      ['min', formatNumber(numeric.min)],
      ['median', formatNumber(numeric.median)],
      ['max', formatNumber(numeric.max)],
      ['skew', formatNumber(numeric.skew)],
      ['|z| ≥ 3', `${formatNumber(numeric.outlier_count)} (${percent(numeric.outlier_ratio)})`],
    );
  }
  if (column.datetime) facts.push(['earliest', column.datetime.min], ['median', column.datetime.median], ['latest', column.datetime.max]);
  if (column.text) facts.push(['length', `${formatNumber(column.text.min_character_count)}–${formatNumber(column.text.max_character_count)} (avg ${formatNumber(column.text.avg_string_length)})`], ['words', `avg ${formatNumber(column.text.avg_word_count)}`]);
  if (column.list) facts.push(['list length', `${formatNumber(column.list.min_list_length)}–${formatNumber(column.list.max_list_length)} (avg ${formatNumber(column.list.avg_list_length)})`]);
  // Facts are escaped here except mode, which `label` already escaped.
  const factList = facts.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${name === 'mode' ? value : escapeHtml(value)}</dd>`).join('');
  const charts: string[] = [];
  if (column.histogram) charts.push(histogramSvg(column.histogram, column.type === 'datetime'));
  if (numeric) charts.push(boxPlotSvg(numeric.box_plot_data));
  if (!numeric && column.type !== 'datetime' && column.value_counts.length > 0) charts.push(barChartSvg(column.value_counts, column.row_count, 'top values'));
  if (column.text) charts.push(barChartSvg(column.text.word_distribution.slice(0, 10), undefined, 'top words'));
  if (column.email) charts.push(barChartSvg(column.email.domain_distribution.slice(0, 10), undefined, 'top domains'));
  if (column.list) charts.push(barChartSvg(column.list.element_distribution.slice(0, 10), undefined, 'top elements'));
  const invalid = column.invalid_values.length > 0
    ? `<p class="note">Invalid examples: ${column.invalid_values.slice(0, 10).map((value) => `<code>${label(value, 40)}</code>`).join(', ')}</p>`
    : '';
  const estimated = column.estimated.length > 0 ? `<p class="note">Estimated: ${escapeHtml(column.estimated.join(', '))}.</p>` : '';
  return `<section class="column" id="col-${anchor(column.column)}">
<header><h3>${escapeHtml(column.column)}</h3><span class="badge">${escapeHtml(TYPE_LABELS[column.type])}</span><span class="${column.quality}">${column.quality}</span></header>
<div class="grid"><dl>${factList}</dl><div>${charts.join('\n')}</div></div>
${invalid}${estimated}
</section>`;
}

const WIDTH = 420;

function histogramSvg(histogram: Histogram, datetime: boolean): string {
  const height = 120;
  const top = 8;
  const bottom = 22;
  const plot = height - top - bottom;
  const bins = histogram.counts.length;
  const peak = Math.max(1, ...histogram.counts);
  const barWidth = WIDTH / bins;
  const bars = histogram.counts
    .map((count, i) => {
      const h = (count / peak) * plot;
      const low = histogram.edges[i] as number;
      const high = histogram.edges[i + 1] as number;
      const tip = `${edgeLabel(low, datetime)} – ${edgeLabel(high, datetime)}: ${formatNumber(count)}`;
      return `<rect x="${(i * barWidth + 1).toFixed(1)}" y="${(top + plot - h).toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2f6fde"><title>${escapeHtml(tip)}</title></rect>`;
    })
    .join('');
  const first = histogram.edges[0] as number;
  const last = histogram.edges[histogram.edges.length - 1] as number;
  return `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="histogram">${bars}` +
    `<line x1="0" y1="${top + plot}" x2="${WIDTH}" y2="${top + plot}" stroke="#c9d0da"/>` +
    `<text x="0" y="${height - 6}">${escapeHtml(edgeLabel(first, datetime))}</text>` +
    `<text x="${WIDTH}" y="${height - 6}" text-anchor="end">${escapeHtml(edgeLabel(last, datetime))}</text></svg>`;
}

function edgeLabel(x: number, datetime: boolean): string {
  if (!datetime) return formatNumber(x);
  const date = new Date(x);
  return Number.isNaN(date.getTime()) ? String(x) : date.toISOString().slice(0, 10);
}

function boxPlotSvg(box: { min: number; first_quartile: number; median: number; third_quartile: number; max: number; outliers: number[] }): string {
  const height = 64;
  const values = [box.min, box.max, box.first_quartile, box.third_quartile, ...box.outliers].filter((x) => Number.isFinite(x));
  if (values.length === 0) return '';
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high === low) {
    low -= 1;
    high += 1;
  }
  const pad = 12;
  const x = (v: number): string => (pad + ((v - low) / (high - low)) * (WIDTH - 2 * pad)).toFixed(1);
  const y = 24;
  const dots = box.outliers
    .filter((v) => Number.isFinite(v))
    .map((v) => `<circle cx="${x(v)}" cy="${y}" r="2.5" fill="none" stroke="#c2410c"><title>${escapeHtml(formatNumber(v))}</title></circle>`)
    .join('');
  return `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="box plot">` +
    `<line x1="${x(box.min)}" y1="${y}" x2="${x(box.first_quartile)}" y2="${y}" stroke="#5f6b7a"/>` +
    `<line x1="${x(box.third_quartile)}" y1="${y}" x2="${x(box.max)}" y2="${y}" stroke="#5f6b7a"/>` +
    `<line x1="${x(box.min)}" y1="${y - 7}" x2="${x(box.min)}" y2="${y + 7}" stroke="#5f6b7a"/>` +
    `<line x1="${x(box.max)}" y1="${y - 7}" x2="${x(box.max)}" y2="${y + 7}" stroke="#5f6b7a"/>` +
    `<rect x="${x(box.first_quartile)}" y="${y - 11}" width="${Math.max(1, Number(x(box.third_quartile)) - Number(x(box.first_quartile))).toFixed(1)}" height="22" fill="#dce7fb" stroke="#2f6fde"/>` +
    `<line x1="${x(box.median)}" y1="${y - 11}" x2="${x(box.median)}" y2="${y + 11}" stroke="#1d2330" stroke-width="2"/>${dots}` +
    `<text x="${x(box.first_quartile)}" y="${height - 6}" text-anchor="middle">Q1 ${escapeHtml(formatNumber(box.first_quartile))}</text>` +
    `<text x="${x(box.third_quartile)}" y="${height - 6}" text-anchor="middle">Q3 ${escapeHtml(formatNumber(box.third_quartile))}</text></svg>`;
}

function barChartSvg(counts: readonly ValueCount[], total: number | undefined, caption: string): string {
  const shown = counts.slice(0, 10);
  if (shown.length === 0) return '';
  const rowHeight = 18;
  const labelWidth = 150;
  const height = shown.length * rowHeight + 18;
  const peak = Math.max(1, ...shown.map((entry) => entry.count));
  const bars = shown
    .map((entry, i) => {
      const width = (entry.count / peak) * (WIDTH - labelWidth - 90);
      const yTop = 16 + i * rowHeight;
      const share = total === undefined || total === 0 ? '' : ` (${percent(entry.count / total)})`;
      return `<text x="${labelWidth - 6}" y="${yTop + 12}" text-anchor="end">${label(entry.value, 22)}</text>` +
        `<rect x="${labelWidth}" y="${yTop + 2}" width="${Math.max(1, width).toFixed(1)}" height="${rowHeight - 5}" fill="#2f6fde"><title>${label(entry.value, 200)}: ${escapeHtml(formatNumber(entry.count))}</title></rect>` +
        `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${yTop + 12}">${escapeHtml(formatNumber(entry.count) + share)}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(caption)}"><text x="0" y="11">${escapeHtml(caption)}</text>${bars}</svg>`;
}
