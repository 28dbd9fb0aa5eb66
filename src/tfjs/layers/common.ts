/** Small pieces several layer families share. */
import { ModelError, UnsupportedError } from '../../errors.js';
import { emitActivation } from '../activation.js';
import type { Value } from '../graph.js';
import type { PaddingMode } from '../padding.js';
import type { LayerCall } from './registry.js';

/** Apply the layer's fused `activation` config (Dense, Conv2D, ...). */
export function fusedActivation(call: LayerCall, value: Value): Value {
  return emitActivation(
    call.g,
    call.config.activation('activation'),
    value,
    `${call.base}/activation`,
    call.layerName,
  );
}

/** Only channels_last layers are supported: that is what TF.js and Keras write by default. */
export function requireChannelsLast(call: LayerCall): void {
  const format = call.config.string('data_format', 'channels_last');
  if (format !== 'channels_last') {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' (${call.className}) uses data_format ${format}; only channels_last is supported`,
    );
  }
}

export function paddingMode(call: LayerCall): PaddingMode {
  const padding = call.config.string('padding', 'valid');
  if (padding !== 'valid' && padding !== 'same') {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' (${call.className}) uses padding '${padding}'; only 'valid' and 'same' are supported`,
    );
  }
  return padding;
}

/** A static dimension the layer needs to know (e.g. input channels). */
export function staticDim(call: LayerCall, value: Value, axis: number, what: string): number {
  const d = value.shape[axis < 0 ? value.shape.length + axis : axis];
  if (d === null || d === undefined) {
    throw new ModelError(
      'INVALID_MODEL',
      `layer '${call.layerName}' needs a static ${what}, found an open dimension`,
    );
  }
  return d;
}

/**
 * Keras HWIO kernel [kh, kw, in, out] → ONNX OIHW [out, in, kh, kw]. Blocked over (in, out) tiles:
 * the real models carry tens of millions of weights and a naive strided copy thrashes the cache.
 */
export function hwioToOihw(
  data: Float32Array,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): Float32Array {
  const out = new Float32Array(data.length);
  const spatial = kh * kw;
  const tile = 32;
  for (let s = 0; s < spatial; s++) {
    const base = s * cin * cout;
    for (let i0 = 0; i0 < cin; i0 += tile) {
      const i1 = Math.min(i0 + tile, cin);
      for (let o0 = 0; o0 < cout; o0 += tile) {
        const o1 = Math.min(o0 + tile, cout);
        for (let i = i0; i < i1; i++) {
          let src = base + i * cout + o0;
          let dst = (o0 * cin + i) * spatial + s;
          for (let o = o0; o < o1; o++) {
            out[dst] = data[src++];
            dst += cin * spatial;
          }
        }
      }
    }
  }
  return out;
}

/** Row-major 2-D transpose of a [rows, cols] matrix. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
