/**
 * The page `netlens evaluate` writes: the method × metric table (mean and 95 % bootstrap interval), the
 * ranking, and the deletion / insertion / ROAD curves and the randomisation curves as vega-lite plots
 * rendered to inline SVG. Also the same table as plain text for the terminal.
 */
import type { Evaluation, MethodEvaluation } from '../eval/evaluate.js';
import { METRICS } from '../eval/metrics.js';
import { PLOT_FONT, renderSvg, type TopLevelSpec } from '../render/plot.js';
import { escapeHtml, formatNumber, page, type PageSection } from './html.js';

type CurveKey = 'deletion' | 'insertion' | 'roadMorf' | 'roadLerf';

const CURVES: { key: CurveKey; title: string; x: string }[] = [
  {
    key: 'deletion',
    title: 'Deletion: class score as the most relevant pixels are replaced',
    x: 'pixels replaced',
  },
  {
    key: 'insertion',
    title: 'Insertion: class score as the most relevant pixels are put back',
    x: 'pixels inserted',
  },
  { key: 'roadMorf', title: 'ROAD, most relevant removed first', x: 'pixels removed' },
  { key: 'roadLerf', title: 'ROAD, least relevant removed first', x: 'pixels removed' },
];

function lineSpec(
  title: string,
  values: { x: number | string; y: number; method: string }[],
  xTitle: string,
  yTitle: string,
  ordinal = false,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 260,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: ordinal
        ? { field: 'x', type: 'ordinal', title: xTitle, sort: null, axis: { labelAngle: -30 } }
        : { field: 'x', type: 'quantitative', title: xTitle, axis: { format: '%' } },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: { field: 'method', type: 'nominal', title: 'method' },
    },
    config: { font: PLOT_FONT },
  };
}

/** Vega-lite specs of every curve the evaluation has, keyed by a short id. */
export function evaluationPlots(evaluation: Evaluation): { id: string; spec: TopLevelSpec }[] {
  const plots: { id: string; spec: TopLevelSpec }[] = [];
  for (const curve of CURVES) {
    const values = evaluation.methods.flatMap((m) => {
      const c = m.curves[curve.key];
      return c ? c.fractions.map((x, k) => ({ x, y: c.mean[k], method: m.method })) : [];
    });
    if (values.length)
      plots.push({ id: curve.key, spec: lineSpec(curve.title, values, curve.x, 'class score (mean)') });
  }
  for (const [key, title] of [
    ['cascading', 'Cascading randomisation: Spearman of |map| with the original'],
    ['independent', 'Independent randomisation: Spearman of |map| with the original'],
  ] as const) {
    const values = evaluation.methods.flatMap((m) => {
      const c = m.curves[key];
      return c ? c.layers.map((layer, k) => ({ x: layer, y: c.spearman[k], method: m.method })) : [];
    });
    if (values.length) {
      const x = key === 'cascading' ? 'randomised down to layer' : 'randomised layer';
      plots.push({ id: key, spec: lineSpec(title, values, x, 'Spearman (mean)', true) });
    }
  }
  return plots;
}

function cell(m: MethodEvaluation, key: string): string {
  const s = m.summary[key];
  if (!s || !Number.isFinite(s.mean)) return '–';
  return `${formatNumber(s.mean)} [${formatNumber(s.low)}, ${formatNumber(s.high)}]`;
}

function arrow(better: 'higher' | 'lower'): string {
  return better === 'higher' ? '↑' : '↓';
}

export function evaluationTableHtml(evaluation: Evaluation): string {
  const header = ['Method', ...evaluation.columns.map((c) => `${c.title} ${arrow(c.better)}`)];
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = evaluation.methods.map((m) => {
    const cells = evaluation.columns.map((c) => {
      const best = bestMethod(evaluation, c.key, c.better);
      const text = escapeHtml(cell(m, c.key));
      return `<td>${best === m.method ? `<b>${text}</b>` : text}</td>`;
    });
    return `<tr><td>${escapeHtml(m.title)}</td>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function bestMethod(evaluation: Evaluation, key: string, better: 'higher' | 'lower'): string | undefined {
  let best: { method: string; value: number } | undefined;
  for (const m of evaluation.methods) {
    const v = m.summary[key]?.mean;
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || (better === 'higher' ? v > best.value : v < best.value))
      best = { method: m.method, value: v };
  }
  return best?.method;
}

/** Plain-text table for the terminal: one line per method, means only, and the ranking. */
export function evaluationText(evaluation: Evaluation): string {
  const header = ['method', ...evaluation.columns.map((c) => `${c.key}${arrow(c.better)}`)];
  const rows = evaluation.methods.map((m) => [
    m.method,
    ...evaluation.columns.map((c) => {
      const v = m.summary[c.key]?.mean;
      return v !== undefined && Number.isFinite(v) ? v.toFixed(3) : '-';
    }),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]) =>
    r
      .map((v, j) => v.padEnd(widths[j]))
      .join('  ')
      .trimEnd();
  const ranking = evaluation.ranking
    .map((r, i) => `${i + 1}. ${r.method} (${r.meanRank.toFixed(2)})`)
    .join(', ');
  return [line(header), ...rows.map(line), `ranking by mean rank: ${ranking}`].join('\n');
}

export async function evaluationPage(
  evaluation: Evaluation,
  modelName: string,
  imageCount: number,
): Promise<string> {
  const sections: PageSection[] = [];
  const legend = METRICS.filter((m) => evaluation.metrics.includes(m.id))
    .map(
      (m) =>
        `<li><b>${escapeHtml(m.columns.map((c) => c.title).join(', '))}</b>: ${escapeHtml(m.description)}</li>`,
    )
    .join('');
  const skipped = evaluation.skipped.length
    ? `<p class="skip">Not measured: ${evaluation.skipped.map((s) => escapeHtml(s.reason)).join('; ')}.</p>`
    : '';
  sections.push({
    id: 'table',
    title: 'Methods × metrics',
    html:
      `<p>Mean over ${evaluation.images} images with its 95 % bootstrap interval; ↑ higher is better, ↓ lower is better; the best mean is bold.</p>` +
      evaluationTableHtml(evaluation) +
      `<ul>${legend}</ul>${skipped}`,
  });
  const ranking = evaluation.ranking
    .map((r) => `<li>${escapeHtml(r.method)} — mean rank ${formatNumber(r.meanRank)}</li>`)
    .join('');
  sections.push({
    id: 'ranking',
    title: 'Ranking',
    html: `<p>Mean rank over the metric columns (1 = best).</p><ol>${ranking}</ol>`,
  });
  const plots = evaluationPlots(evaluation);
  if (plots.length) {
    const svgs = await Promise.all(plots.map((p) => renderSvg(p.spec)));
    sections.push({ id: 'curves', title: 'Curves', html: `<div class="row">${svgs.join('\n')}</div>` });
  }
  const meta = [
    `model <b>${escapeHtml(modelName)}</b>`,
    `${imageCount} image${imageCount === 1 ? '' : 's'}`,
    'generated by netlens evaluate',
  ].join(' · ');
  return page(`netlens evaluate — ${modelName}`, meta, sections);
}
