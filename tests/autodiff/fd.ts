/**
 * Comparing a VJP graph with central finite differences of ⟨output, dY⟩ (no vitest dependency: the conformance
 * runner in tools/ uses it too).
 */
import type * as ort from 'onnxruntime-node';
import { cloneModel, makeValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import type { BackpropRule, TensorData } from '../../src/types.js';
import { normals, randomTensor, runFeeds, runVjp, session, uniform } from './probe.js';

export interface FdOptions {
  output?: string;
  /** Defaults to every input in `inputs`. */
  wrt?: string[];
  rule?: BackpropRule;
  /** Step of the central difference (default 1e-2: exact for piecewise-linear ops away from kinks). */
  eps?: number;
  /** Random directions besides the gradient's own direction (default 3). */
  directions?: number;
  /**
   * Nonzero elements per random direction (default: all). Whole ReLU networks need sparse directions: a dense
   * one moves every unit at once and crosses ReLU kinks somewhere for any usable ε.
   */
  sparsity?: number;
  /**
   * Extra directions: the gradient restricted to a random half of the elements (default 0). Strong signal
   * where random directions are drowned in float32 noise (whole networks), and still sensitive to a gradient
   * that is wrong in any region.
   */
  maskedGradientDirections?: number;
  /** Compare every element against its own central difference (default: when the inputs are small). */
  elementwise?: boolean;
  /** Relative tolerance (default 2e-3). */
  rtol?: number;
  seed?: number;
  shapes?: Record<string, number[]>;
  /**
   * Widen the tolerance by the float32 noise of f measured from second differences (for models whose
   * internal sums are long: only valid where f is smooth at the scale of ε).
   */
  measuredNoise?: boolean;
  /** Feeds that are not differentiated (integer indices, shapes): passed as they are to every run. */
  fixed?: Record<string, ort.Tensor>;
  /**
   * Per input, 1 for the elements that may move (default: all): where the op is only defined for one value
   * of an element (a scale the runtime requires to be exactly 1), the check runs within the others.
   */
  movable?: Record<string, Uint8Array>;
}

/** The output's shape differs at a perturbed input (a size that follows a float input, at a jump). */
export class OutputShapeChanged extends Error {}

export interface FdReport {
  /** Largest error / tolerance seen over all checks (<= 1 means pass). */
  worst: number;
  checks: number;
  grads: TensorData[];
  /** One line per check whose error exceeded its tolerance (empty when all pass). */
  failures: string[];
}

/**
 * Checks ⟨VJP, v⟩ against (f(x+εv) − f(x−εv)) / 2ε for f(x) = ⟨output(x), dY⟩ along the gradient's own
 * direction, along random directions, and (on small inputs) element by element. Float32 rounding of f is
 * accounted for by an absolute term that scales with Σ|y·dY| / ε.
 */
export async function compareVjpWithFd(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  options: FdOptions = {},
): Promise<FdReport> {
  const failures: string[] = [];
  const fixed = options.fixed ?? {};
  const output = options.output ?? model.graph!.output![0].name!;
  const wrt = options.wrt ?? Object.keys(inputs);
  const eps = options.eps ?? 1e-2;
  const rtol = options.rtol ?? 2e-3;
  const rand = uniform(options.seed ?? 1234);
  const vjp = await runVjp(model, inputs, (dims) => randomTensor(rand, dims), {
    output,
    wrt,
    rule: options.rule,
    shapes: options.shapes,
    fixed,
  });
  const forward = await session(model);
  const exposedOutput = (model.graph!.output ?? []).some((o) => o.name === output);
  const evalModel = exposedOutput ? forward : await session(withOutput(model, output));
  const f = async (
    shift: Record<string, Float32Array>,
    scale: number,
  ): Promise<{ value: number; magnitude: number }> => {
    const feeds: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(inputs)) {
      const d = shift[k];
      feeds[k] = d ? { data: v.data.map((x, i) => x + scale * d[i]), dims: v.dims } : v;
    }
    const y = (await runFeeds(evalModel, feeds, fixed))[output];
    if (y.dims.join(',') !== vjp.seed.dims.join(',')) {
      throw new OutputShapeChanged(
        `the output's shape changes under the perturbation ([${vjp.seed.dims}] → [${y.dims}])`,
      );
    }
    let value = 0;
    let magnitude = 0;
    for (let i = 0; i < y.data.length; i++) {
      value += y.data[i] * vjp.seed.data[i];
      magnitude += Math.abs(y.data[i] * vjp.seed.data[i]);
    }
    return { value, magnitude };
  };
  let worst = 0;
  const centre = options.measuredNoise ? (await f({}, 0)).value : 0;
  let checks = 0;
  const gradNorm = Math.sqrt(vjp.grads.reduce((s, g) => s + dot(g.data, g.data), 0));
  const movable = options.movable ?? {};
  const pinned = (w: string, v: Float32Array): Float32Array =>
    movable[w] ? v.map((x, e) => (movable[w][e] ? x : 0)) : v;
  const check = async (raw: Record<string, Float32Array>, label: string): Promise<void> => {
    const direction = Object.fromEntries(Object.entries(raw).map(([w, v]) => [w, pinned(w, v)]));
    const plus = await f(direction, eps);
    const minus = await f(direction, -eps);
    const fd = (plus.value - minus.value) / (2 * eps);
    const predicted = wrt.reduce(
      (s, w, i) => s + (direction[w] ? dot(vjp.grads[i].data, direction[w]) : 0),
      0,
    );
    const vNorm = Math.sqrt(Object.values(direction).reduce((s, v) => s + dot(v, v), 0));
    const n = Object.values(direction).reduce((s, v) => s + v.length, 0);
    const typical = (gradNorm * vNorm) / Math.sqrt(n);
    const roundoff = (8 * 6e-8 * Math.max(plus.magnitude, minus.magnitude)) / eps;
    // x ± εv is rounded to float32: each moved element shifts by up to 2⁻²⁴|x|, which moves f by |g·x|·2⁻²⁴.
    let moved = 0;
    wrt.forEach((w, i) => {
      const v = direction[w];
      if (!v) return;
      const g = vjp.grads[i].data;
      const x = inputs[w].data;
      for (let e = 0; e < v.length; e++) if (v[e] !== 0) moved += Math.abs(g[e] * x[e]);
    });
    const inputRounding = (2 ** -24 * moved) / eps;
    // Rounding inside long reductions is not bounded by the output's magnitude: where f is smooth, the
    // second difference f(x+εv) − 2f(x) + f(x−εv) is mostly that noise, and measures it.
    const noise = options.measuredNoise ? (2 * Math.abs(plus.value - 2 * centre + minus.value)) / eps : 0;
    const tolerance = rtol * (Math.abs(predicted) + typical) + roundoff + inputRounding + noise + 1e-7;
    const ratio = Math.abs(fd - predicted) / tolerance;
    worst = Math.max(worst, ratio);
    checks++;
    if (!(ratio <= 1)) {
      failures.push(`${label}: VJP·v = ${predicted}, finite difference = ${fd}, tolerance ${tolerance}`);
    }
  };

  // The gradient's own direction: catches wrong scale as well as wrong sign.
  if (gradNorm > 0) {
    const own: Record<string, Float32Array> = {};
    wrt.forEach((w, i) => (own[w] = vjp.grads[i].data.map((g) => g / gradNorm)));
    await check(own, 'gradient direction');
  }
  for (let k = 0; k < (options.maskedGradientDirections ?? 0) && gradNorm > 0; k++) {
    const masked: Record<string, Float32Array> = {};
    wrt.forEach((w, i) => (masked[w] = vjp.grads[i].data.map((g) => (rand() < 0.5 ? g / gradNorm : 0))));
    await check(masked, `gradient on a random half ${k}`);
  }
  for (let k = 0; k < (options.directions ?? 3); k++) {
    const v: Record<string, Float32Array> = {};
    for (const w of wrt) {
      const n = inputs[w].data.length;
      v[w] = normals(rand, n);
      if (options.sparsity !== undefined && options.sparsity < n) {
        const keep = new Float32Array(n);
        for (let j = 0; j < options.sparsity; j++) {
          const at = Math.floor(rand() * n);
          keep[at] = v[w][at];
        }
        v[w] = keep;
      }
    }
    await check(v, `random direction ${k}`);
  }
  const total = wrt.reduce((s, w) => s + inputs[w].data.length, 0);
  if (options.elementwise ?? total <= 96) {
    for (const [i, w] of wrt.entries()) {
      for (let e = 0; e < inputs[w].data.length; e++) {
        if (movable[w] && !movable[w][e]) continue;
        const basis = new Float32Array(inputs[w].data.length);
        basis[e] = 1;
        await check({ [w]: basis }, `element ${e} of ${w} (VJP ${vjp.grads[i].data[e]})`);
      }
    }
  }
  await forward.release();
  if (evalModel !== forward) await evalModel.release();
  return { worst, checks, grads: vjp.grads, failures };
}

function withOutput(model: ModelProto, name: string): ModelProto {
  const copy = cloneModel(model);
  copy.graph!.output = [makeValueInfo(name, undefined)];
  return copy;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
