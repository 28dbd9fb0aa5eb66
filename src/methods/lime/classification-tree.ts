/**
 * A CART classification tree with sample weights (weighted Gini impurity), grown with the stopping rules of
 * MATLAB's `fitctree` defaults as `regression-tree.ts` grows `fitrtree`'s: a node with fewer than
 * `minParentSize` (10) samples is a leaf, every leaf keeps at least `minLeafSize` (1) samples, a pure node is
 * a leaf, and a node splits while the best split lowers its weighted impurity. A leaf predicts the class of
 * largest weight (the lowest index on a tie).
 */
import type { RegressionTreeOptions, TreeNode } from './regression-tree.js';

export interface ClassificationTree {
  /** Leaves hold a class index as their value (see `predictTree`). */
  root: TreeNode;
  /**
   * MATLAB `predictorImportance`: per feature, the decrease in weighted Gini risk summed over the splits on
   * it, divided by the number of splits in the tree.
   */
  importance: Float64Array;
  splits: number;
}

/** `features` is row-major samples x numFeatures; `labels` are class indices below `classes`. */
export function fitClassificationTree(
  features: Float64Array,
  numFeatures: number,
  labels: Int32Array,
  classes: number,
  weights: Float64Array,
  options: RegressionTreeOptions = {},
): ClassificationTree {
  const minParentSize = options.minParentSize ?? 10;
  const minLeafSize = options.minLeafSize ?? 1;
  const k = numFeatures;
  const n = labels.length;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += weights[i];
  const importance = new Float64Array(k);
  let splits = 0;
  const order = new Int32Array(n);
  const keys = new Float64Array(n);
  const left = new Float64Array(classes);
  const all = new Float64Array(classes);
  // W·Gini = W − Σ_c W_c² / W for class weights W_c summing to W.
  const impurity = (byClass: Float64Array, w: number, minus?: Float64Array): number => {
    if (w <= 0) return 0;
    let sq = 0;
    for (let c = 0; c < classes; c++) {
      const v = minus ? minus[c] - byClass[c] : byClass[c];
      sq += v * v;
    }
    return Math.max(0, w - sq / w);
  };

  const grow = (indices: Int32Array): TreeNode => {
    all.fill(0);
    let w = 0;
    for (const i of indices) {
      all[labels[i]] += weights[i];
      w += weights[i];
    }
    let value = 0;
    for (let c = 1; c < classes; c++) if (all[c] > all[value]) value = c;
    const nodeError = impurity(all, w);
    const m = indices.length;
    if (m < minParentSize || m < 2 * minLeafSize || nodeError <= 1e-12 * (w + 1e-300)) {
      return { kind: 'leaf', value };
    }
    const totals = Float64Array.from(all);
    let bestError = nodeError;
    let bestFeature = -1;
    let bestThreshold = 0;
    for (let j = 0; j < k; j++) {
      for (let a = 0; a < m; a++) {
        order[a] = a;
        keys[a] = features[indices[a] * k + j];
      }
      const sorted = order.subarray(0, m).sort((a, b) => keys[a] - keys[b] || a - b);
      left.fill(0);
      let lw = 0;
      for (let a = 0; a < m - 1; a++) {
        const i = indices[sorted[a]];
        left[labels[i]] += weights[i];
        lw += weights[i];
        const here = keys[sorted[a]];
        const next = keys[sorted[a + 1]];
        if (here === next || a + 1 < minLeafSize || m - a - 1 < minLeafSize) continue;
        const error = impurity(left, lw) + impurity(left, w - lw, totals);
        if (error < bestError - 1e-12 * (nodeError + 1e-300)) {
          bestError = error;
          bestFeature = j;
          bestThreshold = (here + next) / 2;
        }
      }
    }
    if (bestFeature < 0) return { kind: 'leaf', value };
    const less: number[] = [];
    const more: number[] = [];
    for (const i of indices) (features[i * k + bestFeature] < bestThreshold ? less : more).push(i);
    importance[bestFeature] += (nodeError - bestError) / totalWeight;
    splits++;
    return {
      kind: 'split',
      feature: bestFeature,
      threshold: bestThreshold,
      left: grow(Int32Array.from(less)),
      right: grow(Int32Array.from(more)),
    };
  };

  const root = grow(Int32Array.from({ length: n }, (_, i) => i));
  if (splits > 0) for (let j = 0; j < k; j++) importance[j] /= splits;
  return { root, importance, splits };
}
