/** Top-k classification results from a prediction, with labels. */
import type { OutputDescription, Prediction } from '../types.js';
import { decodeGreedy } from './target.js';

export interface ClassScore {
  index: number;
  label: string;
  probability: number;
  score: number;
}

/** The k most probable classes of each image, best first. */
export function topK(prediction: Prediction, k: number, labels?: readonly string[]): ClassScore[][] {
  const [n, ...rest] = prediction.probabilities.dims;
  const classes = rest.reduce((a, b) => a * b, 1);
  const out: ClassScore[][] = [];
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: classes }, (_, c) => c).sort(
      (a, b) =>
        prediction.probabilities.data[i * classes + b] - prediction.probabilities.data[i * classes + a],
    );
    out.push(
      order.slice(0, Math.min(k, classes)).map((c) => ({
        index: c,
        label: labels?.[c] ?? String(c),
        probability: prediction.probabilities.data[i * classes + c],
        score: prediction.scores.data[i * classes + c],
      })),
    );
  }
  return out;
}

/** What a prediction says about one image, by output kind. */
export type PredictionSummary =
  | { kind: 'class-scores'; top: ClassScore[] }
  | {
      kind: 'dense-map';
      /** Per class: the share of pixels where it wins (K > 1) or where p > 1/2 (K = 1, the foreground). */
      areas: { index: number; label: string; pixels: number; fraction: number }[];
      pixels: number;
    }
  | { kind: 'sequence'; text: string; path: number[]; confidence: number }
  | { kind: 'regression'; values: number[] };

/** One summary per image of a prediction, read as the model's main output description says. */
export function summarizePrediction(
  prediction: Prediction,
  description: Pick<OutputDescription, 'kind' | 'classAxis' | 'decoding' | 'blank'>,
  labels: readonly string[] | undefined,
  k = 3,
): PredictionSummary[] {
  const p = prediction.probabilities;
  const n = p.dims[0];
  const size = p.data.length / n;
  const label = (c: number) => labels?.[c] ?? String(c);
  const out: PredictionSummary[] = [];
  if (description.kind === 'class-scores') {
    return topK(prediction, k, labels).map((top) => ({ kind: 'class-scores', top }));
  }
  for (let i = 0; i < n; i++) {
    const item = p.data.subarray(i * size, (i + 1) * size);
    if (description.kind === 'regression') {
      out.push({
        kind: 'regression',
        values: Array.from(prediction.scores.data.subarray(i * size, (i + 1) * size)),
      });
    } else if (description.kind === 'dense-map') {
      const nhwc = description.classAxis === 3;
      const classes = p.dims[description.classAxis];
      const pixels = size / classes;
      const counts = new Array<number>(classes).fill(0);
      for (let q = 0; q < pixels; q++) {
        const at = (c: number) => (nhwc ? item[q * classes + c] : item[c * pixels + q]);
        if (classes === 1) {
          if (at(0) > 0.5) counts[0]++;
          continue;
        }
        let best = 0;
        for (let c = 1; c < classes; c++) if (at(c) > at(best)) best = c;
        counts[best]++;
      }
      const areas = counts
        .map((count, c) => ({ index: c, label: label(c), pixels: count, fraction: count / pixels }))
        .filter((a) => a.pixels > 0)
        .sort((a, b) => b.pixels - a.pixels || a.index - b.index)
        .slice(0, classes === 1 ? 1 : k);
      out.push({ kind: 'dense-map', areas, pixels });
    } else {
      const [steps, classes] = [p.dims[1], p.dims[2]];
      const path: number[] = [];
      let confidence = 0;
      for (let t = 0; t < steps; t++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (item[t * classes + c] > item[t * classes + best]) best = c;
        path.push(best);
        confidence += item[t * classes + best] / steps;
      }
      const blank = description.decoding === 'ctc' ? (description.blank ?? 0) : -1;
      out.push({ kind: 'sequence', text: decodeGreedy(path, blank, labels), path, confidence });
    }
  }
  return out;
}

/** One line per image for `predict`. */
export function formatSummary(summary: PredictionSummary): string {
  switch (summary.kind) {
    case 'class-scores':
      return summary.top.map((c) => `${c.label} ${(100 * c.probability).toFixed(1)}%`).join(', ');
    case 'dense-map':
      return (
        summary.areas
          .map(
            (a) =>
              `${a.label} ${(100 * a.fraction).toFixed(1)}% of pixels (${a.pixels} of ${summary.pixels})`,
          )
          .join(', ') || 'no pixel above 1/2'
      );
    case 'sequence':
      return `"${summary.text}" (mean step confidence ${(100 * summary.confidence).toFixed(1)}%)`;
    case 'regression':
      return summary.values.map((v) => Number(v.toPrecision(6))).join(', ');
  }
}
