/**
 * Approximate k nearest neighbours under the euclidean distance, for data sets where the exact search costs
 * O(n²) distance evaluations (70 000 points: minutes). Two classic steps:
 *
 * 1. A random-projection forest (as Annoy, Dasgupta & Freund 2008): each tree splits its points by the
 *    hyperplane halfway between two random points of the node until a leaf holds at most `leafSize` points; every
 *    pair within a leaf is measured. Points that are close tend to share leaves in some of the trees.
 * 2. NN-descent (Dong, Moses & Li 2011): "a neighbour of a neighbour is likely a neighbour". Each round joins, for
 *    every point, the neighbours it gained in the last round with each other and with its older neighbours
 *    (forward and reverse lists, sampled to `maxCandidates`), until a round improves almost nothing.
 *
 * The work runs as phases of tasks (neighbour-kernels.ts) on the calling thread or, through a `PhaseExecutor`,
 * on worker threads; heaps are written only in APPLY phases, each row by one task, so the neighbours are the same
 * to the last bit on any number of threads. All randomness comes from the seeded generator (tree seeds, and each
 * round's seed of the candidates' hash priorities), so the result is reproducible.
 */
import {
  chunkBounds,
  NEIGHBOUR_PARAM,
  NEIGHBOUR_PHASE,
  ROW_CHUNKS,
  SOURCE_CHUNKS,
  type NeighbourBuffers,
} from './neighbour-kernels.js';
import { siftDown } from './knn-heap.js';
import type { SeededRandom } from './random.js';
import { InlineExecutor, type PhaseExecutor } from './tasks.js';

export interface ApproximateSearchOptions {
  /** Random-projection trees (default 6). */
  trees?: number;
  /** Most points in a leaf (default max(k + 1, 48)). */
  leafSize?: number;
  /** NN-descent rounds at most (default 6). */
  maxRounds?: number;
  /** Candidates sampled per point and round (default 12). */
  maxCandidates?: number;
  /** Stop when a round changes fewer than this share of all n·k entries (default 0.002). */
  delta?: number;
  /** Also fit each row's Gaussian conditionals p(j|i) to this perplexity (perplexity.ts). */
  perplexity?: number;
  /** Runs the tasks (default: all on the calling thread); started and closed here. */
  executor?: PhaseExecutor;
  onProgress?: (done: number, total: number) => void;
}

export interface ApproximateNeighbours {
  k: number;
  /** n × k neighbour indices, nearest first. */
  indices: Int32Array;
  /** n × k euclidean distances matching `indices`. */
  distances: Float64Array;
  /** n × k conditionals p(j|i) matching `indices`, each row summing to 1, when a perplexity was given. */
  conditional?: { perplexity: number; values: Float64Array };
}

/** Sources per block of updates: bounds the update buffer (block × slots per source × 16 bytes). */
const BLOCK = 8192;

export function approximateNeighbors(
  values: Float32Array | Float64Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: ApproximateSearchOptions = {},
): ApproximateNeighbours {
  const trees = options.trees ?? 6;
  const leafSize = Math.max(options.leafSize ?? Math.max(k + 1, 48), 2);
  const maxRounds = options.maxRounds ?? 6;
  const capacity = options.maxCandidates ?? 12;
  const delta = options.delta ?? 0.002;
  const perplexity = options.perplexity ?? 0;
  const executor = options.executor ?? new InlineExecutor();
  const b = allocate(executor, values, n, dim, k, trees, leafSize, capacity, perplexity);
  for (let t = 0; t < trees; t++) b.treeSeeds[t] = random.integer(0x7fffffff);
  const total = trees + maxRounds;
  const run = (phase: number, tasks: number) => executor.run(phase, tasks);
  /** The update/apply cycle over `sources` sources, one block at a time; returns the offers kept. */
  const blocks = (phase: number, sources: number): number => {
    b.accepted.fill(0);
    for (let start = 0; start < sources; start += BLOCK) {
      b.params[NEIGHBOUR_PARAM.blockStart] = start;
      b.params[NEIGHBOUR_PARAM.blockSize] = Math.min(BLOCK, sources - start);
      run(phase, SOURCE_CHUNKS);
      run(NEIGHBOUR_PHASE.apply, ROW_CHUNKS);
    }
    return b.accepted.reduce((sum, v) => sum + v, 0);
  };
  try {
    executor.start({ kind: 'neighbours', buffers: b });
    run(NEIGHBOUR_PHASE.tree, trees);
    renumber(b);
    for (let t = 0; t < trees; t++) {
      b.params[NEIGHBOUR_PARAM.tree] = t;
      blocks(NEIGHBOUR_PHASE.leafJoin, n);
      options.onProgress?.(t + 1, total);
    }
    for (let round = 1; round <= maxRounds; round++) {
      reverseLists(b);
      b.wasNew.set(b.isNew);
      b.params[NEIGHBOUR_PARAM.roundSeed] = random.integer(0x7fffffff);
      run(NEIGHBOUR_PHASE.candidates, ROW_CHUNKS);
      const updates = blocks(NEIGHBOUR_PHASE.join, n);
      options.onProgress?.(trees + round, total);
      if (updates < delta * n * k) break;
    }
    fillShortRows(b);
    run(NEIGHBOUR_PHASE.finish, ROW_CHUNKS);
  } finally {
    executor.close();
  }
  options.onProgress?.(total, total);
  return {
    k,
    indices: b.outIndices,
    distances: b.outDistances,
    conditional: perplexity > 0 ? { perplexity, values: b.conditional } : undefined,
  };
}

function allocate(
  executor: PhaseExecutor,
  values: Float32Array | Float64Array,
  n: number,
  dim: number,
  k: number,
  trees: number,
  leafSize: number,
  capacity: number,
  perplexity: number,
): NeighbourBuffers {
  const f32 = (length: number) => new Float32Array(executor.allocate(4 * length));
  const f64 = (length: number) => new Float64Array(executor.allocate(8 * length));
  const i32 = (length: number) => new Int32Array(executor.allocate(4 * length));
  const u8 = (length: number) => new Uint8Array(executor.allocate(length));
  // Pairs of a leaf per source, or the local join's new × new and new × old pairs.
  const slotsPerSource = Math.max(leafSize - 1, (capacity * (capacity - 1)) / 2 + capacity * capacity);
  const block = Math.min(BLOCK, n);
  const x = f32(n * dim);
  x.set(values);
  return {
    n,
    dim,
    k,
    trees,
    leafSize,
    capacity,
    block,
    slotsPerSource,
    perplexity,
    pointAt: i32(n),
    rowOf: i32(n),
    x,
    heapDistances: f64(n * k).fill(Infinity),
    heapIndices: i32(n * k).fill(-1),
    isNew: u8(n * k),
    wasNew: u8(n * k),
    treeSeeds: i32(trees),
    treeOrder: i32(trees * n),
    leafStart: i32(trees * n),
    leafEnd: i32(trees * n),
    reversePtr: i32(n + 1),
    reverseSlots: i32(n * k),
    newItems: i32(n * capacity),
    newCounts: i32(n),
    oldItems: i32(n * capacity),
    oldCounts: i32(n),
    updateP: i32(block * slotsPerSource),
    updateQ: i32(block * slotsPerSource),
    updateD: f64(block * slotsPerSource),
    nextForP: i32(block * slotsPerSource),
    nextForQ: i32(block * slotsPerSource),
    chainHead: i32(SOURCE_CHUNKS * ROW_CHUNKS),
    chainTail: i32(SOURCE_CHUNKS * ROW_CHUNKS),
    rowChunk: rowChunks(u8(n)),
    accepted: i32(ROW_CHUNKS),
    params: f64(NEIGHBOUR_PARAM.length),
    outIndices: i32(n * k),
    outDistances: f64(n * k),
    conditional: f64(perplexity > 0 ? n * k : 0),
  };
}

/** Rows in the first tree's order: the points, and every tree's order, renumbered. */
function renumber(b: NeighbourBuffers): void {
  const { n, dim, x, pointAt, rowOf, treeOrder } = b;
  pointAt.set(treeOrder.subarray(0, n));
  for (let r = 0; r < n; r++) rowOf[pointAt[r]] = r;
  const original = x.slice();
  for (let r = 0; r < n; r++) x.set(original.subarray(pointAt[r] * dim, (pointAt[r] + 1) * dim), r * dim);
  for (let t = 0; t < treeOrder.length; t++) treeOrder[t] = rowOf[treeOrder[t]];
}

/** Range of rows (APPLY task) of each point. */
function rowChunks(out: Uint8Array): Uint8Array {
  for (let c = 0; c < ROW_CHUNKS; c++) out.fill(c, ...chunkBounds(out.length, ROW_CHUNKS, c));
  return out;
}

/** For every point, the heap slots that list it (counting sort; slots ascending within each point). */
function reverseLists(b: NeighbourBuffers): void {
  const { n, heapIndices, reversePtr, reverseSlots } = b;
  reversePtr.fill(0);
  for (let t = 0; t < heapIndices.length; t++) if (heapIndices[t] >= 0) reversePtr[heapIndices[t] + 1]++;
  for (let i = 0; i < n; i++) reversePtr[i + 1] += reversePtr[i];
  const fill = reversePtr.slice(0, n);
  for (let t = 0; t < heapIndices.length; t++) {
    const j = heapIndices[t];
    if (j >= 0) reverseSlots[fill[j]++] = t;
  }
}

/** A row that still holds fewer than k points (possible only in tiny or degenerate data) is searched exhaustively. */
function fillShortRows(b: NeighbourBuffers): void {
  const { n, k, dim, x, heapDistances: hd, heapIndices: hi } = b;
  for (let i = 0; i < n; i++) {
    if (hd[i * k] < Infinity) continue;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const diff = x[i * dim + c] - x[j * dim + c];
        d += diff * diff;
      }
      if (d >= hd[i * k]) continue;
      let present = false;
      for (let t = i * k; t < (i + 1) * k; t++) if (hi[t] === j) present = true;
      if (present) continue;
      siftDown(hd, hi, i * k, 0, k, d, j);
    }
    if (hi[i * k] < 0) throw new RangeError(`approximate neighbours: k = ${k} is not below n = ${n}`);
  }
}
