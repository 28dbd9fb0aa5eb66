import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors.js';
import { floatTensor, int64Tensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform } from './harness.js';

const BATCH = 3;

describe('Transpose, Squeeze, Unsqueeze vs finite differences', () => {
  for (const perm of [[0, 2, 3, 1], [0, 3, 1, 2], [2, 0, 3, 1], undefined]) {
    it(`Transpose perm ${perm ? `[${perm}]` : 'default (reversed)'}`, async () => {
      const model = oneOpModel({
        op: 'Transpose',
        inputs: [{ name: 'x', shape: ['N', 2, 3, 4] }],
        attrs: perm ? { perm } : {},
      });
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(5), [BATCH, 2, 3, 4]) });
    });
  }

  for (const opset of [11, 13, 21]) {
    it(`Squeeze and Unsqueeze with explicit and negative axes, opset ${opset}`, async () => {
      const axesAsInput = opset >= 13;
      const withAxes = (op: string, shape: (number | string)[], axes: number[]) =>
        oneOpModel({
          op,
          inputs: [{ name: 'x', shape }],
          weights: axesAsInput ? [int64Tensor('axes', [axes.length], axes)] : [],
          attrs: axesAsInput ? {} : { axes },
          opset,
        });
      const rand = uniform(opset);
      await expectVjpMatchesFd(withAxes('Squeeze', ['N', 1, 3, 1], [1, -1]), {
        x: randomTensor(rand, [BATCH, 1, 3, 1]),
      });
      await expectVjpMatchesFd(withAxes('Unsqueeze', ['N', 3, 2], [1, -1]), {
        x: randomTensor(rand, [BATCH, 3, 2]),
      });
      await expectVjpMatchesFd(withAxes('Unsqueeze', ['N', 4], [0, 3]), {
        x: randomTensor(rand, [BATCH, 4]),
      });
      // Without axes every size-1 dim goes, so the batch dim must be fixed (at 2) for the shape to be definite.
      const squeezeAll = oneOpModel({ op: 'Squeeze', inputs: [{ name: 'x', shape: [2, 1, 4, 1] }], opset });
      await expectVjpMatchesFd(squeezeAll, { x: randomTensor(rand, [2, 1, 4, 1]) });
    });
  }
});

describe('Concat and Split vs finite differences', () => {
  for (const opset of [11, 13]) {
    it(`Concat of three inputs along axes 1 and -1, opset ${opset}`, async () => {
      const rand = uniform(opset + 1);
      for (const axis of [1, -1]) {
        const shapes =
          axis === 1
            ? [
                [2, 3],
                [1, 3],
                [4, 3],
              ]
            : [
                [3, 2],
                [3, 1],
                [3, 3],
              ];
        const model = makeModel({
          nodes: [makeNode('Concat', ['a', 'b', 'c'], ['y'], { axis })],
          inputs: shapes.map((s, i) => makeValueInfo('abc'[i], ['N', ...s])),
          outputs: [makeValueInfo('y', undefined)],
          opset,
        });
        const feeds = Object.fromEntries(shapes.map((s, i) => ['abc'[i], randomTensor(rand, [BATCH, ...s])]));
        await expectVjpMatchesFd(model, feeds);
      }
    });
  }

  it('Concat with a weight among the inputs, and with a single input', async () => {
    const rand = uniform(9);
    const model = makeModel({
      nodes: [makeNode('Concat', ['w', 'x', 'w'], ['y'], { axis: 2 })],
      // The weight's leading dim of 1 only concatenates with a batch of 1: a fixed-size input.
      inputs: [makeValueInfo('x', [1, 2, 3])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [floatTensor('w', [1, 2, 2], [1, 2, 3, 4])],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(rand, [1, 2, 3]) });
    const single = oneOpModel({ op: 'Concat', inputs: [{ name: 'x', shape: ['N', 3] }], attrs: { axis: 1 } });
    await expectVjpMatchesFd(single, { x: randomTensor(rand, [BATCH, 3]) });
  });

  it('Concat along the batch axis is refused with a typed error', async () => {
    const model = makeModel({
      nodes: [makeNode('Concat', ['x', 'x'], ['y'], { axis: 0 }, 'batch_concat')],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', undefined)],
    });
    const run = runVjp(model, { x: randomTensor(uniform(1), [2, 3]) }, randomTensor(uniform(2), [4, 3]));
    await expect(run).rejects.toThrow(UnsupportedError);
    await expect(run).rejects.toThrow(/Concat node 'batch_concat'.*batch size/);
  });

  /** Split x [N, 7, 2] along axis 1 into three parts; y = Concat(part0·2, part2) leaves part 1 without gradient. */
  function splitModel(opset: number, form: 'attribute' | 'input' | 'equal' | 'num_outputs') {
    const sizes = form === 'num_outputs' ? [3, 3, 1] : form === 'equal' ? [3, 3, 3] : [2, 4, 1];
    const dim = sizes.reduce((a, b) => a + b, 0);
    const splitInputs = form === 'input' ? ['x', 'sizes'] : ['x'];
    const attrs =
      form === 'attribute'
        ? { axis: 1, split: sizes }
        : form === 'num_outputs'
          ? { axis: 1, num_outputs: 3 }
          : { axis: 1 };
    return {
      dim,
      model: makeModel({
        nodes: [
          makeNode('Split', splitInputs, ['p0', 'p1', 'p2'], attrs),
          makeNode('Mul', ['p0', 'two'], ['q0']),
          makeNode('Concat', ['q0', 'p2'], ['y'], { axis: 1 }),
        ],
        inputs: [makeValueInfo('x', ['N', dim, 2])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [floatTensor('two', [], [2]), int64Tensor('sizes', [3], sizes)],
        opset,
      }),
    };
  }
  for (const [opset, form] of [
    [11, 'attribute'],
    [11, 'equal'],
    [13, 'input'],
    [13, 'equal'],
    [18, 'num_outputs'],
    [21, 'input'],
  ] as const) {
    it(`Split, opset ${opset}, sizes by ${form}, one output unused`, async () => {
      const { dim, model } = splitModel(opset, form);
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(opset), [BATCH, dim, 2]) });
    });
  }

  it('Split: the unused part gets exactly zero gradient', async () => {
    const { dim, model } = splitModel(13, 'input');
    const run = await runVjp(model, { x: randomTensor(uniform(3), [1, dim, 2]) }, (d) =>
      randomTensor(uniform(4), d),
    );
    const grad = run.grads[0].data;
    // Rows 2..5 of the 7 (part 1) carry no gradient; part 0 carries 2·dY, part 2 dY.
    for (let row = 2; row < 6; row++) for (let c = 0; c < 2; c++) expect(grad[row * 2 + c]).toBe(0);
    for (let k = 0; k < 4; k++) expect(grad[k]).toBeCloseTo(2 * run.seed.data[k], 6);
    for (let c = 0; c < 2; c++) expect(grad[12 + c]).toBeCloseTo(run.seed.data[4 + c], 6);
  });
});
