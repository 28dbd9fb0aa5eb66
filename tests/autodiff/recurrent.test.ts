import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import {
  attrInt,
  cloneModel,
  DataType,
  decodeTensor,
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type AttrMap,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import {
  expectVjpMatchesFd,
  normals,
  probeShapes,
  randomTensor,
  runFeeds,
  runVjp,
  session,
  uniform,
} from './harness.js';

type Op = 'LSTM' | 'GRU' | 'RNN';
const GATES: Record<Op, number> = { LSTM: 4, GRU: 3, RNN: 1 };

interface Case {
  op: Op;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1;
  T?: number;
  I?: number;
  H?: number;
  /** Per-item lengths (fixes the batch size to their count). */
  lens?: number[];
  /** Feed initial states (and differentiate them). */
  initial?: boolean;
  peephole?: boolean;
  attrs?: AttrMap;
  seed?: number;
  opset?: number;
  /** Feed W, R, B (and P) as graph inputs (and differentiate them). */
  feedWeights?: boolean;
}

const BATCH = 3;

function int32Tensor(name: string, values: number[]): TensorProto {
  return { name, dims: [values.length], dataType: DataType.INT32, int32Data: values };
}

/** A one-node recurrent model; X (and the initial states when asked) are inputs, the rest initializers. */
function recurrentModel(c: Case): { model: ModelProto; inputs: Record<string, TensorData> } {
  const { op, T = 4, I = 2, H = 3, layout = 0, seed = 1 } = c;
  const dirs = c.direction === 'bidirectional' ? 2 : 1;
  const rand = uniform(seed);
  const G = GATES[op] * H;
  const scaled = (dims: number[], scale: number) =>
    Array.from(
      normals(
        rand,
        dims.reduce((a, b) => a * b, 1),
      ),
      (v) => v * scale,
    );
  const weights = [
    floatTensor('W', [dirs, G, I], scaled([dirs, G, I], 0.7)),
    floatTensor('R', [dirs, G, H], scaled([dirs, G, H], 0.7)),
    floatTensor('B', [dirs, 2 * G], scaled([dirs, 2 * G], 0.3)),
  ];
  const batch: number | string = c.lens ? c.lens.length : 'N';
  const N = c.lens ? c.lens.length : BATCH;
  const xShape = layout === 0 ? [T, batch, I] : [batch, T, I];
  const stateShape = layout === 0 ? [dirs, batch, H] : [batch, dirs, H];
  const concrete = (dims: (number | string)[]) => dims.map((d) => (typeof d === 'number' ? d : N));
  const nodeInputs = ['x', 'W', 'R', 'B', c.lens ? 'lens' : ''];
  const inputs: Record<string, TensorData> = { x: randomTensor(rand, concrete(xShape)) };
  const fed = [makeValueInfo('x', xShape)];
  if (c.lens) weights.push(int32Tensor('lens', c.lens));
  if (c.initial) {
    nodeInputs.push('h0');
    fed.push(makeValueInfo('h0', stateShape));
    inputs.h0 = randomTensor(rand, concrete(stateShape));
    if (op === 'LSTM') {
      nodeInputs.push('c0');
      fed.push(makeValueInfo('c0', stateShape));
      inputs.c0 = randomTensor(rand, concrete(stateShape));
    }
  } else if (op === 'LSTM') nodeInputs.push('', '');
  if (c.peephole) {
    if (!c.initial) nodeInputs.push('', '');
    nodeInputs.push('P');
    weights.push(floatTensor('P', [dirs, 3 * H], scaled([dirs, 3 * H], 0.5)));
  }
  while (nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();
  if (c.feedWeights) {
    for (const w of weights.filter((t) => ['W', 'R', 'B', 'P'].includes(t.name!))) {
      fed.push(makeValueInfo(w.name!, w.dims as number[]));
      inputs[w.name!] = { data: Float32Array.from(decodeTensor(w).data), dims: w.dims as number[] };
    }
    weights.splice(0, weights.length, ...weights.filter((t) => !(t.name! in inputs)));
  }
  const outputs = op === 'LSTM' ? ['y', 'y_h', 'y_c'] : ['y', 'y_h'];
  const attrs: AttrMap = { hidden_size: H, direction: c.direction ?? 'forward', ...c.attrs };
  if (layout === 1) attrs.layout = 1;
  const model = makeModel({
    nodes: [makeNode(op, nodeInputs, outputs, attrs, 'cell')],
    inputs: fed,
    outputs: [makeValueInfo('y', undefined)],
    initializers: weights,
    opset: c.opset ?? (layout === 1 ? 14 : 13),
  });
  return { model, inputs };
}

async function check(c: Case): Promise<void> {
  const { model, inputs } = recurrentModel(c);
  const outputs = c.op === 'LSTM' ? ['y', 'y_h', 'y_c'] : ['y', 'y_h'];
  for (const output of outputs) {
    await expectVjpMatchesFd(model, inputs, { output, eps: 1e-3, rtol: 3e-3 });
  }
}

/** Each layout-1 recurrent node replaced by Transposes around its layout-0 form (same tensor names outside). */
function timeMajor(model: ModelProto): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph!;
  graph.node = (graph.node ?? []).flatMap((node) => {
    if (!['LSTM', 'GRU', 'RNN'].includes(node.opType ?? '') || attrInt(node, 'layout', 0) !== 1)
      return [node];
    const inputs = [...(node.input ?? [])];
    const outputs = [...(node.output ?? [])];
    const before: NodeProto[] = [];
    for (const i of [0, 5, 6]) {
      if (!inputs[i]) continue;
      const t = `${inputs[i]}/time_major`;
      before.push(makeNode('Transpose', [inputs[i]], [t], { perm: [1, 0, 2] }));
      inputs[i] = t;
    }
    const inner = outputs.map((o) => (o ? `${o}/time_major` : ''));
    const after = outputs.flatMap((o, i) =>
      o ? [makeNode('Transpose', [inner[i]], [o], { perm: i === 0 ? [2, 0, 1, 3] : [1, 0, 2] })] : [],
    );
    const attribute = (node.attribute ?? []).filter((a) => a.name !== 'layout');
    return [...before, { ...node, input: inputs, output: inner, attribute }, ...after];
  });
  return copy;
}

async function checkLayout1(c: Case): Promise<void> {
  const { model, inputs } = recurrentModel(c);
  const reference = timeMajor(model);
  const outputs = c.op === 'LSTM' ? ['y', 'y_h', 'y_c'] : ['y', 'y_h'];
  const shapes = await probeShapes(reference);
  const wrt = Object.keys(inputs);
  for (const output of outputs) {
    const checked = await expectVjpMatchesFd(reference, inputs, { output, eps: 1e-3, rtol: 3e-3, shapes });
    const graph = buildVjpGraph(model, { output, wrt, rule: 'gradient', shapes });
    const s = await session(timeMajor(graph.model));
    const dY = randomTensor(
      uniform(1234),
      shapes[output].map((d) => (d < 0 ? BATCH : d)),
    );
    const run = await runVjp(reference, inputs, dY, { output, wrt, shapes });
    const feeds: Record<string, TensorData> = { ...inputs, [graph.seedName]: dY };
    const out = await runFeeds(s, feeds);
    await s.release();
    expect(checked.checks).toBeGreaterThan(0);
    graph.gradNames.forEach((g, i) => {
      const want = run.grads[i].data;
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(scale).toBeGreaterThan(0);
      Array.from(out[g].data).forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThan(1e-5 * scale));
    });
  }
}

const directions = ['forward', 'reverse', 'bidirectional'] as const;

describe('recurrent layers vs finite differences', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    for (const direction of directions) {
      it(`${op} ${direction}, batch ${BATCH}, with initial states`, async () => {
        await check({ op, direction, initial: true, seed: direction.length });
      });
      it(`${op} ${direction} with sequence_lens [5, 3, 1]`, async () => {
        await check({ op, direction, T: 5, lens: [5, 3, 1], initial: direction !== 'reverse' });
      });
    }
    // ONNX Runtime's CPU kernels reject layout 1, so the batch-major rule is run on a VJP graph whose forward
    // node is swapped for its time-major equivalent, and compared with the (checked) time-major gradients.
    it(`${op} layout 1 (batch-major), bidirectional, with sequence_lens`, async () => {
      await checkLayout1({ op, direction: 'bidirectional', layout: 1, lens: [2, 4, 3], initial: true });
    });
    it(`${op} layout 1 reverse without states, batch varies`, async () => {
      await checkLayout1({ op, direction: 'reverse', layout: 1, T: 3 });
    });
  }
});

describe('recurrent layer options vs finite differences', () => {
  const float = (value: number) => ({ value, kind: 'float' as const });
  const floats = (value: number[]) => ({ value, kind: 'floats' as const });
  it('LSTM with peepholes and input_forget', async () => {
    await check({ op: 'LSTM', direction: 'bidirectional', peephole: true, initial: true });
    await check({ op: 'LSTM', attrs: { input_forget: 1 }, initial: true });
  });
  it('LSTM with a cell clip that some pre-activations exceed', async () => {
    await check({ op: 'LSTM', attrs: { clip: float(0.6) }, initial: true, seed: 5 });
  });
  it('LSTM with other spec activations and alpha/beta', async () => {
    await check({
      op: 'LSTM',
      direction: 'bidirectional',
      attrs: {
        activations: ['HardSigmoid', 'ScaledTanh', 'Softsign', 'Sigmoid', 'Affine', 'Softplus'],
        activation_alpha: floats([0.3, 0.9, 0.8]),
        activation_beta: floats([0.45, 1.3, 0.1]),
      },
    });
  });
  it('GRU with and without linear_before_reset, other activations', async () => {
    await check({ op: 'GRU', attrs: { linear_before_reset: 1 }, direction: 'bidirectional', initial: true });
    await check({ op: 'GRU', attrs: { activations: ['Sigmoid', 'Elu'], activation_alpha: floats([0.7]) } });
  });
  it('RNN with LeakyRelu, ThresholdedRelu and Relu', async () => {
    await check({
      op: 'RNN',
      direction: 'bidirectional',
      attrs: { activations: ['LeakyRelu', 'ThresholdedRelu'], activation_alpha: floats([0.1, 0.05]) },
    });
    await check({ op: 'RNN', attrs: { activations: ['Relu'] }, seed: 9 });
  });
});

describe('recurrent weights W, R, B (and peepholes P) fed as graph inputs vs finite differences', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    it(`${op} bidirectional with sequence_lens and initial states`, async () => {
      await check({ op, direction: 'bidirectional', lens: [3, 1, 4], initial: true, feedWeights: true });
    });
    it(`${op} reverse, free batch size, opset 11`, async () => {
      await check({ op, direction: 'reverse', T: 3, feedWeights: true, opset: 11, seed: 4 });
    });
  }
  it('LSTM with peepholes', async () => {
    await check({ op: 'LSTM', direction: 'bidirectional', peephole: true, initial: true, feedWeights: true });
  });
  it('GRU with linear_before_reset', async () => {
    await check({ op: 'GRU', attrs: { linear_before_reset: 1 }, initial: true, feedWeights: true, seed: 6 });
  });
  it('every weight gets a gradient of its own shape', async () => {
    const { model, inputs } = recurrentModel({
      op: 'LSTM',
      peephole: true,
      initial: true,
      feedWeights: true,
    });
    const run = await runVjp(model, inputs, (dims) => randomTensor(uniform(3), dims), { output: 'y' });
    expect(run.grads.map((g) => g.dims)).toEqual(Object.values(inputs).map((t) => t.dims));
    for (const g of run.grads) expect(g.data.some((v) => v !== 0)).toBe(true);
  });
});

describe('recurrent layers at opset 11 (Split, Squeeze and Unsqueeze take attributes)', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    it(`${op} bidirectional with sequence_lens and initial states`, async () => {
      await check({ op, direction: 'bidirectional', lens: [3, 1, 4], initial: true, opset: 11 });
    });
  }
});

describe('recurrent exporter patterns', () => {
  it('Gather of the last layer state (h_n[-1], as torch writes it) with a free batch size', async () => {
    const { model, inputs } = recurrentModel({ op: 'LSTM', direction: 'bidirectional', initial: true });
    const graph = model.graph!;
    graph.node!.push(makeNode('Gather', ['y_h', 'last'], ['picked'], { axis: 0 }));
    graph.initializer!.push({ name: 'last', dims: [], dataType: DataType.INT64, int64Data: [1] });
    graph.output = [makeValueInfo('picked', undefined)];
    await expectVjpMatchesFd(model, inputs, { eps: 1e-3, rtol: 3e-3 });
  });
});
