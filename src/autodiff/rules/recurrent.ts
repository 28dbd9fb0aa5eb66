/**
 * Recurrent layers: LSTM, GRU and RNN, every direction, `sequence_lens`, initial states, the activations the
 * spec allows (with activation_alpha/beta), `clip`, LSTM peepholes and input_forget, GRU linear_before_reset,
 * layout 0 and 1. Each op is unrolled over the probed time length into standard ops on a tape and
 * differentiated by those ops' own rules (backpropagation through time). Steps past a sequence's length keep
 * the state and output zeros, as the op does, through 0/1 masks built from `sequence_lens`.
 */
import { attrInt, attrString, DataType, getAttr, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { activationRules } from './activations.js';
import { arithmeticRules } from './arithmetic.js';
import { concatRules } from './concat.js';
import { layoutRules } from './layout.js';
import { linearRules } from './linear.js';
import { rectifierRules } from './rectifiers.js';
import { Tape } from './recurrent-tape.js';
import { sigmoidRules } from './sigmoids.js';

/** The ops the unrolled cells are written in, with their exact rules. */
const tapeRules: Record<string, Rule> = {
  ...arithmeticRules,
  ...linearRules,
  ...sigmoidRules,
  ...activationRules,
  ...rectifierRules,
  ...concatRules,
  ...layoutRules,
};
const tapeRuleFor = (opType: string): Rule | undefined =>
  Object.hasOwn(tapeRules, opType) ? tapeRules[opType] : undefined;

type Shape = readonly number[];

/** One activation of the spec's list with its alpha/beta. */
interface Activation {
  name: string;
  alpha: number;
  beta: number;
}

/** Defaults of each activation's alpha and beta (those of the ONNX op of that name); absent: not used. */
const ACTIVATION_PARAMS: Record<string, { alpha?: number; beta?: number }> = {
  sigmoid: {},
  tanh: {},
  relu: {},
  softsign: {},
  softplus: {},
  affine: { alpha: 1, beta: 0 },
  leakyrelu: { alpha: 0.01 },
  thresholdedrelu: { alpha: 1 },
  scaledtanh: { alpha: 1, beta: 1 },
  hardsigmoid: { alpha: 0.2, beta: 0.5 },
  elu: { alpha: 1 },
};

/**
 * The activations of each direction (`perDirection` of them, spec defaults when the attribute is absent);
 * activation_alpha and activation_beta are consumed in order by the activations that take them.
 */
function activationsOf(
  node: NodeProto,
  ctx: RuleContext,
  defaults: string[],
  directions: number,
): Activation[][] {
  const given = getAttr(node, 'activations');
  const names = Array.isArray(given) && given.length > 0 ? (given as string[]) : undefined;
  const all = names ?? Array.from({ length: directions }, () => defaults).flat();
  if (all.length !== defaults.length * directions) {
    throw ctx.unsupported(`${all.length} activations given, ${defaults.length * directions} expected`);
  }
  const alphas = (getAttr(node, 'activation_alpha') as number[] | undefined) ?? [];
  const betas = (getAttr(node, 'activation_beta') as number[] | undefined) ?? [];
  let a = 0;
  let b = 0;
  const parsed = all.map((raw): Activation => {
    const name = raw.toLowerCase();
    const params = ACTIVATION_PARAMS[name];
    if (!params) throw ctx.unsupported(`activation '${raw}' is not one the ONNX spec allows`);
    const alpha = params.alpha === undefined ? 0 : (alphas[a++] ?? params.alpha);
    const beta = params.beta === undefined ? 0 : (betas[b++] ?? params.beta);
    return { name, alpha, beta };
  });
  return Array.from({ length: directions }, (_, d) =>
    parsed.slice(d * defaults.length, (d + 1) * defaults.length),
  );
}

/** y = activation(x) on the tape. */
function activate(tape: Tape, f: Activation, x: string, shape: Shape): string {
  const scalar = (v: number): string => tape.constFloat(v);
  switch (f.name) {
    case 'sigmoid':
      return tape.op('Sigmoid', [x], shape);
    case 'tanh':
      return tape.op('Tanh', [x], shape);
    case 'relu':
      return tape.op('Relu', [x], shape);
    case 'softplus':
      return tape.op('Softplus', [x], shape);
    case 'leakyrelu':
      return tape.op('LeakyRelu', [x], shape, { alpha: { value: f.alpha, kind: 'float' } });
    case 'elu':
      return tape.op('Elu', [x], shape, { alpha: { value: f.alpha, kind: 'float' } });
    case 'hardsigmoid':
      return tape.op('HardSigmoid', [x], shape, {
        alpha: { value: f.alpha, kind: 'float' },
        beta: { value: f.beta, kind: 'float' },
      });
    case 'affine':
      return tape.op('Add', [tape.op('Mul', [x, scalar(f.alpha)], shape), scalar(f.beta)], shape);
    case 'scaledtanh': {
      const inner = tape.op('Tanh', [tape.op('Mul', [x, scalar(f.beta)], shape)], shape);
      return tape.op('Mul', [inner, scalar(f.alpha)], shape);
    }
    case 'softsign': {
      const denominator = tape.op('Add', [tape.op('Abs', [x], shape), scalar(1)], shape);
      return tape.op('Div', [x, denominator], shape);
    }
    case 'thresholdedrelu': {
      // x where x > alpha, else 0: the mask holds no gradient.
      const ctx = tape.ctx;
      const mask = ctx.op('Cast', [ctx.op('Greater', [x, scalar(f.alpha)])], { to: DataType.FLOAT });
      return tape.op('Mul', [x, tape.note(mask, shape)], shape);
    }
    default:
      throw tape.ctx.unsupported(`activation '${f.name}'`);
  }
}

/** Clip(x, -c, c) as the spec applies it to activation inputs; gradient only strictly inside the bounds. */
function clipped(tape: Tape, x: string, shape: Shape, c: number | undefined): string {
  if (c === undefined) return x;
  const ctx = tape.ctx;
  const bounds = [ctx.constFloat(-c), ctx.constFloat(c)];
  const backward: Rule = (node, rctx, [dY]) => {
    const input = node.input![0];
    const inside = rctx.op('And', [
      rctx.op('Greater', [input, bounds[0]]),
      rctx.op('Less', [input, bounds[1]]),
    ]);
    return [rctx.op('Mul', [dY!, rctx.op('Cast', [inside], { to: DataType.FLOAT })])];
  };
  return tape.op('Clip', [x, ...bounds], shape, {}, backward);
}

/** Everything a cell step needs besides the state. */
interface Unrolled {
  tape: Tape;
  hidden: number;
  /** Batch dim as probed (-1 when it follows the batch size). */
  batch: number;
  activations: Activation[];
  clip: number | undefined;
  /** Direction d's slice of a weight tensor W/R/B/P on the tape: [cols, rows] (vectors: [rows, cols]). */
  weight: (name: string, rows: number, cols: number, offset?: number) => string;
}

interface State {
  h: string;
  c?: string;
}

/** One step of a cell: the pre-activation input part of time t (x·Wᵀ + Wb, [N, gates·H]) and the state. */
type Step = (u: Unrolled, xPart: string, state: State) => State;

interface CellSpec {
  gates: number;
  /** Default activations of one direction. */
  activations: string[];
  /** Whether the recurrence bias Rb may be added to x·Wᵀ once for all steps. */
  foldRecurrentBias: (node: NodeProto) => boolean;
  /** Build the step for one direction (weights already sliced). */
  step: (node: NodeProto, u: Unrolled) => Step;
  /** Index of the initial cell state input (LSTM) and of the weight inputs (W, R, B and LSTM's P). */
  initialC?: number;
  weights: number[];
}

const lstm: CellSpec = {
  gates: 4,
  activations: ['Sigmoid', 'Tanh', 'Tanh'],
  foldRecurrentBias: () => true,
  initialC: 6,
  weights: [1, 2, 3, 7],
  step: (node, u) => {
    const H = u.hidden;
    const N = u.batch;
    const row: Shape = [N, H];
    const { tape } = u;
    const recurrence = u.weight(node.input![2], 4 * H, H);
    const peephole = node.input![7] ? u.weight(node.input![7], 3, H) : undefined;
    const peep = peephole ? splitAxis(tape, peephole, 0, [1, 1, 1], [1, H]) : undefined;
    const inputForget = attrInt(node, 'input_forget', 0) !== 0;
    const [f, g, h] = u.activations;
    return (uu, xPart, state) => {
      const c = state.c!;
      const pre = tape.op('Add', [xPart, tape.op('MatMul', [state.h, recurrence], [N, 4 * H])], [N, 4 * H]);
      const gates = splitColumns(tape, pre, [H, H, H, H], N);
      let [i, o, fg] = gates;
      const cc = gates[3];
      if (peep) {
        i = tape.op('Add', [i, tape.op('Mul', [peep[0], c], row)], row);
        fg = tape.op('Add', [fg, tape.op('Mul', [peep[2], c], row)], row);
      }
      const inGate = activate(tape, f, clipped(tape, i, row, uu.clip), row);
      const forget = inputForget
        ? tape.op('Sub', [tape.constFloat(1), inGate], row)
        : activate(tape, f, clipped(tape, fg, row, uu.clip), row);
      const candidate = activate(tape, g, clipped(tape, cc, row, uu.clip), row);
      const cell = tape.op(
        'Add',
        [tape.op('Mul', [forget, c], row), tape.op('Mul', [inGate, candidate], row)],
        row,
      );
      if (peep) o = tape.op('Add', [o, tape.op('Mul', [peep[1], cell], row)], row);
      const out = activate(tape, f, clipped(tape, o, row, uu.clip), row);
      return { h: tape.op('Mul', [out, activate(tape, h, cell, row)], row), c: cell };
    };
  },
};

const gru: CellSpec = {
  gates: 3,
  activations: ['Sigmoid', 'Tanh'],
  // With linear_before_reset the h-gate's Rb sits inside the reset product: keep it per step.
  foldRecurrentBias: (node) => attrInt(node, 'linear_before_reset', 0) === 0,
  weights: [1, 2, 3],
  step: (node, u) => {
    const H = u.hidden;
    const N = u.batch;
    const row: Shape = [N, H];
    const { tape } = u;
    const linearBeforeReset = attrInt(node, 'linear_before_reset', 0) !== 0;
    const rzr = u.weight(node.input![2], 2 * H, H);
    const rh = u.weight(node.input![2], H, H, 2 * H);
    const bias = node.input![3];
    const rbh = linearBeforeReset && bias ? u.weight(bias, 1, H, 5 * H) : undefined;
    const [f, g] = u.activations;
    return (uu, xPart, state) => {
      const [xzr, xh] = splitColumns(tape, xPart, [2 * H, H], N);
      const zrPre = tape.op('Add', [xzr, tape.op('MatMul', [state.h, rzr], [N, 2 * H])], [N, 2 * H]);
      const [zp, rp] = splitColumns(tape, zrPre, [H, H], N);
      const z = activate(tape, f, clipped(tape, zp, row, uu.clip), row);
      const r = activate(tape, f, clipped(tape, rp, row, uu.clip), row);
      let recurrent: string;
      if (linearBeforeReset) {
        let linear = tape.op('MatMul', [state.h, rh], row);
        if (rbh) linear = tape.op('Add', [linear, rbh], row);
        recurrent = tape.op('Mul', [r, linear], row);
      } else {
        recurrent = tape.op('MatMul', [tape.op('Mul', [r, state.h], row), rh], row);
      }
      const hPre = clipped(tape, tape.op('Add', [xh, recurrent], row), row, uu.clip);
      const candidate = activate(tape, g, hPre, row);
      // H = (1 − z)·h̃ + z·H_prev = h̃ + z·(H_prev − h̃)
      const keep = tape.op('Mul', [z, tape.op('Sub', [state.h, candidate], row)], row);
      return { h: tape.op('Add', [candidate, keep], row) };
    };
  },
};

const rnn: CellSpec = {
  gates: 1,
  activations: ['Tanh'],
  foldRecurrentBias: () => true,
  weights: [1, 2, 3],
  step: (node, u) => {
    const H = u.hidden;
    const row: Shape = [u.batch, H];
    const { tape } = u;
    const recurrence = u.weight(node.input![2], H, H);
    const [f] = u.activations;
    return (uu, xPart, state) => {
      const pre = tape.op('Add', [xPart, tape.op('MatMul', [state.h, recurrence], row)], row);
      return { h: activate(tape, f, clipped(tape, pre, row, uu.clip), row) };
    };
  },
};

/**
 * Transpose of direction d's rows [offset, offset + rows) of a [dirs, R, cols] weight: [cols, rows]. On the
 * tape, so that a weight fed as a graph input gets its gradient (the slice's backward pads it back in place;
 * slices of one weight add up).
 */
function weightSlicer(ctx: RuleContext, tape: Tape, direction: number) {
  return (name: string, rows: number, cols: number, offset = 0): string => {
    const shape = tape.shape(name);
    const axes = ctx.constInt64([0, 1]);
    const starts = ctx.constInt64([direction, offset]);
    if (shape.length === 2) {
      // Bias and peephole vectors [dirs, k·H]: rows·cols values from `offset`.
      const length = rows * cols;
      const ends = ctx.constInt64([direction + 1, offset + length]);
      const flat = tape.op(
        'Slice',
        [name, starts, ends, axes],
        [1, length],
        {},
        padBack(shape, [direction, offset]),
      );
      return tape.op(
        'Reshape',
        [flat, ctx.constInt64([rows, cols])],
        [rows, cols],
        {},
        reshapeBack([1, length]),
      );
    }
    const ends = ctx.constInt64([direction + 1, offset + rows]);
    const slice = tape.op(
      'Slice',
      [name, starts, ends, axes],
      [1, rows, cols],
      {},
      padBack(shape, [direction, offset, 0]),
    );
    const matrix = squeezeFirst(tape, slice, [rows, cols]);
    return tape.op('Transpose', [matrix], [cols, rows], { perm: [1, 0] });
  };
}

/** Backward of a Slice of a `full`-shaped tensor starting at `at`: the gradient padded back with zeros. */
function padBack(full: Shape, at: number[]): Rule {
  return (node, ctx, [dY]) => {
    const part = ctx.shape(node.output![0]);
    const pads = [...at, ...at.map((start, i) => full[i] - start - part[i])];
    if (ctx.opset >= 11) return [ctx.op('Pad', [dY!, ctx.constInt64(pads)])];
    return [ctx.op('Pad', [dY!], { pads })];
  };
}

function reshapeBack(shape: Shape): Rule {
  return (_node, ctx, [dY]) => [ctx.op('Reshape', [dY!, ctx.constInt64([...shape])])];
}

function squeezeFirst(tape: Tape, x: string, shape: Shape): string {
  const ctx = tape.ctx;
  if (ctx.opset >= 13) return tape.op('Squeeze', [x, ctx.constInt64([0])], shape, {}, unsqueezeBack([0]));
  return tape.op('Squeeze', [x], shape, { axes: [0] }, unsqueezeBack([0]));
}

/** Direction d's [N, H] slice of an initial state ([dirs, N, H], or [N, dirs, H] with layout 1) on the tape. */
function initialState(tape: Tape, name: string, layout: number, d: number, row: Shape): string {
  const ctx = tape.ctx;
  const axis = layout === 0 ? 0 : 1;
  const dirs = tape.shape(name)[axis];
  const sizes = Array.from({ length: dirs }, () => 1);
  const sliceShape = layout === 0 ? [1, ...row] : [row[0], 1, row[1]];
  const parts =
    ctx.opset < 13
      ? tape.ops(
          'Split',
          [name],
          sizes.map(() => sliceShape),
          { axis, split: sizes },
        )
      : tape.ops(
          'Split',
          [name, ctx.constInt64(sizes)],
          sizes.map(() => sliceShape),
          { axis },
        );
  const axesInput = ctx.opset >= 13 ? [ctx.constInt64([axis])] : [];
  const attrs = ctx.opset >= 13 ? {} : { axes: [axis] };
  return tape.op('Squeeze', [parts[d], ...axesInput], row, attrs, unsqueezeBack([axis]));
}

function unrolledRule(spec: CellSpec): Rule {
  return (node, ctx, dOutputs) => {
    const inputs = node.input ?? [];
    // Weights computed in the graph or fed as inputs (W, R, B, P) that need a gradient.
    const weightInputs = spec.weights.filter((w) => inputs[w] && ctx.needsGradient(w));
    const layout = attrInt(node, 'layout', 0);
    const direction = attrString(node, 'direction', 'forward');
    const directions = direction === 'bidirectional' ? 2 : 1;
    const hidden = attrInt(node, 'hidden_size', 0) || ctx.shape(inputs[2])[2];
    const x = inputs[0];
    const xShape = ctx.shape(x);
    const [T, N, I] = layout === 0 ? xShape : [xShape[1], xShape[0], xShape[2]];
    if (T < 0) throw ctx.unsupported('the time length varies with the batch size');
    const clipAttr = getAttr(node, 'clip');
    const clip = typeof clipAttr === 'number' ? clipAttr : undefined;
    const acts = activationsOf(node, ctx, spec.activations, directions);
    const tape = new Tape(ctx, tapeRuleFor);
    if (ctx.needsGradient(0)) tape.source(x);
    const h0 = inputs[5];
    const c0 = spec.initialC !== undefined ? inputs[spec.initialC] : undefined;
    if (h0 && ctx.needsGradient(5)) tape.source(h0);
    if (c0 && ctx.needsGradient(spec.initialC!)) tape.source(c0);
    for (const w of weightInputs) tape.source(inputs[w]);
    const G = spec.gates * hidden;
    const row: Shape = [N, hidden];

    const timeMajor = layout === 0 ? x : tape.op('Transpose', [x], [T, N, I], { perm: [1, 0, 2] });
    const zeros = (): string => {
      // [N, H] zeros with the runtime batch size.
      const batchDim = ctx.op('Slice', [
        ctx.shapeTensor(x),
        ctx.constInt64([layout === 0 ? 1 : 0]),
        ctx.constInt64([layout === 0 ? 2 : 1]),
        ctx.constInt64([0]),
      ]);
      const dims = ctx.op('Concat', [batchDim, ctx.constInt64([hidden])], { axis: 0 });
      return tape.note(ctx.op('ConstantOfShape', [dims], {}, 'zeros'), row);
    };
    const masks = stepMasks(ctx, tape, inputs[4], T, N);

    const outputs: string[][] = []; // [direction][t]
    const finals: State[] = [];
    for (let d = 0; d < directions; d++) {
      const reverse = direction === 'reverse' || d === 1;
      const weight = weightSlicer(ctx, tape, d);
      const u = { tape, hidden, batch: N, activations: acts[d], clip, weight };
      const step = spec.step(node, u);
      let projected = tape.op('MatMul', [timeMajor, weight(inputs[1], G, I)], [T, N, G]);
      const bias = inputs[3];
      if (bias) {
        let b = weight(bias, 1, G);
        if (spec.foldRecurrentBias(node)) b = tape.op('Add', [b, weight(bias, 1, G, G)], [1, G]);
        else if (spec.gates === 3) {
          // GRU with linear_before_reset: z and r recurrence biases fold, h's stays in the step.
          const rzr = weight(bias, 1, 2 * hidden, G);
          const zeros = tape.constFloat(new Float32Array(hidden), [1, hidden]);
          const padded = tape.op('Concat', [rzr, zeros], [1, G], { axis: 1 });
          b = tape.op('Add', [b, padded], [1, G]);
        }
        projected = tape.op('Add', [projected, b], [T, N, G]);
      }
      const stepShape: Shape = [1, N, G];
      const pieces =
        T === 1
          ? [projected]
          : ctx.opset < 13
            ? tape.ops(
                'Split',
                [projected],
                Array.from({ length: T }, () => stepShape),
                {
                  axis: 0,
                  split: Array.from({ length: T }, () => 1),
                },
              )
            : tape.ops(
                'Split',
                [projected, ctx.constInt64(Array.from({ length: T }, () => 1))],
                Array.from({ length: T }, () => stepShape),
                { axis: 0 },
              );
      let state: State = {
        h: h0 ? initialState(tape, h0, layout, d, row) : zeros(),
        c: spec.initialC === undefined ? undefined : c0 ? initialState(tape, c0, layout, d, row) : zeros(),
      };
      const ys: string[] = new Array<string>(T);
      for (let k = 0; k < T; k++) {
        const t = reverse ? T - 1 - k : k;
        const xPart = squeezeFirst(tape, pieces[t], [N, G]);
        const next = step(u, xPart, state);
        if (masks) {
          const [keep, hold] = masks[t];
          const blend = (a: string, b: string): string =>
            tape.op('Add', [tape.op('Mul', [a, keep], row), tape.op('Mul', [b, hold], row)], row);
          ys[t] = tape.op('Mul', [next.h, keep], row);
          state = { h: blend(next.h, state.h), c: next.c && state.c ? blend(next.c, state.c) : undefined };
        } else {
          ys[t] = next.h;
          state = next;
        }
      }
      outputs.push(ys);
      finals.push(state);
    }

    const seeds = new Map<string, string>();
    if (dOutputs[0]) seeds.set(assembleY(tape, outputs, layout, row), dOutputs[0]);
    if (dOutputs[1])
      seeds.set(
        stackFinal(
          tape,
          finals.map((s) => s.h),
          layout,
          row,
        ),
        dOutputs[1],
      );
    if (dOutputs[2])
      seeds.set(
        stackFinal(
          tape,
          finals.map((s) => s.c!),
          layout,
          row,
        ),
        dOutputs[2],
      );
    const wanted = [x, h0 ?? '', c0 ?? '', ...weightInputs.map((w) => inputs[w])];
    const [dX, dH0, dC0, ...dWeights] = tape.backward(seeds, wanted);
    const result: (string | undefined)[] = inputs.map(() => undefined);
    result[0] = ctx.needsGradient(0) ? (dX ?? ctx.zerosLike(x)) : undefined;
    if (h0 && ctx.needsGradient(5)) result[5] = dH0 ?? ctx.zerosLike(h0);
    if (c0 && spec.initialC !== undefined && ctx.needsGradient(spec.initialC)) {
      result[spec.initialC] = dC0 ?? ctx.zerosLike(c0);
    }
    weightInputs.forEach((w, k) => (result[w] = dWeights[k] ?? ctx.zerosLike(inputs[w])));
    return result;
  };
}

/** [N, Σ sizes] split along axis 1 on the tape. */
function splitColumns(tape: Tape, x: string, sizes: number[], N: number): string[] {
  return splitAxis(tape, x, 1, sizes, [N, 0]);
}

/** A 2-D `x` split along `axis` on the tape (sizes as an attribute before opset 13); `like` gives the other dim. */
function splitAxis(tape: Tape, x: string, axis: number, sizes: number[], like: Shape): string[] {
  const shapes = sizes.map((k) => like.map((d, i) => (i === axis ? k : d)));
  if (tape.ctx.opset < 13) return tape.ops('Split', [x], shapes, { axis, split: sizes });
  return tape.ops('Split', [x, tape.ctx.constInt64(sizes)], shapes, { axis });
}

/**
 * Squeeze's gradient as the matching Unsqueeze (not a Reshape to a shape with -1): ONNX Runtime's shape
 * inference keeps the symbolic batch dim through it, which keeps session creation of long unrolled graphs fast.
 */
function unsqueezeBack(axes: number[]): Rule {
  return (_node, ctx, [dY]) => [ctx.unsqueeze(dY!, axes)];
}

function unsqueezed(tape: Tape, x: string, axes: number[], shape: Shape): string {
  const ctx = tape.ctx;
  const back: Rule = (_node, rctx, [dY]) => [rctx.squeeze(dY!, axes)];
  if (ctx.opset >= 13) return tape.op('Unsqueeze', [x, ctx.constInt64(axes)], shape, {}, back);
  return tape.op('Unsqueeze', [x], shape, { axes }, back);
}

/** Per step t, the [N, 1] masks (t < length) and its complement, or undefined without sequence_lens. */
function stepMasks(
  ctx: RuleContext,
  tape: Tape,
  lengths: string | undefined,
  T: number,
  N: number,
): [string, string][] | undefined {
  if (!lengths) return undefined;
  const asFloat = ctx.unsqueeze(ctx.op('Cast', [lengths], { to: DataType.FLOAT }), [1]);
  return Array.from({ length: T }, (_, t) => {
    const keep = ctx.op('Cast', [ctx.op('Less', [ctx.constFloat(t), asFloat])], { to: DataType.FLOAT });
    const hold = ctx.op('Sub', [ctx.constFloat(1), keep]);
    return [tape.note(keep, [N, 1]), tape.note(hold, [N, 1])];
  });
}

/** Y from per-direction, per-step outputs: [T, dirs, N, H], or [N, T, dirs, H] with layout 1. */
function assembleY(tape: Tape, outputs: string[][], layout: number, row: Shape): string {
  const T = outputs[0].length;
  const dirs = outputs.length;
  const [N, H] = row;
  const steps = Array.from({ length: T }, (_, t) => {
    const parts = outputs.map((ys) => unsqueezed(tape, ys[t], [0, 1], [1, 1, N, H]));
    return dirs === 1 ? parts[0] : tape.op('Concat', parts, [1, dirs, N, H], { axis: 1 });
  });
  const y = T === 1 ? steps[0] : tape.op('Concat', steps, [T, dirs, N, H], { axis: 0 });
  return layout === 0 ? y : tape.op('Transpose', [y], [N, T, dirs, H], { perm: [2, 0, 1, 3] });
}

/** Final states stacked: [dirs, N, H], or [N, dirs, H] with layout 1. */
function stackFinal(tape: Tape, states: string[], layout: number, row: Shape): string {
  const [N, H] = row;
  const dirs = states.length;
  const parts = states.map((s) => unsqueezed(tape, s, [0], [1, N, H]));
  const y = dirs === 1 ? parts[0] : tape.op('Concat', parts, [dirs, N, H], { axis: 0 });
  return layout === 0 ? y : tape.op('Transpose', [y], [N, dirs, H], { perm: [1, 0, 2] });
}

export const recurrentRules = {
  LSTM: unrolledRule(lstm),
  GRU: unrolledRule(gru),
  RNN: unrolledRule(rnn),
};
