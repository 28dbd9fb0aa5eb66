import { describe, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, uniform, wellSeparated } from './harness.js';

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
