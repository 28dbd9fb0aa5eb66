/**
 * A small MobileNet-like image network built in tests: a stride-2 stem, an inverted residual block (1x1 expand,
 * 3x3 depthwise, 1x1 project, residual Add), a stride-2 inverted block, a pool, a (dilated) convolution, then
 * global average pooling and a linear head. `smooth` swaps the clipped activations for Tanh and the max pool
 * for an average pool and the dilated convolution for a plain one, so that every input pixel visibly moves every cell it reaches (no dead zones).
 */
import {
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import { seededValues } from './onnx-models.js';

export interface MobileLikeOptions {
  height: number;
  width: number;
  smooth?: boolean;
  classes?: number;
}

export function mobileLikeModel({
  height,
  width,
  smooth = false,
  classes = 5,
}: MobileLikeOptions): ModelProto {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [floatTensor('clip.min', [], [0]), floatTensor('clip.max', [], [6])];
  let seed = 100;
  const weight = (name: string, dims: number[], scale: number): string => {
    const count = dims.reduce((a, d) => a * d, 1);
    inits.push(
      floatTensor(
        name,
        dims,
        Array.from(seededValues(count, seed++), (v) => v * scale),
      ),
    );
    return name;
  };
  const act = (x: string, y: string): string => {
    nodes.push(smooth ? makeNode('Tanh', [x], [y]) : makeNode('Clip', [x, 'clip.min', 'clip.max'], [y]));
    return y;
  };
  const conv = (
    x: string,
    y: string,
    cin: number,
    cout: number,
    k: number,
    attrs: { strides?: number[]; pads?: number[]; group?: number; dilations?: number[] } = {},
  ): string => {
    const group = attrs.group ?? 1;
    const w = weight(`${y}.W`, [cout, cin / group, k, k], 1.5 / Math.sqrt((cin / group) * k * k));
    const b = weight(`${y}.B`, [cout], 0.1);
    nodes.push(
      makeNode('Conv', [x, w, b], [y], {
        kernel_shape: [k, k],
        strides: attrs.strides ?? [1, 1],
        pads: attrs.pads ?? [0, 0, 0, 0],
        group,
        dilations: attrs.dilations ?? [1, 1],
      }),
    );
    return y;
  };
  const stem = act(conv('x', 'stem.conv', 3, 8, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }), 'stem');
  // Inverted residual, stride 1.
  let h = act(conv(stem, 'b1.expand', 8, 16, 1), 'b1.expand.act');
  h = act(conv(h, 'b1.dw', 16, 16, 3, { pads: [1, 1, 1, 1], group: 16 }), 'b1.dw.act');
  h = conv(h, 'b1.project', 16, 8, 1);
  nodes.push(makeNode('Add', [stem, h], ['b1']));
  // Inverted block, stride 2, depthwise with asymmetric padding.
  h = act(conv('b1', 'b2.expand', 8, 16, 1), 'b2.expand.act');
  h = act(conv(h, 'b2.dw', 16, 16, 3, { strides: [2, 2], pads: [1, 0, 1, 1], group: 16 }), 'b2.dw.act');
  h = conv(h, 'b2', 16, 12, 1);
  nodes.push(
    smooth
      ? makeNode('AveragePool', [h], ['pool'], { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] })
      : makeNode('MaxPool', [h], ['pool'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }),
  );
  // Dilated where dead zones are allowed anyway: a dilated kernel skips cells, so not every footprint cell moves.
  const dilation = smooth ? 1 : 2;
  h = act(
    conv('pool', 'dil', 12, 12, 3, {
      pads: [dilation, dilation, dilation, dilation],
      dilations: [dilation, dilation],
    }),
    'features',
  );
  nodes.push(
    makeNode('GlobalAveragePool', [h], ['gap']),
    makeNode('Flatten', ['gap'], ['flat'], { axis: 1 }),
    makeNode('Gemm', ['flat', weight('fc.W', [classes, 12], 2), weight('fc.B', [classes], 0.1)], ['logits'], {
      transB: 1,
    }),
  );
  return makeModel({
    nodes,
    inputs: [makeValueInfo('x', ['N', 3, height, width])],
    outputs: [makeValueInfo('logits', ['N', classes])],
    initializers: inits,
    opset: 13,
  });
}
