/**
 * A background-removal-sized segmenter built in memory for the bench: a U-Net-like encoder–decoder over a
 * 1024×1024 RGB image (five levels, 32 → 512 channels, two 3×3 conv + ReLU per level, max-pool down, nearest
 * resize up with skip concatenation) ending in a one-channel sigmoid mask. Random weights (He-scaled, seeded):
 * the bench measures what shapes and sessions cost, not what the mask means. About 7.8 M parameters (31 MB).
 */
import {
  DataType,
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';

export const UNET_SIZE = 1024;
const WIDTHS = [32, 64, 128, 256, 512];

/** Deterministic uniform values in [-scale, scale) (LCG). */
function seeded(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 31 - 1) * scale;
  }
  return out;
}

export function unetSegmenter(size = UNET_SIZE, widths: readonly number[] = WIDTHS): ModelProto {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let seed = 1;
  const conv = (input: string, cin: number, cout: number, k: number, name: string): string => {
    const count = cout * cin * k * k;
    inits.push(
      floatTensor(`${name}.w`, [cout, cin, k, k], seeded(count, seed++, Math.sqrt(6 / (cin * k * k)))),
    );
    inits.push(floatTensor(`${name}.b`, [cout], new Float32Array(cout)));
    const pad = (k - 1) / 2;
    nodes.push(
      makeNode(
        'Conv',
        [input, `${name}.w`, `${name}.b`],
        [name],
        { kernel_shape: [k, k], pads: [pad, pad, pad, pad] },
        name,
      ),
    );
    return name;
  };
  const block = (input: string, cin: number, cout: number, name: string): string => {
    const a = conv(input, cin, cout, 3, `${name}.conv1`);
    nodes.push(makeNode('Relu', [a], [`${name}.relu1`], {}, `${name}.relu1`));
    const b = conv(`${name}.relu1`, cout, cout, 3, `${name}.conv2`);
    nodes.push(makeNode('Relu', [b], [`${name}.relu2`], {}, `${name}.relu2`));
    return `${name}.relu2`;
  };
  inits.push(floatTensor('up.scales', [4], [1, 1, 2, 2]));
  const skips: string[] = [];
  let x = 'image';
  let cin = 3;
  widths.forEach((width, level) => {
    if (level > 0) {
      nodes.push(
        makeNode('MaxPool', [x], [`down${level}`], { kernel_shape: [2, 2], strides: [2, 2] }, `down${level}`),
      );
      x = `down${level}`;
    }
    x = block(x, cin, width, `enc${level}`);
    skips.push(x);
    cin = width;
  });
  for (let level = widths.length - 2; level >= 0; level--) {
    const up = `up${level}`;
    nodes.push(makeNode('Resize', [x, '', 'up.scales'], [up], { mode: 'nearest' }, up));
    nodes.push(makeNode('Concat', [up, skips[level]], [`cat${level}`], { axis: 1 }, `cat${level}`));
    x = block(`cat${level}`, cin + widths[level], widths[level], `dec${level}`);
    cin = widths[level];
  }
  const logits = conv(x, cin, 1, 1, 'head');
  nodes.push(makeNode('Sigmoid', [logits], ['mask'], {}, 'mask'));
  return makeModel({
    nodes,
    inputs: [makeValueInfo('image', ['N', 3, size, size])],
    outputs: [makeValueInfo('mask', ['N', 1, size, size], DataType.FLOAT)],
    initializers: inits,
    opset: 17,
    name: 'unet-segmenter',
    metadata: {
      'netlens.task': 'segmentation',
      'netlens.input': JSON.stringify({
        height: size,
        width: size,
        channels: 3,
        layout: 'NCHW',
        channelOrder: 'RGB',
        scale: 1 / 255,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      }),
    },
  });
}
