/**
 * MaxPooling2D, AveragePooling2D (Keras 'same' averages only over real pixels: count_include_pad = 0),
 * GlobalAveragePooling2D, GlobalMaxPooling2D.
 */
import type { Value } from '../graph.js';
import { windowOutput, windowPadAttrs } from '../padding.js';
import { paddingMode, requireChannelsLast } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

function pool(opType: 'MaxPool' | 'AveragePool') {
  return (call: LayerCall): Value => {
    requireChannelsLast(call);
    const kernel = call.config.ints('pool_size', 2, [2, 2]);
    const strides = call.config.ints('strides', 2, kernel);
    const mode = paddingMode(call);
    const x = call.g.asNchw(call.single(4));
    const [h, w, c] = x.shape.slice(1);
    const attrs = { kernel_shape: kernel, strides, ...windowPadAttrs(mode, [h, w], kernel, strides, [1, 1]) };
    const name = call.g.op(
      opType,
      [x.name],
      `${call.base}/pool`,
      opType === 'AveragePool' ? { ...attrs, count_include_pad: 0 } : attrs,
    );
    const outH = windowOutput(h, kernel[0], strides[0], 1, mode);
    const outW = windowOutput(w, kernel[1], strides[1], 1, mode);
    return { name, shape: [null, outH, outW, c], layout: 'nchw' };
  };
}

function globalPool(opType: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (call: LayerCall): Value => {
    requireChannelsLast(call);
    const x = call.g.asNchw(call.single(4));
    const c = x.shape[3];
    const pooled = call.g.op(opType, [x.name], `${call.base}/pool`);
    if (call.config.boolean('keepdims', false))
      return { name: pooled, shape: [null, 1, 1, c], layout: 'nchw' };
    // [N, C, 1, 1] → [N, C]: with 1×1 spatial size channel order is the same in both layouts.
    const flat = call.g.op('Flatten', [pooled], `${call.base}/flatten`, { axis: 1 });
    return { name: flat, shape: [null, c], layout: 'keras' };
  };
}

registerLayers({
  MaxPooling2D: pool('MaxPool'),
  MaxPool2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  AvgPool2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalAvgPool2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  GlobalMaxPool2D: globalPool('GlobalMaxPool'),
});
