import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import {
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type AttrMap,
  type ModelProto,
} from '../../src/onnx/proto.js';
import {
  expectVjpMatchesFd,
  oneOpModel,
  probeShapes,
  randomTensor,
  runVjp,
  uniform,
  wellSeparated,
} from './harness.js';

const BATCH = 3;
const float = (value: number) => ({ value, kind: 'float' as const });

describe('smooth S-shaped activations vs finite differences', () => {
  for (const op of ['Sigmoid', 'Tanh', 'Softplus']) {
    for (const [rest, opset] of [
      [[5], 11],
      [[2, 3, 4], 13],
      [[3, 2], 21],
    ] as [number[], number][]) {
      it(`${op} [N, ${rest}], opset ${opset}`, async () => {
        const model = oneOpModel({ op, inputs: [{ name: 'x', shape: ['N', ...rest] }], opset });
        // Scaled normals reach the saturated tails, where a wrong slope formula shows most.
        const x = randomTensor(uniform(op.length + opset), [BATCH, ...rest]);
        x.data.forEach((v, i) => (x.data[i] = 2.5 * v));
        await expectVjpMatchesFd(model, { x }, { eps: 1e-3 });
      });
    }
  }
});

describe('hard activations vs finite differences', () => {
  const hard = async (op: string, attrs: AttrMap, opset: number, gap: number): Promise<void> => {
    const model = oneOpModel({ op, inputs: [{ name: 'x', shape: ['N', 4, 5] }], attrs, opset });
    // 60 values `gap` apart around 0: both saturated sides and the linear middle, no value on a kink.
    await expectVjpMatchesFd(model, { x: wellSeparated(uniform(opset * 3 + gap * 10), [BATCH, 4, 5], gap) });
  };
  it('HardSigmoid with the default alpha/beta (kinks at ±2.5), opsets 11 and 21', async () => {
    await hard('HardSigmoid', {}, 11, 0.1);
    await hard('HardSigmoid', {}, 21, 0.1);
  });
  it('HardSigmoid with alpha 0.5, beta 0.3 (kinks at -0.6 and 1.4)', async () => {
    await hard('HardSigmoid', { alpha: float(0.5), beta: float(0.3) }, 13, 0.1);
  });
  it('HardSwish (kinks at ±3), opsets 14 and 21', async () => {
    await hard('HardSwish', {}, 14, 0.2);
    await hard('HardSwish', {}, 21, 0.2);
  });
});

describe('activations exporters write as small graphs', () => {
  it('hard-swish before opset 14: x · Clip(x + 3, 0, 6) / 6', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Add', ['x', 'three'], ['shifted']),
        makeNode('Clip', ['shifted', 'zero', 'six'], ['clipped']),
        makeNode('Mul', ['x', 'clipped'], ['product']),
        makeNode('Div', ['product', 'six'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 3, 4])],
      outputs: [makeValueInfo('y', ['N', 3, 4])],
      initializers: [
        floatTensor('three', [], [3]),
        floatTensor('zero', [], [0]),
        floatTensor('six', [], [6]),
      ],
      opset: 11,
    });
    await expectVjpMatchesFd(model, { x: wellSeparated(uniform(71), [BATCH, 3, 4], 0.2) });
  });
  it('SiLU: x · Sigmoid(x)', async () => {
    const model = makeModel({
      nodes: [makeNode('Sigmoid', ['x'], ['s']), makeNode('Mul', ['x', 's'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 2, 3, 3])],
      outputs: [makeValueInfo('y', ['N', 2, 3, 3])],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(72), [BATCH, 2, 3, 3]) }, { eps: 1e-3 });
  });
});

/** x → gate → g, y = x · g (operands in the given order), optionally with g also feeding z = Exp(g). */
function gatedModel(gate: string, attrs: AttrMap, gateFirst: boolean, gateAlsoFeeds: boolean): ModelProto {
  const nodes = [
    makeNode(gate, ['x'], ['g'], attrs),
    makeNode('Mul', gateFirst ? ['g', 'x'] : ['x', 'g'], ['y']),
  ];
  const outputs = [makeValueInfo('y', ['N', 2, 3, 3])];
  if (gateAlsoFeeds) {
    nodes.push(makeNode('Exp', ['g'], ['e']), makeNode('Add', ['y', 'e'], ['z']));
    outputs.push(makeValueInfo('z', ['N', 2, 3, 3]));
  }
  return makeModel({ nodes, inputs: [makeValueInfo('x', ['N', 2, 3, 3])], outputs, opset: 13 });
}

/** Op types of the backward nodes of a build (the forward nodes it keeps left out). */
async function backwardOps(model: ModelProto, output: string, wrt: string[]): Promise<string[]> {
  const shapes = await probeShapes(model);
  const built = buildVjpGraph(model, { output, wrt, rule: 'gradient', shapes });
  return (built.model.graph?.node ?? [])
    .filter((n) => n.output?.[0]?.startsWith('vjp/'))
    .map((n) => n.name ?? '');
}

describe('x · gate(x) differentiated as one function', () => {
  const hardSwish = { alpha: float(1 / 6), beta: float(0.5) };
  for (const gateFirst of [false, true]) {
    it(`SiLU as x · Sigmoid(x), gate operand ${gateFirst ? 'first' : 'second'}: matches FD, one fused step`, async () => {
      const model = gatedModel('Sigmoid', {}, gateFirst, false);
      const x = randomTensor(uniform(73), [BATCH, 2, 3, 3]);
      x.data.forEach((v, i) => (x.data[i] = 4 * v));
      await expectVjpMatchesFd(model, { x }, { eps: 1e-3 });
      const ops = await backwardOps(model, 'y', ['x']);
      expect(ops.some((n) => n.startsWith('vjp/silu_grad'))).toBe(true);
      expect(ops.some((n) => n.startsWith('vjp/sigmoid_grad'))).toBe(false);
    });
    it(`hard-swish as x · HardSigmoid(x) (opset 13), gate operand ${gateFirst ? 'first' : 'second'}`, async () => {
      const model = gatedModel('HardSigmoid', hardSwish, gateFirst, false);
      // Values 0.2 apart around 0, none on the kinks at ±3.
      await expectVjpMatchesFd(model, { x: wellSeparated(uniform(74), [BATCH, 2, 3, 3], 0.2) });
      const ops = await backwardOps(model, 'y', ['x']);
      expect(ops.some((n) => n.startsWith('vjp/hard_swish_grad'))).toBe(true);
      expect(ops.some((n) => n.startsWith('vjp/hard_sigmoid_grad'))).toBe(false);
    });
  }
  it('keeps the gate its own step where the gate output also feeds another node or is asked for', async () => {
    for (const gate of ['Sigmoid', 'HardSigmoid']) {
      const attrs = gate === 'HardSigmoid' ? hardSwish : {};
      const shared = gatedModel(gate, attrs, false, true);
      await expectVjpMatchesFd(
        shared,
        { x: wellSeparated(uniform(75), [BATCH, 2, 3, 3], 0.2) },
        {
          output: 'z',
          eps: 1e-3,
        },
      );
      const own = gate === 'Sigmoid' ? 'vjp/sigmoid_grad' : 'vjp/hard_sigmoid_grad';
      expect((await backwardOps(shared, 'z', ['x'])).some((n) => n.startsWith(own))).toBe(true);
      // Asked for as a wrt tensor, g gets its own gradient dY · x (exactly: one product).
      const alone = gatedModel(gate, attrs, false, false);
      const x = wellSeparated(uniform(76), [BATCH, 2, 3, 3], 0.2);
      const dY = randomTensor(uniform(77), [BATCH, 2, 3, 3]);
      const run = await runVjp(alone, { x }, dY, { wrt: ['x', 'g'] });
      run.grads[1].data.forEach((v, i) => expect(v).toBe(Math.fround(dY.data[i] * x.data[i])));
    }
  });
});
