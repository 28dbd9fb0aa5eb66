/**
 * RoiAlign with respect to its boxes. Every bin is an average (or, in max mode, the largest) of bilinear
 * samples at y = start_h + ph·bin_h + (iy + ½)·bin_h / grid_h (and likewise x), with start = x1·scale − offset
 * and bin = (x2 − x1)·scale / pooled. Within a cell a sample moves linearly with the box coordinates, and the
 * bilinear value with it: ∂/∂y = hx·(v3 − v1) + lx·(v4 − v2), ∂/∂x = hy·(v2 − v1) + ly·(v4 − v3). The graph
 * recomputes the sample positions as ONNX Runtime does (clamped at 0 and at the last row or column, where the
 * derivative is 0; samples outside [−1, size] are empty), gathers the four corners of every sample from the
 * box's image and sums the chain rule back to (x1, y1, x2, y2).
 *
 * Piecewise: the derivative is taken where it exists (no sample on a cell boundary, no box at the legacy
 * minimum size of 1). With sampling_ratio 0 the number of samples per bin is ⌈box size / pooled⌉, piecewise
 * constant in the box: it is taken as fixed at the run's value (the graph finds it at run time, per box).
 * max mode: the winning term (the first one equal to the output, as the runtime keeps the first maximum)
 * carries the derivative of its own weight·value.
 */
import { DataType, attrFloat, attrInt, attrString, type NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';

/** Largest boxes × channels × bins × samples (× 4 corners in max mode) tensor built. */
const MAX_SAMPLES = 1 << 22;
const FLOAT_MAX = 3.4e38;

interface AxisSamples {
  /** [R, P·G] int64 row (or column) of the low and high corner. */
  low: string;
  high: string;
  /** [R, P·G] fraction towards the high corner. */
  frac: string;
  /** [R, P·G] 1 where the sample moves with the coordinate (not clamped), else 0. */
  moves: string;
  /** [R, P·G] 1 where the sample is inside [−1, size] (not empty). */
  inRange: string;
  /** [R, P·G] 1 where the sample index is below the box's grid count (adaptive grids vary per box). */
  inGrid: string;
  /** [R or 1, P·G] ∂coordinate / ∂box size. */
  along: string;
  /** [R, 1] samples per bin along this axis (float). */
  grid: string;
  /** 1-D int64 [G]: the sample axis' length. */
  gridLength: string;
  /** [R, 1] 1 where the box size is not clamped to the legacy minimum, else 0; undefined when never. */
  free?: string;
}

function axisSamples(
  ctx: RuleContext,
  start: string,
  end: string,
  size: number,
  pooled: number,
  ratio: number,
  legacy: boolean,
): AxisSamples {
  const f = (v: number): string => ctx.constFloat(v);
  const raw = ctx.op('Sub', [end, start]);
  const extent = legacy ? ctx.op('Max', [raw, f(1)]) : raw;
  const free = legacy ? ctx.op('Cast', [ctx.op('Greater', [raw, f(1)])], { to: DataType.FLOAT }) : undefined;
  const bin = ctx.op('Div', [extent, f(pooled)]);
  let grid: string;
  let iota: string;
  let gridLength: string;
  if (ratio > 0) {
    grid = ctx.op('Add', [ctx.op('Mul', [raw, f(0)]), f(ratio)]);
    iota = ctx.constFloat(
      Array.from({ length: ratio }, (_, i) => i),
      [1, 1, ratio],
    );
    gridLength = ctx.constInt64([ratio]);
  } else {
    grid = ctx.op('Ceil', [ctx.op('Div', [extent, f(pooled)])]);
    const longest = ctx.op('Max', [ctx.reduce('ReduceMax', grid, [0, 1], false), f(1)]);
    const count = ctx.op('Cast', [longest], { to: DataType.INT64 });
    const range = ctx.op('Range', [ctx.constInt64([0], []), count, ctx.constInt64([1], [])]);
    iota = ctx.op('Reshape', [ctx.op('Cast', [range], { to: DataType.FLOAT }), ctx.constInt64([1, 1, -1])]);
    gridLength = ctx.op('Shape', [range]);
  }
  const bins = ctx.constFloat(
    Array.from({ length: pooled }, (_, i) => i),
    [1, pooled, 1],
  );
  const grid3 = ctx.unsqueeze(grid, [2]);
  const bin3 = ctx.unsqueeze(bin, [2]);
  const half = ctx.op('Add', [iota, f(0.5)]);
  // The runtime's order: start + ph·bin + (i + ½)·bin / grid.
  const coord = ctx.op('Add', [
    ctx.op('Add', [ctx.unsqueeze(start, [2]), ctx.op('Mul', [bins, bin3])]),
    ctx.op('Div', [ctx.op('Mul', [half, bin3]), grid3]),
  ]);
  const along = ctx.op('Div', [ctx.op('Add', [bins, ctx.op('Div', [half, grid3])]), f(pooled)]);
  const sampleIndex = ctx.op('Add', [iota, ctx.op('Mul', [bins, f(0)])]);
  const inGrid = ctx.op('Cast', [ctx.op('Less', [sampleIndex, grid3])], { to: DataType.FLOAT });
  const notBelow = ctx.op('Not', [ctx.op('Less', [coord, f(-1)])]);
  const notAbove = ctx.op('Not', [ctx.op('Greater', [coord, f(size)])]);
  const inRange = ctx.op('Cast', [ctx.op('And', [notBelow, notAbove])], { to: DataType.FLOAT });
  const clamped = ctx.op('Max', [coord, f(0)]);
  const floor = ctx.op('Floor', [clamped]);
  const last = f(size - 1);
  const top = ctx.op('Not', [ctx.op('Less', [floor, last])]);
  const lowF = ctx.op('Where', [top, last, floor]);
  const highF = ctx.op('Where', [top, last, ctx.op('Add', [floor, f(1)])]);
  const frac = ctx.op('Sub', [ctx.op('Where', [top, last, clamped]), lowF]);
  const moves = ctx.op('And', [ctx.op('Greater', [coord, f(0)]), ctx.op('Not', [top])]);
  const flat = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([0, -1])]);
  const asInt = (t: string): string => flat(ctx.op('Cast', [t], { to: DataType.INT64 }));
  return {
    low: asInt(lowF),
    high: asInt(highF),
    frac: flat(frac),
    moves: flat(ctx.op('Cast', [moves], { to: DataType.FLOAT })),
    inRange: flat(inRange),
    inGrid: flat(inGrid),
    along: flat(along),
    grid,
    gridLength,
    free,
  };
}

/** The largest tensor the rule builds, with an adaptive grid counted as that of a box covering the map. */
function sampleCount(node: NodeProto, ctx: RuleContext, dims: number[], boxes: number): number {
  const [, channels, height, width] = dims;
  const pooledH = attrInt(node, 'output_height', 1);
  const pooledW = attrInt(node, 'output_width', 1);
  const ratio = attrInt(node, 'sampling_ratio', 0);
  const scale = attrFloat(node, 'spatial_scale', 1);
  const gridH = ratio > 0 ? ratio : Math.ceil(height / scale / pooledH);
  const gridW = ratio > 0 ? ratio : Math.ceil(width / scale / pooledW);
  const corners = attrString(node, 'mode', 'avg') === 'max' ? 4 : 1;
  return Math.max(boxes, 1) * channels * pooledH * pooledW * gridH * gridW * corners;
}

/** ∂⟨dY, RoiAlign(X, rois)⟩ / ∂rois, [R, 4]. */
export function roiAlignBoxGradient(node: NodeProto, ctx: RuleContext, dY: string): string {
  const [x, rois, batchIndices] = node.input!;
  const dims = ctx.shape(x);
  const [, channels, height, width] = dims;
  if (dims.length !== 4 || [channels, height, width].some((d) => d < 0)) {
    throw ctx.unsupported('RoiAlign with channel or spatial sizes that vary with the batch size');
  }
  const boxes = ctx.shape(rois)[0];
  const total = sampleCount(node, ctx, dims, boxes);
  if (total > MAX_SAMPLES) {
    throw ctx.unsupported(`gradient with respect to the boxes over ${total} samples (too large)`);
  }
  const pooledH = attrInt(node, 'output_height', 1);
  const pooledW = attrInt(node, 'output_width', 1);
  const ratio = attrInt(node, 'sampling_ratio', 0);
  const scale = attrFloat(node, 'spatial_scale', 1);
  const mode = attrString(node, 'mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') throw ctx.unsupported(`mode '${mode}'`);
  const transform =
    ctx.opset >= 16 ? attrString(node, 'coordinate_transformation_mode', 'half_pixel') : 'output_half_pixel';
  const legacy = transform !== 'half_pixel';
  const f = (v: number): string => ctx.constFloat(v);
  const [x1, y1, x2, y2] = ctx.split(rois, 1, [1, 1, 1, 1]);
  const place = (c: string): string => ctx.op('Sub', [ctx.op('Mul', [c, f(scale)]), f(legacy ? 0 : 0.5)]);
  const ys = axisSamples(ctx, place(y1), place(y2), height, pooledH, ratio, legacy);
  const xs = axisSamples(ctx, place(x1), place(x2), width, pooledW, ratio, legacy);

  // The four corners of every sample, from the box's own image: [R, C, PH·GH, PW·GW].
  const images = ctx.op('Gather', [x, batchIndices], { axis: 0 });
  const rowIndex = (rows: string): string =>
    ctx.op('Add', [
      ctx.unsqueeze(rows, [1, 3]),
      ctx.constInt64(new Array(channels * width).fill(0), [1, channels, 1, width]),
    ]);
  const rowsLow = ctx.op('GatherElements', [images, rowIndex(ys.low)], { axis: 2 });
  const rowsHigh = ctx.op('GatherElements', [images, rowIndex(ys.high)], { axis: 2 });
  const rowZeros = ctx.op('Mul', [ctx.unsqueeze(ys.low, [1, 3]), ctx.constInt64([0], [])]);
  const columnIndex = (columns: string): string =>
    ctx.op('Add', [
      ctx.op('Add', [ctx.unsqueeze(columns, [1, 2]), rowZeros]),
      ctx.constInt64(new Array(channels).fill(0), [1, channels, 1, 1]),
    ]);
  const pick = (rows: string, columns: string): string =>
    ctx.op('GatherElements', [rows, columnIndex(columns)], { axis: 3 });
  const v1 = pick(rowsLow, xs.low);
  const v2 = pick(rowsLow, xs.high);
  const v3 = pick(rowsHigh, xs.low);
  const v4 = pick(rowsHigh, xs.high);
  const lx = ctx.unsqueeze(xs.frac, [1, 2]);
  const hx = ctx.op('Sub', [f(1), lx]);
  const ly = ctx.unsqueeze(ys.frac, [1, 3]);
  const hy = ctx.op('Sub', [f(1), ly]);
  const inside = ctx.op('Mul', [
    ctx.unsqueeze(ctx.op('Mul', [ys.inRange, ys.inGrid]), [1, 3]),
    ctx.unsqueeze(ctx.op('Mul', [xs.inRange, xs.inGrid]), [1, 2]),
  ]);
  const mul = (a: string, b: string): string => ctx.op('Mul', [a, b]);
  const sub = (a: string, b: string): string => ctx.op('Sub', [a, b]);
  const add = (a: string, b: string): string => ctx.op('Add', [a, b]);
  // [R, C, PH, GH, PW, GW] views of the sample tensors.
  const sixD = ctx.op('Concat', [ctx.constInt64([0, 0, pooledH, -1, pooledW]), xs.gridLength], { axis: 0 });
  const dY6 = ctx.unsqueeze(dY, [3, 5]);
  let gy: string;
  let gx: string;
  if (mode === 'avg') {
    const count = ctx.op('Max', [mul(ys.grid, xs.grid), f(1)]);
    const weight = ctx.op('Div', [inside, ctx.unsqueeze(count, [2, 3])]);
    const alongY = add(mul(hx, sub(v3, v1)), mul(lx, sub(v4, v2)));
    const alongX = add(mul(hy, sub(v2, v1)), mul(ly, sub(v4, v3)));
    const spread = (t: string): string => mul(ctx.op('Reshape', [mul(t, weight), sixD]), dY6);
    gy = ctx.reduceSum(spread(alongY), [1, 4, 5], false);
    gx = ctx.reduceSum(spread(alongX), [1, 2, 3], false);
  } else {
    // Terms w·v of every sample and corner as the runtime forms them; samples past a box's grid never win.
    const inGrid = ctx.op('Cast', [mul(ctx.unsqueeze(ys.inGrid, [1, 3]), ctx.unsqueeze(xs.inGrid, [1, 2]))], {
      to: DataType.BOOL,
    });
    const inRange = mul(ctx.unsqueeze(ys.inRange, [1, 3]), ctx.unsqueeze(xs.inRange, [1, 2]));
    const term = (wy: string, wx: string, v: string): string =>
      ctx.op('Where', [inGrid, mul(mul(mul(wy, wx), v), inRange), f(-FLOAT_MAX)]);
    const sevenD = ctx.op('Concat', [sixD, ctx.constInt64([4])], { axis: 0 });
    // [R, C, PH, PW, GH·GW·4]: one bin's candidates on the last axis, in the runtime's order.
    const candidates = (parts: string[]): string => {
      const stacked = ctx.op(
        'Concat',
        parts.map((p) => ctx.unsqueeze(p, [4])),
        { axis: 4 },
      );
      const seven = ctx.op('Reshape', [stacked, sevenD]);
      const ordered = ctx.op('Transpose', [seven], { perm: [0, 1, 2, 4, 3, 5, 6] });
      return ctx.op('Reshape', [ordered, ctx.constInt64([0, 0, 0, 0, -1])]);
    };
    const terms = candidates([term(hy, hx, v1), term(hy, lx, v2), term(ly, hx, v3), term(ly, lx, v4)]);
    const hits = ctx.op('Cast', [ctx.op('Equal', [terms, ctx.unsqueeze(node.output![0], [4])])], {
      to: DataType.FLOAT,
    });
    const running = ctx.op('CumSum', [hits, ctx.constInt64([4], [])]);
    const first = mul(hits, ctx.op('Cast', [ctx.op('Equal', [running, f(1)])], { to: DataType.FLOAT }));
    const routed = mul(first, ctx.unsqueeze(dY, [4]));
    const neg = (t: string): string => ctx.op('Neg', [t]);
    const byY = candidates(
      [neg(mul(hx, v1)), neg(mul(lx, v2)), mul(hx, v3), mul(lx, v4)].map((t) => mul(t, inRange)),
    );
    const byX = candidates(
      [neg(mul(hy, v1)), mul(hy, v2), neg(mul(ly, v3)), mul(ly, v4)].map((t) => mul(t, inRange)),
    );
    // Back to [R, C, PH, PW, GH, GW, 4] and summed to [R, PH, GH] and [R, PW, GW].
    const unflat = ctx.op('Concat', [ctx.constInt64([0, 0, 0, 0, -1]), xs.gridLength, ctx.constInt64([4])], {
      axis: 0,
    });
    const back = (t: string): string => ctx.op('Reshape', [mul(t, routed), unflat]);
    gy = ctx.reduceSum(back(byY), [1, 3, 5, 6], false);
    gx = ctx.reduceSum(back(byX), [1, 2, 4, 6], false);
  }
  const flat = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([0, -1])]);
  const coordinateGrads = (g: string, axis: AxisSamples): [string, string] => {
    const moved = mul(flat(g), axis.moves);
    const atStart = ctx.reduceSum(moved, [1], true);
    let bySize = ctx.reduceSum(mul(moved, axis.along), [1], true);
    if (axis.free) bySize = mul(bySize, axis.free);
    return [mul(sub(atStart, bySize), f(scale)), mul(bySize, f(scale))];
  };
  const [dy1, dy2] = coordinateGrads(gy, ys);
  const [dx1, dx2] = coordinateGrads(gx, xs);
  return ctx.op('Concat', [dx1, dy1, dx2, dy2], { axis: 1 }, 'roi_align_boxes_grad');
}
