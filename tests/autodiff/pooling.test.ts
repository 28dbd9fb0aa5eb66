import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { makeModel, makeNode, makeValueInfo, opsetVersion, type AttrMap } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

interface PoolCase {
  name: string;
  x: number[];
  attrs: AttrMap;
  opsets?: number[];
  elementwise?: boolean;
}

async function check(op: string, c: PoolCase, seed: number, opset: number): Promise<void> {
  const model = oneOpModel({
    op,
    inputs: [{ name: 'x', shape: ['N', ...c.x.slice(1)] }],
    attrs: c.attrs,
    opset,
  });
  // Distinct values 0.1 apart: no ties inside a window, and ε = 1e-2 never reorders them.
  await expectVjpMatchesFd(model, { x: wellSeparated(uniform(seed), c.x) }, { elementwise: c.elementwise });
}

const maxCases: PoolCase[] = [
  { name: '2x2 stride 2 (no overlap)', x: [2, 2, 4, 6], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  {
    name: '3x3 stride 2 pad 1 (overlapping)',
    x: [2, 2, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    opsets: [11, 13, 16, 17],
  },
  {
    name: '3x3 stride 1 (three phases per dim)',
    x: [2, 1, 5, 5],
    attrs: { kernel_shape: [3, 3] },
    opsets: [11, 18],
  },
  {
    name: 'ceil_mode, windows past the end',
    x: [2, 2, 6, 7],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    opsets: [12, 17],
  },
  {
    name: 'ceil_mode with pads',
    x: [2, 1, 7, 5],
    attrs: { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 },
    opsets: [11, 17],
  },
  {
    name: 'dilation 2',
    x: [2, 1, 7, 7],
    attrs: { kernel_shape: [3, 3], dilations: [2, 2], strides: [2, 1] },
    opsets: [11, 17],
  },
  {
    name: 'auto_pad SAME_UPPER',
    x: [2, 2, 5, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  },
  {
    name: 'auto_pad SAME_LOWER',
    x: [2, 2, 5, 6],
    attrs: { kernel_shape: [2, 2], strides: [1, 2], auto_pad: 'SAME_LOWER' },
    opsets: [11, 17],
  },
  { name: '1-D overlapping', x: [2, 3, 9], attrs: { kernel_shape: [3], strides: [2] }, opsets: [11, 17] },
  {
    name: '6x6 window, stride 2 (too large to unfold: Indices output)',
    x: [2, 1, 9, 8],
    attrs: { kernel_shape: [6, 6], strides: [2, 2], pads: [1, 0, 1, 0] },
    opsets: [11, 17],
  },
  {
    name: "pads 2 past a 3x3 kernel's overhang",
    x: [2, 2, 6, 5],
    attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2] },
    opsets: [12, 17],
  },
  {
    name: '5x5 stride 1 pad 2 (sorted route)',
    x: [2, 2, 6, 7],
    attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] },
    opsets: [11, 17],
  },
  {
    name: 'dilated 7x8 kernel, stride 2 (Indices output, sorted route)',
    x: [2, 1, 24, 26],
    attrs: { kernel_shape: [7, 8], dilations: [3, 2], strides: [2, 2], pads: [2, 3, 2, 3] },
    opsets: [11, 17],
  },
  {
    name: '2x2 stride 2 on odd sizes (tiling, last row dropped)',
    x: [2, 2, 5, 7],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
  },
  { name: '3-D', x: [1, 2, 4, 4, 4], attrs: { kernel_shape: [2, 2, 2], strides: [2, 2, 2] } },
  {
    name: 'tiny, every element',
    x: [1, 1, 5, 5],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    opsets: [11, 17],
    elementwise: true,
  },
  // storage_order=1: Indices stored column-major, renumbered row-major for the routing. Non-square maps, so
  // that a transposed numbering would send gradients to the wrong elements.
  {
    name: 'column-major Indices, 2x2 stride 2',
    x: [2, 2, 5, 7],
    attrs: { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 },
    opsets: [12, 17],
  },
  {
    name: 'column-major Indices, overlapping 3x2 windows with pads',
    x: [2, 2, 6, 5],
    attrs: { kernel_shape: [3, 2], strides: [1, 2], pads: [1, 0, 1, 1], storage_order: 1 },
  },
  {
    name: 'column-major Indices, 3-D',
    x: [1, 2, 4, 3, 5],
    attrs: { kernel_shape: [2, 2, 2], strides: [2, 1, 2], storage_order: 1 },
  },
];

const averageCases: PoolCase[] = [
  { name: '2x2 stride 2', x: [2, 2, 4, 6], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  {
    name: '3x3 stride 2 pad 1, pads excluded',
    x: [2, 2, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '3x3 stride 2 pad 1, pads counted',
    x: [2, 2, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 },
  },
  {
    name: 'ceil_mode, pads excluded',
    x: [2, 1, 6, 7],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
  },
  {
    name: 'ceil_mode with pads, pads counted',
    x: [2, 1, 7, 6],
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 1, 1, 0], ceil_mode: 1, count_include_pad: 1 },
  },
  {
    name: 'stride larger than kernel (rows skipped)',
    x: [2, 1, 8, 7],
    attrs: { kernel_shape: [2, 2], strides: [3, 3] },
  },
  {
    name: 'auto_pad SAME_UPPER',
    x: [2, 2, 5, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  },
  {
    name: 'auto_pad SAME_LOWER, pads counted',
    x: [2, 2, 5, 6],
    attrs: { kernel_shape: [2, 3], strides: [2, 1], auto_pad: 'SAME_LOWER', count_include_pad: 1 },
  },
  {
    name: 'dilations',
    x: [2, 1, 7, 6],
    attrs: { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] },
    opsets: [19],
  },
  { name: '1-D', x: [2, 2, 9], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, opsets: [11, 17] },
  {
    name: 'tiny, every element',
    x: [1, 1, 5, 5],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 },
    elementwise: true,
  },
  // Tiling windows are spread by broadcasting rather than by a ConvTranspose.
  {
    name: 'one window over the whole input (a global pool), every element',
    x: [2, 3, 4, 5],
    attrs: { kernel_shape: [4, 5], strides: [4, 5] },
    elementwise: true,
  },
  {
    name: '1-D tiling, every element',
    x: [2, 2, 8],
    attrs: { kernel_shape: [2], strides: [2] },
    opsets: [11, 17],
    elementwise: true,
  },
  { name: '3-D tiling', x: [2, 2, 4, 2, 6], attrs: { kernel_shape: [2, 1, 3], strides: [2, 1, 3] } },
];

describe('MaxPool rule vs finite differences', () => {
  maxCases.forEach((c, i) => {
    for (const opset of c.opsets ?? [17])
      it(`${c.name} (opset ${opset})`, () => check('MaxPool', c, 500 + i, opset));
  });
});

describe('AveragePool rule vs finite differences', () => {
  averageCases.forEach((c, i) => {
    for (const opset of c.opsets ?? [17])
      it(`${c.name} (opset ${opset})`, () => check('AveragePool', c, 600 + i, opset));
  });
});

describe('global pools vs finite differences', () => {
  for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
    for (const x of [
      [2, 3, 4, 5],
      [3, 2, 6],
      [1, 2, 3, 3],
    ]) {
      it(`${op} on [${x}]`, () => check(op, { name: op, x, attrs: {} }, 700 + x.length, 17));
    }
  }
});

describe('MaxPool ties', () => {
  // Windows with tied maxima (flat image regions give exact ties): the gradient goes to the first maximum in
  // row-major order, as MaxPool's Indices and PyTorch route it, never to every tied element.
  const x = [
    [1, 1, 0, 2],
    [1, 1, 2, 2],
    [3, 0, 5, 4],
    [0, 3, 4, 5],
  ].flat();
  const expected = [
    [1, 0, 0, 1],
    [0, 0, 0, 0],
    [1, 0, 1, 0],
    [0, 0, 0, 0],
  ].flat();
  const cases: [string, AttrMap, number][] = [
    ['tiling 2x2 windows', { kernel_shape: [2, 2], strides: [2, 2] }, 17],
    ['tiling 2x2 windows at opset 11', { kernel_shape: [2, 2], strides: [2, 2] }, 11],
    // A fifth row [7, 7, 1, 1] pooled by ceil_mode: windows padded past the end; its windows tie too.
    ['ceil_mode windows (unfolded)', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 17],
  ];
  for (const [name, attrs, opset] of cases) {
    it(name, async () => {
      const rows = attrs.ceil_mode ? 5 : 4;
      const image = attrs.ceil_mode ? [...x, 7, 7, 1, 1] : x;
      const want = attrs.ceil_mode ? [...expected, 1, 0, 1, 0] : expected;
      const model = oneOpModel({
        op: 'MaxPool',
        inputs: [{ name: 'x', shape: ['N', 1, rows, 4] }],
        attrs,
        opset,
      });
      const outDims = [2, 1, rows === 5 ? 3 : 2, 2];
      const seed = { data: new Float32Array(outDims.reduce((a, b) => a * b, 1)).fill(1), dims: outDims };
      const run = await runVjp(
        model,
        { x: { data: Float32Array.from([...image, ...image]), dims: [2, 1, rows, 4] } },
        seed,
      );
      expect(Array.from(run.grads[0].data)).toEqual([...want, ...want]);
    });
  }
});

/**
 * MaxPool backward by its definition, 2-D: each output's gradient goes to the first maximum of its window in
 * row-major order (pads and positions past the input are not candidates), summed over windows.
 */
function referenceMaxPoolGrad(
  x: Float32Array,
  [n, c, h, w]: number[],
  [oh, ow]: number[],
  attrs: { kernel: number[]; strides: number[]; pads: number[]; dilations: number[] },
  dY: Float32Array,
): Float64Array {
  const grad = new Float64Array(x.length);
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -Infinity;
        let at = -1;
        for (let a = 0; a < attrs.kernel[0]; a++) {
          for (let b = 0; b < attrs.kernel[1]; b++) {
            const r = i * attrs.strides[0] - attrs.pads[0] + a * attrs.dilations[0];
            const q = j * attrs.strides[1] - attrs.pads[1] + b * attrs.dilations[1];
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            const v = x[plane * h * w + r * w + q];
            if (v > best) {
              best = v;
              at = plane * h * w + r * w + q;
            }
          }
        }
        grad[at] += dY[plane * oh * ow + i * ow + j];
      }
    }
  }
  return grad;
}

describe('MaxPool backward vs its definition on tie-heavy inputs', () => {
  const configs: [
    string,
    { kernel: number[]; strides: number[]; pads: number[]; dilations: number[] },
    number[],
  ][] = [
    [
      '3x3 stride 2 pad 1',
      { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] },
      [11, 13, 17],
    ],
    [
      '3x3 stride 1 pad 1',
      { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
      [13, 21],
    ],
    ['2x2 stride 2', { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1] }, [17]],
    ['2x3 dilated', { kernel: [2, 3], strides: [1, 2], pads: [0, 1, 1, 0], dilations: [2, 1] }, [12, 17]],
    [
      '3x3 stride 1, pads 2 (at the overhang: MaxUnpool with its own kernel and pads)',
      { kernel: [3, 3], strides: [1, 1], pads: [2, 2, 2, 2], dilations: [1, 1] },
      [12, 17],
    ],
    [
      '5x5 stride 1 pad 2 (25 classes: sorted route)',
      { kernel: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2], dilations: [1, 1] },
      [11, 17],
    ],
    [
      '4x5 dilated 2, stride 1 (Indices output, sorted route)',
      { kernel: [4, 5], strides: [1, 1], pads: [1, 2, 3, 2], dilations: [2, 2] },
      [11, 16],
    ],
    [
      '6x6 stride 2 (Indices output)',
      { kernel: [6, 6], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] },
      [17],
    ],
  ];
  for (const [name, attrs, opsets] of configs) {
    for (const opset of opsets) {
      it(`${name}, opset ${opset}`, async () => {
        const dims = [2, 2, 7, 8];
        const rand = uniform(800 + opset);
        // Values in {0, 1, 2}: nearly every window has tied maxima.
        const x = { data: Float32Array.from({ length: 224 }, () => Math.floor(rand() * 3)), dims };
        const model = oneOpModel({
          op: 'MaxPool',
          inputs: [{ name: 'x', shape: ['N', 2, 7, 8] }],
          attrs: {
            kernel_shape: attrs.kernel,
            strides: attrs.strides,
            pads: attrs.pads,
            dilations: attrs.dilations,
          },
          opset,
        });
        const run = await runVjp(model, { x }, (d) => randomTensor(rand, d));
        const expected = referenceMaxPoolGrad(x.data, dims, run.output.dims.slice(2), attrs, run.seed.data);
        run.grads[0].data.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
      });
    }
  }
});

describe('MaxPool backward stays proportional to the tensor size', () => {
  it('dilated 60x80 kernel on a 1000x1000 input: a small graph, routed as by definition', async () => {
    const attrs = { kernel: [60, 80], strides: [10, 10], pads: [10, 20, 10, 20], dilations: [10, 10] };
    const dims = [1, 1, 1000, 1000];
    const model = oneOpModel({
      op: 'MaxPool',
      inputs: [{ name: 'x', shape: dims }],
      attrs: {
        kernel_shape: attrs.kernel,
        strides: attrs.strides,
        pads: attrs.pads,
        dilations: attrs.dilations,
      },
      opset: 12,
    });
    const x = wellSeparated(uniform(77), dims, 1e-3);
    const outDims = [1, 1, 43, 25];
    const run = await runVjp(model, { x }, (d) => randomTensor(uniform(78), d), {
      shapes: { x: dims, y: outDims },
    });
    expect(run.graph.model.graph!.node!.length).toBeLessThan(40);
    const expected = referenceMaxPoolGrad(x.data, dims, outDims.slice(2), attrs, run.seed.data);
    // The route sums in double: only the final rounding to float32 remains.
    const worst = run.grads[0].data.reduce(
      (w, g, i) => Math.max(w, Math.abs(g - expected[i]) / (1 + Math.abs(expected[i]))),
      0,
    );
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('MaxPool on a flat region, overlapping windows', () => {
  // Every element ties (a flat image region): each window's gradient goes to its first element inside the
  // input in row-major order — the one PyTorch's max_pool2d picks —, and an element shared by windows that
  // all picked it gets their sum. Opset 11 unpools residue classes, 13 and 17 sum in one ScatterElements.
  for (const opset of [11, 13, 17]) {
    it(`3x3 stride 2 pad 1, opset ${opset}`, async () => {
      const dims = [2, 2, 7, 8];
      const model = oneOpModel({
        op: 'MaxPool',
        inputs: [{ name: 'x', shape: ['N', 2, 7, 8] }],
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        opset,
      });
      const x = { data: new Float32Array(2 * 2 * 7 * 8).fill(0.5), dims };
      const run = await runVjp(model, { x }, (d) => randomTensor(uniform(900 + opset), d));
      const [oh, ow] = run.output.dims.slice(2);
      const expected = new Float64Array(x.data.length);
      for (let plane = 0; plane < 4; plane++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            const first = plane * 56 + Math.max(0, 2 * i - 1) * 8 + Math.max(0, 2 * j - 1);
            expected[first] += run.seed.data[plane * oh * ow + i * ow + j];
          }
        }
      }
      run.grads[0].data.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
      // Exactly one element per window receives its gradient: at most the window count is nonzero.
      expect(run.grads[0].data.filter((g) => g !== 0).length).toBeLessThanOrEqual(4 * oh * ow);
    });
  }
});

describe('overlapping MaxPool routing and the opset it needs', () => {
  const pool = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
  const shapes = { x: [-1, 2, 7, 8], y: [-1, 2, 4, 4] };
  const build = (opset: number, attrs: AttrMap, withRoiAlign = false, withTrainingNorm = false) => {
    const model = makeModel({
      nodes: [
        makeNode('MaxPool', ['x'], ['y'], attrs),
        ...(withRoiAlign ? [makeNode('RoiAlign', ['f', 'rois', 'which'], ['r'], { output_height: 2 })] : []),
        // BatchNormalization's opset-13 training form: running and saved statistics as outputs 2–5.
        ...(withTrainingNorm
          ? [makeNode('BatchNormalization', ['f', 's', 'b', 'm', 'v'], ['n', 'rm', 'rv', 'sm', 'sv'])]
          : []),
      ],
      inputs: [
        makeValueInfo('x', ['N', 2, 7, 8]),
        ...(withRoiAlign
          ? [makeValueInfo('f', [1, 2, 4, 4]), makeValueInfo('rois', [1, 4]), makeValueInfo('which', [1], 7)]
          : []),
      ],
      outputs: [makeValueInfo('y', undefined), ...(withRoiAlign ? [makeValueInfo('r', undefined)] : [])],
      opset,
    });
    const built = buildVjpGraph(model, { output: 'y', wrt: ['x'], rule: 'gradient', shapes });
    return { opset: opsetVersion(built.model), ops: built.model.graph!.node!.map((n) => n.opType) };
  };

  it('an opset-13 build declares 16 and sums with one ScatterElements', () => {
    const built = build(13, pool);
    expect(built.opset).toBe(16);
    expect(built.ops).toContain('ScatterElements');
    expect(built.ops).not.toContain('MaxUnpool');
  });

  it('a model holding a RoiAlign keeps its opset and unpools residue classes', () => {
    const built = build(13, pool, true);
    expect(built.opset).toBe(13);
    expect(built.ops.filter((op) => op === 'MaxUnpool')).toHaveLength(4);
  });

  it('a model holding a training-form BatchNormalization keeps its opset and unpools residue classes', () => {
    const built = build(13, pool, false, true);
    expect(built.opset).toBe(13);
    expect(built.ops.filter((op) => op === 'MaxUnpool')).toHaveLength(4);
  });

  it('non-overlapping windows keep the opset and one MaxUnpool', () => {
    const built = build(13, { kernel_shape: [2, 2], strides: [2, 2] });
    expect(built.opset).toBe(13);
    expect(built.ops.filter((op) => op === 'MaxUnpool')).toHaveLength(1);
  });
});
