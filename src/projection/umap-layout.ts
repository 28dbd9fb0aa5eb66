/**
 * UMAP's layout optimisation (umap-learn's `optimize_layout_euclidean`): stochastic gradient descent on the fuzzy
 * set cross-entropy, one epoch at a time. Each edge is sampled in proportion to its weight (every
 * max(w) / w epochs); each sample pulls both ends together with the attractive gradient of
 * 1 / (1 + a·d^(2b)) and pushes the head away from `negativeSampleRate` random points; gradients are clipped to
 * ±4 and the learning rate falls linearly to 0. Typed arrays throughout. The epochs run as tasks over fixed
 * ranges of points (umap-kernels.ts) on the calling thread or, through a `PhaseExecutor`, on worker threads,
 * with the same result on any number of threads; each range's random points come from its own generator, seeded
 * from the seeded one, so a seed fixes the layout.
 */
import type { ProgressCallback } from '../types.js';
import { chunkBounds } from './neighbour-kernels.js';
import type { SeededRandom } from './random.js';
import { InlineExecutor, type PhaseExecutor } from './tasks.js';
import type { FuzzyGraph } from './umap-graph.js';
import { LAYOUT_CHUNKS, LAYOUT_PARAM, LAYOUT_PHASE, type LayoutBuffers } from './umap-kernels.js';

export interface LayoutOptions {
  epochs: number;
  a: number;
  b: number;
  /** Negative samples per positive sample (default 5). */
  negativeSampleRate?: number;
  /** Weight of the repulsion (default 1). */
  repulsionStrength?: number;
  /** Initial learning rate (default 1). */
  learningRate?: number;
  /** Runs the tasks (default: all on the calling thread); started and closed here. */
  executor?: PhaseExecutor;
  onProgress?: ProgressCallback;
}

const YIELD_EVERY_MS = 100;

/** Optimises `embedding` (n × dims, row-major) in place. */
export async function optimizeLayout(
  embedding: Float64Array,
  dims: number,
  graph: FuzzyGraph,
  random: SeededRandom,
  options: LayoutOptions,
): Promise<void> {
  const { n, indptr, indices, weights } = graph;
  const { epochs } = options;
  const negativeRate = options.negativeSampleRate ?? 5;
  const initialAlpha = options.learningRate ?? 1;
  const executor = options.executor ?? new InlineExecutor();
  // Edges too weak to be sampled even once in all the epochs are dropped, as umap-learn does.
  let largest = 0;
  for (const w of weights) largest = Math.max(largest, w);
  let edges = 0;
  for (const w of weights) if (w >= largest / epochs) edges++;
  const f64 = (length: number) => new Float64Array(executor.allocate(8 * length));
  const i32 = (length: number) => new Int32Array(executor.allocate(4 * length));
  const b: LayoutBuffers = {
    n,
    dims,
    y: f64(n * dims),
    snapshot: f64(n * dims),
    pointChunk: new Uint8Array(executor.allocate(n)),
    edgeStart: i32(LAYOUT_CHUNKS + 1),
    head: i32(edges),
    tail: i32(edges),
    period: f64(edges),
    nextSample: f64(edges),
    negativePeriod: f64(edges),
    nextNegative: f64(edges),
    deltas: f64(LAYOUT_CHUNKS * n * dims),
    randomStates: i32(LAYOUT_CHUNKS),
    params: f64(LAYOUT_PARAM.length),
  };
  b.y.set(embedding);
  for (let c = 0; c < LAYOUT_CHUNKS; c++) {
    const [start, end] = chunkBounds(n, LAYOUT_CHUNKS, c);
    b.pointChunk.fill(c, start, end);
    b.randomStates[c] = random.integer(0x7fffffff);
  }
  let e = 0;
  for (let i = 0; i < n; i++) {
    if (i === chunkBounds(n, LAYOUT_CHUNKS, b.pointChunk[i])[0]) b.edgeStart[b.pointChunk[i]] = e;
    for (let s = indptr[i]; s < indptr[i + 1]; s++) {
      if (weights[s] < largest / epochs) continue;
      b.head[e] = i;
      b.tail[e] = indices[s];
      b.period[e] = largest / weights[s];
      b.nextSample[e] = b.period[e];
      b.negativePeriod[e] = b.period[e] / negativeRate;
      b.nextNegative[e] = b.negativePeriod[e];
      e++;
    }
  }
  b.edgeStart[LAYOUT_CHUNKS] = e;
  // Ranges without points start where the next one does.
  for (let c = LAYOUT_CHUNKS - 1; c >= 0; c--) {
    const [start, end] = chunkBounds(n, LAYOUT_CHUNKS, c);
    if (start === end) b.edgeStart[c] = b.edgeStart[c + 1];
  }
  b.params[LAYOUT_PARAM.a] = options.a;
  b.params[LAYOUT_PARAM.b] = options.b;
  b.params[LAYOUT_PARAM.gamma] = options.repulsionStrength ?? 1;

  try {
    executor.start({ kind: 'umap-layout', buffers: b });
    let lastYield = Date.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      b.params[LAYOUT_PARAM.alpha] = initialAlpha * (1 - epoch / epochs);
      b.params[LAYOUT_PARAM.epoch] = epoch;
      b.snapshot.set(b.y);
      executor.run(LAYOUT_PHASE.epoch, LAYOUT_CHUNKS);
      executor.run(LAYOUT_PHASE.merge, LAYOUT_CHUNKS);
      if (Date.now() - lastYield > YIELD_EVERY_MS) {
        options.onProgress?.({ done: epoch + 1, total: epochs, stage: 'epochs' });
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
    }
  } finally {
    executor.close();
  }
  embedding.set(b.y);
  options.onProgress?.({ done: epochs, total: epochs, stage: 'epochs' });
}
