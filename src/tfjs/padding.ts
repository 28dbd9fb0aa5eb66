/**
 * Keras/TensorFlow window arithmetic. 'same' pads total = max((out - 1)·s + k_eff − in, 0) and puts
 * the odd pixel at the end (bottom/right), which ONNX can only express with explicit pads.
 */
import type { Dim } from './graph.js';

export type PaddingMode = 'valid' | 'same';

export function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/** Output length of a conv/pool window along one axis. */
export function windowOutput(
  input: Dim,
  kernel: number,
  stride: number,
  dilation: number,
  mode: PaddingMode,
): Dim {
  if (input === null) return null;
  const k = effectiveKernel(kernel, dilation);
  return mode === 'same' ? Math.ceil(input / stride) : Math.floor((input - k) / stride) + 1;
}

/** (begin, end) pads along one axis; null when the input size is not static. */
export function samePads(
  input: Dim,
  kernel: number,
  stride: number,
  dilation: number,
): [number, number] | null {
  if (input === null) return null;
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel(kernel, dilation) - input, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * Pads attributes for a 2-D window op: explicit `pads` where sizes are static, else ONNX's
 * SAME_UPPER (which also puts the extra pixel at the end).
 */
export function windowPadAttrs(
  mode: PaddingMode,
  inputHW: readonly Dim[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): { pads?: number[]; auto_pad?: string } {
  if (mode === 'valid') return { pads: [0, 0, 0, 0] };
  const h = samePads(inputHW[0], kernel[0], strides[0], dilations[0]);
  const w = samePads(inputHW[1], kernel[1], strides[1], dilations[1]);
  if (!h || !w) return { auto_pad: 'SAME_UPPER' };
  return { pads: [h[0], w[0], h[1], w[1]] };
}

/** Output length of a Keras transposed convolution along one axis. */
export function transposedOutput(
  input: Dim,
  kernel: number,
  stride: number,
  dilation: number,
  mode: PaddingMode,
): Dim {
  if (input === null) return null;
  const k = effectiveKernel(kernel, dilation);
  return mode === 'same' ? input * stride : input * stride + Math.max(k - stride, 0);
}
