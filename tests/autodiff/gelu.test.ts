import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform } from './harness.js';

const BATCH = 3;

function scaledNormals(seed: number, dims: number[], scale: number) {
  const x = randomTensor(uniform(seed), dims);
  x.data.forEach((v, i) => (x.data[i] = scale * v));
  return x;
}

describe('Erf and Gelu vs finite differences', () => {
  for (const [rest, opset] of [
    [[6], 11],
    [[2, 3, 2], 13],
    [[4, 3], 21],
  ] as [number[], number][]) {
    it(`Erf [N, ${rest}], opset ${opset}`, async () => {
      const model = oneOpModel({ op: 'Erf', inputs: [{ name: 'x', shape: ['N', ...rest] }], opset });
      await expectVjpMatchesFd(model, { x: scaledNormals(opset, [BATCH, ...rest], 1.5) }, { eps: 1e-3 });
    });
  }

  for (const opset of [20, 21]) {
    for (const approximate of ['none', 'tanh']) {
      it(`Gelu (approximate '${approximate}'), opset ${opset}`, async () => {
        const model = oneOpModel({
          op: 'Gelu',
          inputs: [{ name: 'x', shape: ['N', 2, 5] }],
          attrs: approximate === 'none' ? {} : { approximate },
          opset,
        });
        await expectVjpMatchesFd(
          model,
          { x: scaledNormals(opset + approximate.length, [BATCH, 2, 5], 2) },
          {
            eps: 1e-3,
          },
        );
      });
    }
  }

  it('the Gelu slope matches Φ(x) + x·φ(x) at known points (Φ(1) = 0.841345, φ(1) = 0.241971)', async () => {
    const model = oneOpModel({ op: 'Gelu', inputs: [{ name: 'x', shape: ['N', 3] }], opset: 20 });
    const x = { data: Float32Array.from([0, 1, -1]), dims: [1, 3] };
    const run = await runVjp(model, { x }, { data: Float32Array.from([1, 1, 1]), dims: [1, 3] });
    const [at0, at1, atMinus1] = Array.from(run.grads[0].data);
    expect(at0).toBeCloseTo(0.5, 6);
    expect(at1).toBeCloseTo(0.841345 + 0.241971, 5);
    expect(atMinus1).toBeCloseTo(1 - 0.841345 - 0.241971, 5);
  });

  it('the erf decomposition exporters emit before opset 20: x · ½ · (1 + erf(x / √2))', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Div', ['x', 'sqrt2'], ['scaled']),
        makeNode('Erf', ['scaled'], ['e']),
        makeNode('Add', ['e', 'one'], ['e1']),
        makeNode('Mul', ['x', 'e1'], ['m']),
        makeNode('Mul', ['m', 'half'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 4, 3])],
      outputs: [makeValueInfo('y', ['N', 4, 3])],
      initializers: [
        floatTensor('sqrt2', [], [Math.SQRT2]),
        floatTensor('one', [], [1]),
        floatTensor('half', [], [0.5]),
      ],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: scaledNormals(81, [BATCH, 4, 3], 2) }, { eps: 1e-3 });
  });
});
