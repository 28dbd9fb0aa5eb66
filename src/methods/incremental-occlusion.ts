/**
 * Incremental inference for single-window perturbations. A masked copy differs from the image only inside the
 * window, so through the spatially local prefix of the network (onnx/local-prefix.ts) only the window's
 * footprint changes at each layer. The unmasked image's maps at a chain of cut layers are computed once; per
 * mask each piece of the prefix between two cuts runs on a crop of the earlier cut's map (the cached map with
 * the changed cells pasted in) that holds the receptive field of the later cut's footprint. Crops start at a
 * multiple of the piece's stride, so every intermediate grid lines up, and reach the map's border wherever the
 * field does, so padding is real padding only there. The last cut's footprint is pasted into a copy of its
 * cached map and the rest of the network runs on the full maps. The scores are those of the full network on
 * the masked image up to float32 rounding.
 */
import { UnsupportedError } from '../errors.js';
import { probabilitiesOf } from '../model.js';
import { footprint, receptiveRange, type AxisGeometry, type PrefixCut } from '../onnx/local-prefix.js';
import type { Model, ProgressCallback, TensorData } from '../types.js';
import type { ScoreKind } from './class-scores.js';
import { callChunkSize } from './call-size.js';
import type { ImageGeometry } from './image-layout.js';

/** A mask range [start, end) per position along one axis. */
export interface AxisRanges {
  start: Int32Array;
  end: Int32Array;
}

/** Per mask position along one axis: the cells of a cut that change and the crop of the earlier map that gives them. */
export interface AxisCrop {
  cells: [number, number];
  crop: [number, number];
}

/** Which path computed the masked copies' scores, and why. */
export interface InferencePath {
  path: 'incremental' | 'full';
  /** The cut layers of the incremental path, in order (the tail runs from the last). */
  layers?: string[];
  /** Estimated cost per mask relative to a full forward pass (the incremental path only). */
  costRatio?: number;
  reason: string;
}

/** One piece of the prefix: from `from` (the input or a cut) to the cut `to`, per mask position. */
export interface Stage {
  from: string;
  /** [C, H, W] of the map the crops are taken from. */
  fromDims: [number, number, number];
  to: PrefixCut;
  /** Cells of `from` per cell of `to`, along rows and columns. */
  step: [number, number];
  rows: AxisCrop[];
  cols: AxisCrop[];
}

export interface IncrementalPlan {
  stages: Stage[];
  costRatio: number;
}

/** Below this estimated cost per mask (relative to a full pass) the incremental path is taken. */
export const INCREMENTAL_COST_LIMIT = 0.8;
/**
 * Estimated fixed cost per mask of one more runtime call on crops (the piece's share of a call, the patch and its
 * bookkeeping), in the cost units of local-prefix.ts: about 0.05 ms, with some 75 million units a millisecond
 * on one core (MobileNetV2 at 224 x 224: 400 million units, 6 ms). On small networks this is what decides:
 * a 64 x 64 fixture's whole pass is some 17 million units.
 */
const PIECE_OVERHEAD = 4e6;
/**
 * Estimated cost of copying one float in JavaScript (crops, patches, the tail's maps), in the cost units of
 * local-prefix.ts: copies go row by row through typed-array views, about 0.1 ns a float plus a call per row, and
 * the tail's runtime call reads its input once more (on MobileNetV2, cuts at 192-channel maps measured some
 * 15 % slower than at the 32- and 64-channel block outputs around them, which this weight reproduces).
 */
const COPY_COST = 100;

/**
 * Crops along one axis of a map of `length` cells for the later cells `cells` (one range per mask position),
 * with `g` the geometry of the later cells over this map. A crop starts at a multiple of the stride at or before
 * the cells' receptive field and holds all of it; crops share one length where the map allows (so masks batch
 * together), shifted back from the far border where that keeps the alignment, else cut there.
 */
export function axisCrops(g: AxisGeometry, length: number, cells: readonly [number, number][]): AxisCrop[] {
  const s = g.stride;
  const raw = cells.map((c) => {
    const [need, to] = receptiveRange(g, c, length);
    return { cells: c, start: Math.floor(need / s) * s, to };
  });
  const uniform = Math.min(length, Math.max(...raw.map((r) => Math.ceil((r.to - r.start) / s) * s)));
  return raw.map(({ cells: c, start }): AxisCrop => {
    if (start + uniform <= length) return { cells: c, crop: [start, start + uniform] };
    if ((length - uniform) % s === 0) return { cells: c, crop: [length - uniform, length] };
    return { cells: c, crop: [start, length] };
  });
}

function lengthCounts(crops: readonly AxisCrop[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of crops) out.set(c.crop[1] - c.crop[0], (out.get(c.crop[1] - c.crop[0]) ?? 0) + 1);
  return out;
}

interface Source {
  layer: string;
  dims: [number, number, number];
  rowStride: number;
  colStride: number;
  prefixLength: number;
}

/** Estimated cost per mask of running `to`'s prefix nodes after `source` on the crops (absolute units). */
function stageCost(
  source: Source,
  to: PrefixCut,
  rows: AxisCrop[],
  cols: AxisCrop[],
  height: number,
  width: number,
) {
  const nodes = to.prefixNodes.slice(source.prefixLength);
  let sum = 0;
  for (const [rl, rn] of lengthCounts(rows)) {
    for (const [cl, cn] of lengthCounts(cols)) {
      let cost = 0;
      for (const n of nodes) {
        const fraction =
          (Math.ceil((rl * source.rowStride) / n.rowStride) *
            Math.ceil((cl * source.colStride) / n.colStride)) /
          (Math.ceil(height / n.rowStride) * Math.ceil(width / n.colStride));
        cost += n.cost * Math.min(1, fraction);
      }
      sum += (cost + COPY_COST * source.dims[0] * rl * cl) * rn * cn;
    }
  }
  return sum / (rows.length * cols.length);
}

/**
 * The cheapest chain of cuts for these mask positions (dynamic programming over the cuts: each piece costs its
 * nodes on its crops), or the reason the full path runs. `choice` 'incremental' takes the cheapest chain
 * whatever its cost; `layer` makes the chain end at that cut.
 */
export async function planIncremental(
  model: Model,
  ...request: PlanRequest
): Promise<IncrementalPlan | InferencePath> {
  const [geo, rows, cols, choice, layer] = request;
  // The search costs some 10 ms on MobileNetV2: repeated calls with the same geometry and masks reuse it.
  const key = JSON.stringify([
    geo.layout,
    geo.channels,
    geo.height,
    geo.width,
    Array.from(rows.start),
    Array.from(rows.end),
    Array.from(cols.start),
    Array.from(cols.end),
    choice,
    layer ?? null,
  ]);
  let plans = planCache.get(model);
  if (!plans) planCache.set(model, (plans = new Map()));
  const known = plans.get(key);
  if (known) return known;
  const plan = await searchPlan(model, ...request);
  if (plans.size >= PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value as string);
  plans.set(key, plan);
  return plan;
}

const planCache = new WeakMap<Model, Map<string, IncrementalPlan | InferencePath>>();
const PLAN_CACHE_SIZE = 16;

/** What a plan is made for: the image geometry, the mask positions, the choice and the cut to end at. */
type PlanRequest = [
  geo: ImageGeometry,
  rows: AxisRanges,
  cols: AxisRanges,
  choice: 'auto' | 'incremental',
  layer?: string,
];

async function searchPlan(
  model: Model,
  ...[geo, rows, cols, choice, layer]: PlanRequest
): Promise<IncrementalPlan | InferencePath> {
  const full = (reason: string): InferencePath => {
    if (choice === 'incremental' || layer !== undefined) {
      throw new UnsupportedError('UNSUPPORTED_MODEL', `incremental occlusion is not possible: ${reason}`);
    }
    return { path: 'full', reason };
  };
  if (!model.localPrefix || !model.runLocal) return full('the model does not expose its local prefix');
  if (geo.layout !== 'NCHW') return full('the input is not NCHW');
  if (!model.outputDescriptions?.[0]) return full('the main output is not described');
  const prefix = await model.localPrefix();
  if (!prefix || prefix.height !== geo.height || prefix.width !== geo.width) {
    return full('the input is not an image of the size the model was probed at');
  }
  const { cuts, totalCost } = prefix;
  if (layer !== undefined && !cuts.some((c) => c.layer === layer)) {
    return full(`'${layer}' does not end a spatially local prefix`);
  }
  if (cuts.length === 0) {
    return full(`no spatially local prefix to cut (the network mixes space at ${prefix.endsAt})`);
  }
  const ranges = (r: AxisRanges): [number, number][] => Array.from(r.start, (s, i) => [s, r.end[i]]);
  const input: Source = {
    layer: prefix.input,
    dims: [geo.channels, geo.height, geo.width],
    rowStride: 1,
    colStride: 1,
    prefixLength: 0,
  };
  const best = new Map<string, { cost: number; stages: Stage[] }>([[input.layer, { cost: 0, stages: [] }]]);
  const sources: Source[] = [input];
  let chosen: { cost: number; stages: Stage[] } | undefined;
  for (const to of cuts) {
    // Absolute footprints: the cells of `to` that a mask can change.
    const rowCells = ranges(rows).map(([a, b]) => footprint(to.rows, a, b));
    const colCells = ranges(cols).map(([a, b]) => footprint(to.cols, a, b));
    let bestHere: { cost: number; stages: Stage[] } | undefined;
    for (const source of sources) {
      const g = source === input ? to : to.from[source.layer];
      const before = best.get(source.layer);
      if (!g || !before) continue;
      const stage: Stage = {
        from: source.layer,
        fromDims: source.dims,
        to,
        step: [g.rows.stride, g.cols.stride],
        rows: axisCrops(g.rows, source.dims[1], rowCells),
        cols: axisCrops(g.cols, source.dims[2], colCells),
      };
      const cost =
        before.cost + stageCost(source, to, stage.rows, stage.cols, geo.height, geo.width) + PIECE_OVERHEAD;
      if (!bestHere || cost < bestHere.cost) bestHere = { cost, stages: [...before.stages, stage] };
    }
    if (!bestHere) continue;
    best.set(to.layer, bestHere);
    sources.push({
      layer: to.layer,
      dims: to.dims,
      rowStride: to.rows.stride,
      colStride: to.cols.stride,
      prefixLength: to.prefixNodes.length,
    });
    const end =
      bestHere.cost + to.tailCost + PIECE_OVERHEAD + COPY_COST * to.dims[0] * to.dims[1] * to.dims[2];
    if (layer === undefined ? !chosen || end < chosen.cost : to.layer === layer)
      chosen = { cost: end, stages: bestHere.stages };
  }
  if (!chosen) return full('no chain of cuts reaches the chosen layer');
  const plan: IncrementalPlan = { stages: chosen.stages, costRatio: chosen.cost / totalCost };
  if (choice === 'auto' && layer === undefined && plan.costRatio >= INCREMENTAL_COST_LIMIT) {
    return full(
      `the window's footprint is too large at every cut (best estimate: ` +
        `${Math.round(plan.costRatio * 100)} % of a full pass per mask)`,
    );
  }
  return plan;
}

export function describePlan(plan: IncrementalPlan): InferencePath {
  const last = plan.stages[plan.stages.length - 1].to;
  return {
    path: 'incremental',
    layers: plan.stages.map((s) => s.to.layer),
    costRatio: plan.costRatio,
    reason:
      `the local prefix run on crops in ${plan.stages.length} piece(s) up to '${last.layer}' ` +
      `(${last.dims.join('x')}, stride ${last.rows.stride}); estimated ${Math.round(plan.costRatio * 100)} % of ` +
      `a full pass per mask`,
  };
}

/** The network's tail from a cut, scored as the full path scores (probabilities or the reduction layer). */
export interface TailScorer {
  /** The tensor the scores are read from. */
  output: string;
  /** Scores of `n` items from that tensor's values. */
  fromOutput(out: TensorData, n: number): TensorData;
  /** Scores of the maps at the cut, through the rest of the network. */
  score(maps: TensorData, miniBatchSize: number): Promise<TensorData>;
}

export async function tailScorer(model: Model, layer: string, kind: ScoreKind): Promise<TailScorer> {
  const description = model.outputDescriptions?.[0];
  const output = kind === 'probability' ? model.outputName : await model.reductionLayer();
  const fromOutput = (out: TensorData, n: number): TensorData => {
    const scores = kind === 'probability' && description ? probabilitiesOf(description, out) : out;
    return { data: scores.data, dims: [n, scores.data.length / n] };
  };
  return {
    output,
    fromOutput,
    async score(maps, miniBatchSize) {
      const out = await (model.runLocal as NonNullable<Model['runLocal']>).call(model, layer, output, maps, {
        miniBatchSize,
      });
      return fromOutput(out, maps.dims[0]);
    },
  };
}

export interface IncrementalRun {
  model: Model;
  plan: IncrementalPlan;
  input: TensorData;
  geo: ImageGeometry;
  /** Mask ranges per position along each axis (the same positions the plan was made for). */
  rows: AxisRanges;
  cols: AxisRanges;
  maskValues: readonly number[][];
  miniBatchSize: number;
  scorer: TailScorer;
  /** Items numbered as the full path numbers them: the B unmasked images, then (image, position) pairs. */
  collect(scores: TensorData, first: number, count: number): void;
  onProgress?: ProgressCallback;
}

/**
 * Values of a [C, H, W] map that differ from the cached map: rows [y0, y1) x cols [x0, x1), all channels, read
 * in place from `data` (a piece's output or the mask's per-channel values): element (c, y, x) of the patch is
 * data[base + c·channelStride + (y − y0)·rowStride + x − x0]. Reading in place spares a copy per piece.
 */
interface Patch {
  rows: [number, number];
  cols: [number, number];
  data: Float32Array;
  base: number;
  channelStride: number;
  rowStride: number;
}

/** Row length from which `set` on a view copies faster than an element loop (measured: 1.4 ns a float by loop). */
const LONG_ROW = 32;

/** Copies the crop of image `b`'s cached map `src` ([B, C, H, W]) to `dst` at `offset`, then the patch over it. */
function writeCrop(
  dst: Float32Array,
  offset: number,
  src: Float32Array,
  [channels, height, width]: readonly number[],
  b: number,
  [[r0, r1], [c0, c1]]: [[number, number], [number, number]],
  patch: Patch,
): void {
  const cw = c1 - c0;
  const ch = r1 - r0;
  if (cw === width && ch === height) {
    // The whole map (the tail's input): one copy.
    const from = b * channels * height * width;
    dst.set(src.subarray(from, from + channels * height * width), offset);
  } else {
    // Row by row: a view and a block copy where rows are long, an element loop where a view costs more.
    const long = cw >= LONG_ROW;
    for (let c = 0; c < channels; c++) {
      const plane = (b * channels + c) * height * width;
      let to = offset + c * ch * cw;
      for (let y = r0; y < r1; y++) {
        const row = plane + y * width + c0;
        if (long) dst.set(src.subarray(row, row + cw), to);
        else for (let x = 0; x < cw; x++) dst[to + x] = src[row + x];
        to += cw;
      }
    }
  }
  const [py0, py1] = [Math.max(patch.rows[0], r0), Math.min(patch.rows[1], r1)];
  const [px0, px1] = [Math.max(patch.cols[0], c0), Math.min(patch.cols[1], c1)];
  if (py0 >= py1 || px0 >= px1) return;
  const { data, base, channelStride, rowStride } = patch;
  const span = px1 - px0;
  for (let c = 0; c < channels; c++) {
    for (let y = py0; y < py1; y++) {
      const from = base + c * channelStride + (y - patch.rows[0]) * rowStride + px0 - patch.cols[0];
      const to = offset + (c * ch + y - r0) * cw + px0 - c0;
      for (let x = 0; x < span; x++) dst[to + x] = data[from + x];
    }
  }
}

/** The cells `cells` (inclusive ranges) of item `i` of a crop output whose crop started at cell `origin`. */
function cutPatch(
  out: TensorData,
  i: number,
  rows: [number, number],
  cols: [number, number],
  origin: [number, number],
): Patch {
  const [, channels, outH, outW] = out.dims;
  const [y0, y1] = [rows[0] - origin[0], rows[1] - origin[0]];
  const [x0, x1] = [cols[0] - origin[1], cols[1] - origin[1]];
  if (y0 < 0 || x0 < 0 || y1 >= outH || x1 >= outW) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      'a crop of the local prefix misses cells of its footprint',
    );
  }
  return {
    rows: [rows[0], rows[1] + 1],
    cols: [cols[0], cols[1] + 1],
    data: out.data as Float32Array,
    base: (i * channels * outH + y0) * outW + x0,
    channelStride: outH * outW,
    rowStride: outW,
  };
}

export async function runIncremental(run: IncrementalRun): Promise<void> {
  const { model, plan, input, geo, miniBatchSize } = run;
  const runLocal = (model.runLocal as NonNullable<Model['runLocal']>).bind(model);
  const last = plan.stages[plan.stages.length - 1].to;
  // The unmasked images' maps at every cut and their scores, in one pass.
  const cached = await model.run(input, [...plan.stages.map((s) => s.to.layer), run.scorer.output], {
    miniBatchSize,
  });
  const mapOf = (layer: string): Float32Array =>
    layer === model.inputName ? input.data : cached[layer].data;
  const [channels, mapH, mapW] = last.dims;
  const mapSize = channels * mapH * mapW;
  run.collect(run.scorer.fromOutput(cached[run.scorer.output], geo.batch), 0, geo.batch);

  const cols = run.cols.start.length;
  const positions = run.rows.start.length * cols;
  const total = geo.batch * positions;
  // Chunks sized like the full path's calls (call-size.ts): the largest crop or map of an item decides.
  const itemSize = Math.max(
    mapSize,
    ...plan.stages.map(
      (st) =>
        st.fromDims[0] *
        (st.rows[0].crop[1] - st.rows[0].crop[0]) *
        (st.cols[0].crop[1] - st.cols[0].crop[0]),
    ),
  );
  const chunkSize = callChunkSize(miniBatchSize, total, itemSize);
  const maps = new Float32Array(chunkSize * mapSize);
  // One buffer for every piece's crops, written afresh before each call (fresh arrays per call cost page faults).
  const scratch = new Float32Array(chunkSize * itemSize);
  for (let first = 0; first < total; first += chunkSize) {
    const count = Math.min(chunkSize, total - first);
    const where = (k: number) => {
      const item = first + k;
      const pos = item % positions;
      return { b: Math.floor(item / positions), r: Math.floor(pos / cols), c: pos % cols };
    };
    // The masks themselves are the first patches: one row of values per channel, read for every row.
    let patches: Patch[] = Array.from({ length: count }, (_, k) => {
      const { b, r, c } = where(k);
      const [x0, x1] = [run.cols.start[c], run.cols.end[c]];
      const data = new Float32Array(geo.channels * (x1 - x0));
      for (let ch = 0; ch < geo.channels; ch++)
        data.fill(run.maskValues[b][ch], ch * (x1 - x0), (ch + 1) * (x1 - x0));
      return {
        rows: [run.rows.start[r], run.rows.end[r]],
        cols: [x0, x1],
        data,
        base: 0,
        channelStride: x1 - x0,
        rowStride: 0,
      };
    });
    for (const stage of plan.stages) {
      const next: Patch[] = new Array<Patch>(count);
      // Items grouped by crop size: one runtime call per size.
      const groups = new Map<string, number[]>();
      for (let k = 0; k < count; k++) {
        const { r, c } = where(k);
        const key = `${stage.rows[r].crop[1] - stage.rows[r].crop[0]}x${stage.cols[c].crop[1] - stage.cols[c].crop[0]}`;
        const group = groups.get(key);
        if (group) group.push(k);
        else groups.set(key, [k]);
      }
      const src = mapOf(stage.from);
      const [sr, sc] = stage.step;
      for (const items of groups.values()) {
        const { r: r0, c: c0 } = where(items[0]);
        const ch = stage.rows[r0].crop[1] - stage.rows[r0].crop[0];
        const cw = stage.cols[c0].crop[1] - stage.cols[c0].crop[0];
        const cropSize = stage.fromDims[0] * ch * cw;
        const crops = scratch.subarray(0, items.length * cropSize);
        items.forEach((k, i) => {
          const { b, r, c } = where(k);
          writeCrop(
            crops,
            i * cropSize,
            src,
            stage.fromDims,
            b,
            [stage.rows[r].crop, stage.cols[c].crop],
            patches[k],
          );
        });
        const out = await runLocal(
          stage.from,
          stage.to.layer,
          { data: crops, dims: [items.length, stage.fromDims[0], ch, cw] },
          { miniBatchSize },
        );
        items.forEach((k, i) => {
          const { r, c } = where(k);
          const origin: [number, number] = [stage.rows[r].crop[0] / sr, stage.cols[c].crop[0] / sc];
          next[k] = cutPatch(out, i, stage.rows[r].cells, stage.cols[c].cells, origin);
        });
      }
      patches = next;
    }
    for (let k = 0; k < count; k++) {
      const { b } = where(k);
      const dst = maps.subarray(k * mapSize, (k + 1) * mapSize);
      writeCrop(
        dst,
        0,
        cached[last.layer].data,
        last.dims,
        b,
        [
          [0, mapH],
          [0, mapW],
        ],
        patches[k],
      );
    }
    const scores = await run.scorer.score(
      { data: maps.subarray(0, count * mapSize), dims: [count, channels, mapH, mapW] },
      miniBatchSize,
    );
    run.collect(scores, geo.batch + first, count);
    run.onProgress?.({ done: geo.batch + first + count, total: geo.batch + total, stage: 'forward passes' });
  }
}
