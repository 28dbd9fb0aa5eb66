/**
 * Small ONNX graphs built in tests, plus plain-JS reference implementations of their maths so results can be
 * checked against an independent computation.
 */
import {
  DataType,
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
  type NodeProto,
} from '../../src/onnx/proto.js';

/** Deterministic values in [-1, 1) from a seed (LCG): test weights and inputs. */
export function seededValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

export const CNN = {
  channels: 1,
  size: 4,
  filters: 2,
  classes: 3,
  convW: seededValues(2 * 1 * 3 * 3, 11),
  convB: Float32Array.from([0.1, -0.2]),
  fcW: seededValues(3 * 2, 12),
  fcB: Float32Array.from([0.05, -0.1, 0.2]),
  labels: ['circle', 'square', 'triangle'],
};

export interface CnnOptions {
  /** End in Softmax (probabilities) or stop at the Gemm (logits). */
  softmax?: boolean;
  /** Put an Identity after the Softmax (still probabilities). */
  identityAfterSoftmax?: boolean;
  /** Flatten with one Flatten node, or PyTorch-style Shape → Gather → Unsqueeze → Concat → Reshape. */
  flatten?: 'Flatten' | 'shape-chain';
  /** Batch dim of the input: symbolic 'N' or a fixed number. */
  batch?: string | number;
  metadata?: Record<string, string>;
  /** Store the nodes in reverse order (still a valid graph once sorted). */
  reverseNodes?: boolean;
}

/** conv(3x3, pad 1) → relu → global average pool → flatten → gemm → [softmax]. Input [N, 1, 4, 4]. */
export function cnnModel(options: CnnOptions = {}): ModelProto {
  const { softmax = true, flatten = 'Flatten', batch = 'N' } = options;
  const nodes: NodeProto[] = [
    makeNode(
      'Conv',
      ['x', 'conv.W', 'conv.B'],
      ['conv1'],
      { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      'Conv_0',
    ),
    makeNode('Relu', ['conv1'], ['relu1'], {}, 'Relu_1'),
    makeNode('GlobalAveragePool', ['relu1'], ['gap'], {}, 'GAP_2'),
  ];
  if (flatten === 'Flatten') {
    nodes.push(makeNode('Flatten', ['gap'], ['flat'], { axis: 1 }, 'Flatten_3'));
  } else {
    nodes.push(
      makeNode('Shape', ['gap'], ['gap_shape']),
      makeNode('Constant', [], ['zero'], { value: int64Tensor('', [], [0]) }),
      makeNode('Gather', ['gap_shape', 'zero'], ['batch_dim'], { axis: 0 }),
      makeNode('Unsqueeze', ['batch_dim', 'axes0'], ['batch_dim1']),
      makeNode('Concat', ['batch_dim1', 'minus_one'], ['flat_shape'], { axis: 0 }),
      makeNode('Reshape', ['gap', 'flat_shape'], ['flat'], {}, 'Reshape_3'),
    );
  }
  nodes.push(makeNode('Gemm', ['flat', 'fc.W', 'fc.B'], ['logits'], { transB: 1 }, 'Gemm_4'));
  let output = 'logits';
  if (softmax) {
    nodes.push(makeNode('Softmax', ['logits'], ['prob'], { axis: 1 }, 'Softmax_5'));
    output = 'prob';
    if (options.identityAfterSoftmax) {
      nodes.push(makeNode('Identity', ['prob'], ['prob_out'], {}, 'Identity_6'));
      output = 'prob_out';
    }
  }
  if (options.reverseNodes) nodes.reverse();
  return makeModel({
    nodes,
    inputs: [makeValueInfo('x', [batch, CNN.channels, CNN.size, CNN.size])],
    outputs: [makeValueInfo(output, [batch, CNN.classes])],
    initializers: [
      floatTensor('conv.W', [CNN.filters, CNN.channels, 3, 3], CNN.convW),
      floatTensor('conv.B', [CNN.filters], CNN.convB),
      floatTensor('fc.W', [CNN.classes, CNN.filters], CNN.fcW),
      floatTensor('fc.B', [CNN.classes], CNN.fcB),
      ...(flatten === 'shape-chain'
        ? [int64Tensor('axes0', [1], [0]), int64Tensor('minus_one', [1], [-1])]
        : []),
    ],
    metadata: options.metadata,
  });
}

/** Reference: relu(conv3x3_pad1(x)) for one item [1, 4, 4] → [2, 4, 4], written out loop by loop. */
export function referenceConvRelu(item: Float32Array): Float32Array {
  const n = CNN.size;
  const out = new Float32Array(CNN.filters * n * n);
  for (let f = 0; f < CNN.filters; f++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let sum = CNN.convB[f];
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1;
            const ix = x + kx - 1;
            if (iy < 0 || iy >= n || ix < 0 || ix >= n) continue;
            sum += CNN.convW[f * 9 + ky * 3 + kx] * item[iy * n + ix];
          }
        }
        out[f * n * n + y * n + x] = Math.max(0, sum);
      }
    }
  }
  return out;
}

/** Reference logits of the CNN for one item. */
export function referenceLogits(item: Float32Array): number[] {
  const act = referenceConvRelu(item);
  const area = CNN.size * CNN.size;
  const pooled = [0, 1].map((f) => act.slice(f * area, (f + 1) * area).reduce((a, b) => a + b, 0) / area);
  return [0, 1, 2].map((k) => CNN.fcB[k] + CNN.fcW[k * 2] * pooled[0] + CNN.fcW[k * 2 + 1] * pooled[1]);
}

export function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * A skip connection: x → conv 1x1 'a' → relu 'b' → conv 1x1 'c' → add(a, c) 'd' → relu 'e' → GAP → flatten 'y'.
 * Running from 'b' or 'c' needs 'a' as well; running from 'd' does not.
 */
export function skipModel(): ModelProto {
  return makeModel({
    nodes: [
      makeNode('Conv', ['x', 'w1'], ['a'], {}, 'conv_a'),
      makeNode('Relu', ['a'], ['b'], {}, 'relu_b'),
      makeNode('Conv', ['b', 'w2'], ['c'], {}, 'conv_c'),
      makeNode('Add', ['a', 'c'], ['d'], {}, 'add_d'),
      makeNode('Relu', ['d'], ['e'], {}, 'relu_e'),
      makeNode('GlobalAveragePool', ['e'], ['p'], {}, 'gap_p'),
      makeNode('Flatten', ['p'], ['y'], {}, 'flatten_y'),
    ],
    inputs: [makeValueInfo('x', ['batch', 2, 3, 3])],
    outputs: [makeValueInfo('y', ['batch', 2])],
    initializers: [
      floatTensor('w1', [2, 2, 1, 1], seededValues(4, 21)),
      floatTensor('w2', [2, 2, 1, 1], seededValues(4, 22)),
    ],
  });
}

/** A model whose only input is int64 (token ids): no float input. */
export function intInputModel(): ModelProto {
  return makeModel({
    nodes: [makeNode('Gather', ['table', 'ids'], ['emb'], { axis: 0 })],
    inputs: [makeValueInfo('ids', ['N', 3], DataType.INT64)],
    outputs: [makeValueInfo('emb', ['N', 3, 2])],
    initializers: [floatTensor('table', [5, 2], seededValues(10, 5))],
  });
}

export const ELEMENTWISE = {
  w: Float32Array.from([0.5, -1.5, 2, 1]),
  b: Float32Array.from([0.1, 0.2, -0.3, 0]),
  v: Float32Array.from([1, 2, -1, 0.5]),
};

/** y = relu(x * w + b) * v, element-wise over [N, 4]: its gradients are known in closed form. */
export function elementwiseModel(): ModelProto {
  return makeModel({
    nodes: [
      makeNode('Mul', ['x', 'w'], ['m'], {}, 'mul_w'),
      makeNode('Add', ['m', 'b'], ['a'], {}, 'add_b'),
      makeNode('Relu', ['a'], ['h'], {}, 'relu_h'),
      makeNode('Mul', ['h', 'v'], ['y'], {}, 'mul_v'),
    ],
    inputs: [makeValueInfo('x', ['N', 4])],
    outputs: [makeValueInfo('y', ['N', 4])],
    initializers: [
      floatTensor('w', [4], ELEMENTWISE.w),
      floatTensor('b', [4], ELEMENTWISE.b),
      floatTensor('v', [4], ELEMENTWISE.v),
    ],
  });
}

/** A sequence model with symbolic batch and time: x [N, T, 3] → MatMul → Relu 'h' [N, T, 2] → mean over T. */
export function sequenceModel(metadata?: Record<string, string>): ModelProto {
  return makeModel({
    nodes: [
      makeNode('MatMul', ['x', 'w'], ['proj'], {}, 'proj'),
      makeNode('Relu', ['proj'], ['h'], {}, 'relu_h'),
      makeNode('ReduceMean', ['h'], ['y'], { axes: [1], keepdims: 0 }, 'mean_t'),
    ],
    inputs: [makeValueInfo('x', ['N', 'T', 3])],
    outputs: [makeValueInfo('y', ['N', 2])],
    initializers: [floatTensor('w', [3, 2], seededValues(6, 41))],
    metadata,
  });
}

/**
 * A time-major middle, as recurrent exports have: x [N, T, 3] → Transpose 'tm' [T, N, 3]; a constant state
 * 'state' = ConstantOfShape(Shape(tm), 0.5); 'mixed' = relu(tm + state) [T, N, 3]; transposed back and
 * averaged over time: y[n, c] = mean_t relu(x[n, t, c] + 0.5).
 */
export function timeMajorModel(): ModelProto {
  return makeModel({
    nodes: [
      makeNode('Transpose', ['x'], ['tm'], { perm: [1, 0, 2] }, 'to_time_major'),
      makeNode('Shape', ['tm'], ['tm_shape'], {}, 'shape'),
      makeNode('ConstantOfShape', ['tm_shape'], ['state'], { value: floatTensor('', [1], [0.5]) }, 'state'),
      makeNode('Add', ['tm', 'state'], ['shifted'], {}, 'add_state'),
      makeNode('Relu', ['shifted'], ['mixed'], {}, 'relu'),
      makeNode('Transpose', ['mixed'], ['back'], { perm: [1, 0, 2] }, 'to_batch_major'),
      makeNode('ReduceMean', ['back'], ['y'], { axes: [1], keepdims: 0 }, 'mean_t'),
    ],
    inputs: [makeValueInfo('x', ['N', 'T', 3])],
    outputs: [makeValueInfo('y', ['N', 3])],
  });
}

/** A table model y = x · w + b over [N, F] (w is F × K, row-major), with optional metadata. */
export function tableLinearModel(
  w: Float32Array,
  b: Float32Array,
  features: number,
  metadata?: Record<string, string>,
): ModelProto {
  const outputs = b.length;
  return makeModel({
    nodes: [
      makeNode('MatMul', ['x', 'w'], ['xw'], {}, 'matmul'),
      makeNode('Add', ['xw', 'b'], ['y'], {}, 'add_b'),
    ],
    inputs: [makeValueInfo('x', ['N', features])],
    outputs: [makeValueInfo('y', ['N', outputs])],
    initializers: [floatTensor('w', [features, outputs], w), floatTensor('b', [outputs], b)],
    metadata,
  });
}

/** y = relu(x · w1 + b1) · w2 over [N, 3] with 4 hidden units; `tableMlpReference` computes it in JS. */
export const TABLE_MLP = {
  w1: seededValues(12, 71),
  b1: seededValues(4, 72),
  w2: seededValues(4, 73),
};

export function tableMlpModel(): ModelProto {
  return makeModel({
    nodes: [
      makeNode('MatMul', ['x', 'w1'], ['h0'], {}, 'fc1'),
      makeNode('Add', ['h0', 'b1'], ['h1'], {}, 'add1'),
      makeNode('Relu', ['h1'], ['h'], {}, 'relu'),
      makeNode('MatMul', ['h', 'w2'], ['y'], {}, 'fc2'),
    ],
    inputs: [makeValueInfo('x', ['N', 3])],
    outputs: [makeValueInfo('y', ['N', 1])],
    initializers: [
      floatTensor('w1', [3, 4], TABLE_MLP.w1),
      floatTensor('b1', [4], TABLE_MLP.b1),
      floatTensor('w2', [4, 1], TABLE_MLP.w2),
    ],
  });
}

export function tableMlpReference(x: ArrayLike<number>): number {
  let y = 0;
  for (let j = 0; j < 4; j++) {
    let h = TABLE_MLP.b1[j];
    for (let i = 0; i < 3; i++) h += x[i] * TABLE_MLP.w1[i * 4 + j];
    y += Math.max(0, h) * TABLE_MLP.w2[j];
  }
  return y;
}
