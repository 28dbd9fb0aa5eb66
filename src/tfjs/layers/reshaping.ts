/**
 * Flatten, Reshape, Permute (these need the Keras channels_last order, so NCHW inputs are transposed
 * back first) and the spatial ZeroPadding2D, Cropping2D, UpSampling2D (done in NCHW).
 */
import { ModelError, UnsupportedError } from '../../errors.js';
import { staticSize, type Dim, type Value } from '../graph.js';
import { requireChannelsLast } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

function flatten(call: LayerCall): Value {
  let x = call.single();
  const size = staticSize(x.shape.slice(1));
  if (x.shape.length <= 2) return x;
  if (call.config.string('data_format', 'channels_last') === 'channels_first') {
    // Keras moves axis 1 to the end first, so weights keep their order across data formats.
    const k = call.g.asKeras(x);
    const perm = [0, ...k.shape.map((_, i) => i).slice(2), 1];
    x = {
      name: call.g.op('Transpose', [k.name], `${call.base}/to_channels_last`, { perm }),
      shape: x.shape,
      layout: 'keras',
    };
  } else if (x.layout === 'nchw' && !(x.shape[1] === 1 && x.shape[2] === 1) && x.shape[3] !== 1) {
    // Flattening must follow H, W, C order; with 1×1 spatial size (or one channel) NCHW order is the same.
    x = call.g.asKeras(x);
  }
  const name = call.g.op('Flatten', [x.name], `${call.base}/flatten`, { axis: 1 });
  return { name, shape: [null, size], layout: 'keras' };
}

function reshape(call: LayerCall): Value {
  const x = call.g.asKeras(call.single());
  const target = call.config.shape('target_shape').map((d) => (d === null ? -1 : d));
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1)
    throw new ModelError('INVALID_MODEL', `layer '${call.layerName}' has more than one -1 in target_shape`);
  const inSize = staticSize(x.shape.slice(1));
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape: Dim[] = [
    null,
    ...target.map((d) => (d === -1 ? (inSize === null ? null : inSize / known) : d)),
  ];
  // Leading 0 copies the (dynamic) batch size.
  const name = call.g.op('Reshape', [x.name, call.g.int64s([0, ...target])], `${call.base}/reshape`);
  return { name, shape, layout: 'keras' };
}

function permute(call: LayerCall): Value {
  const x = call.g.asKeras(call.single());
  const dims = call.config.shape('dims');
  if (dims.some((d) => d === null) || dims.length !== x.shape.length - 1) {
    throw new ModelError(
      'INVALID_MODEL',
      `layer '${call.layerName}' has dims ${JSON.stringify(dims)} for a ${x.shape.length}-D input`,
    );
  }
  const perm = [0, ...(dims as number[])];
  const name = call.g.op('Transpose', [x.name], `${call.base}/transpose`, { perm });
  return { name, shape: perm.map((p) => x.shape[p]), layout: 'keras' };
}

function zeroPadding2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.g.asNchw(call.single(4));
  const [[top, bottom], [left, right]] = call.config.pairs('padding', 2);
  const pads = call.g.int64s([0, 0, top, left, 0, 0, bottom, right]);
  const name = call.g.op('Pad', [x.name, pads], `${call.base}/pad`, { mode: 'constant' });
  const grow = (d: Dim, n: number): Dim => (d === null ? null : d + n);
  return {
    name,
    shape: [null, grow(x.shape[1], top + bottom), grow(x.shape[2], left + right), x.shape[3]],
    layout: 'nchw',
  };
}

// Slice clamps ends to the dimension; any large value means "to the end".
const TO_END = Number.MAX_SAFE_INTEGER;

function cropping2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.g.asNchw(call.single(4));
  const [[top, bottom], [left, right]] = call.config.pairs('cropping', 2);
  // Negative ends count from the far edge, so open spatial sizes work too.
  const starts = call.g.int64s([top, left]);
  const ends = call.g.int64s([bottom > 0 ? -bottom : TO_END, right > 0 ? -right : TO_END]);
  const name = call.g.op('Slice', [x.name, starts, ends, call.g.int64s([2, 3])], `${call.base}/crop`);
  const shrink = (d: Dim, n: number): Dim => (d === null ? null : d - n);
  return {
    name,
    shape: [null, shrink(x.shape[1], top + bottom), shrink(x.shape[2], left + right), x.shape[3]],
    layout: 'nchw',
  };
}

/**
 * UpSampling2D as TF.js runs it: resizeNearestNeighbor / resizeBilinear without align_corners or
 * half-pixel centers, i.e. ONNX Resize with 'asymmetric' coordinates.
 */
function upSampling2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.g.asNchw(call.single(4));
  const [sh, sw] = call.config.ints('size', 2, [2, 2]);
  const interpolation = call.config.string('interpolation', 'nearest');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' uses interpolation '${interpolation}'`,
    );
  }
  const scales = call.g.floats(`${call.base}/scales`, [4], [1, 1, sh, sw]);
  const name = call.g.op('Resize', [x.name, '', scales], `${call.base}/resize`, {
    mode: interpolation === 'nearest' ? 'nearest' : 'linear',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  const scale = (d: Dim, s: number): Dim => (d === null ? null : d * s);
  return { name, shape: [null, scale(x.shape[1], sh), scale(x.shape[2], sw), x.shape[3]], layout: 'nchw' };
}

registerLayers({
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
});
