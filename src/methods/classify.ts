/** Top-k classification results from a prediction, with labels. */
import type { Prediction } from '../types.js';

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
