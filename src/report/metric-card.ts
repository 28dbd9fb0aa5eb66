/**
 * The metric card shown under each map in the report: deletion and insertion AUC of that map (16 steps,
 * blurred replacement) and the method's sanity verdict — the mean Spearman correlation of |map| with the
 * same method's map on the model with every learned layer re-initialised (Adebayo et al. 2018), over the
 * first few images to keep the report quick. A method whose maps stay alike (Spearman ≥ 0.5) does not
 * depend on what the model learned.
 */
import { relevanceGame } from '../eval/deletion.js';
import { SANITY_SPEARMAN_THRESHOLD } from '../eval/sanity.js';
import { spearman } from '../eval/stats.js';
import type { Explainer, ExplainerRun } from '../explainers/spec.js';
import type { Model } from '../types.js';
import { escapeHtml, formatNumber } from './html.js';
import type { ReportInput } from './section.js';

/** Images the sanity verdict is measured on. */
export const SANITY_IMAGES = 4;

export interface MetricCard {
  deletion: number;
  insertion: number;
  /** The method's mean Spearman of |map| with its map on the fully randomised model (undefined: not measured). */
  randomizedSpearman?: number;
  /** Images that mean is over. */
  sanityImages?: number;
}

/** Cards for a run with one class map per image, or undefined when the maps are not class maps. */
export async function metricCards(
  input: ReportInput,
  explainer: Explainer,
  run: ExplainerRun,
  options: Record<string, unknown>,
): Promise<MetricCard[] | undefined> {
  const n = input.images.length;
  if (run.maps.dims[0] !== n || run.classes.some((c) => c === undefined)) return undefined;
  const classes = run.classes as number[];
  const batch = { maps: run.maps, classes };
  const common = { steps: 16, seed: input.seed, miniBatchSize: input.miniBatchSize };
  const deletion = await relevanceGame('deletion', input.model, input.input, batch, common);
  const insertion = await relevanceGame('insertion', input.model, input.input, batch, common);
  let sanity: { randomizedSpearman: number; sanityImages: number } | undefined;
  const model: Model | undefined = input.randomizedModel ? await input.randomizedModel() : undefined;
  if (model) {
    const m = Math.min(n, SANITY_IMAGES);
    const first = {
      data: input.input.data.subarray(0, (input.input.data.length / n) * m),
      dims: [m, ...input.input.dims.slice(1)],
    };
    const other = await explainer.run(model, first, { ...options, target: classes.slice(0, m) });
    const size = run.maps.dims[1] * run.maps.dims[2];
    let sum = 0;
    for (let i = 0; i < m; i++) {
      sum += spearman(
        run.maps.data.subarray(i * size, (i + 1) * size).map(Math.abs),
        other.maps.data.subarray(i * size, (i + 1) * size).map(Math.abs),
      );
    }
    sanity = { randomizedSpearman: sum / m, sanityImages: m };
  }
  return classes.map((_, i) => ({ deletion: deletion.auc[i], insertion: insertion.auc[i], ...sanity }));
}

export function metricCardHtml(card: MetricCard): string {
  const parts = [`deletion ${formatNumber(card.deletion)} ↓`, `insertion ${formatNumber(card.insertion)} ↑`];
  const rho = card.randomizedSpearman;
  if (rho !== undefined && Number.isFinite(rho)) {
    const passes = rho < SANITY_SPEARMAN_THRESHOLD;
    parts.push(
      `method sanity ${passes ? 'passes' : 'fails'} (ρ ${formatNumber(rho)} with maps of the randomised model, ${card.sanityImages} images)`,
    );
  }
  return `<div class="card">${escapeHtml(parts.join(' · '))}</div>`;
}
