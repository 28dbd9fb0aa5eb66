/** Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose: NCHW ONNX Conv/ConvTranspose. */
import { UnsupportedError } from '../../errors.js';
import type { Dim, Value } from '../graph.js';
import { samePads, transposedOutput, windowOutput, windowPadAttrs } from '../padding.js';
import { fusedActivation, hwioToOihw, paddingMode, requireChannelsLast, staticDim } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  mode: 'valid' | 'same';
}

function windowOf(call: LayerCall): Window {
  requireChannelsLast(call);
  const strides = call.config.ints('strides', 2, [1, 1]);
  const dilations = call.config.ints('dilation_rate', 2, [1, 1]);
  if (strides.some((s) => s !== 1) && dilations.some((d) => d !== 1)) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' combines strides and dilation`,
    );
  }
  return { kernel: call.config.ints('kernel_size', 2), strides, dilations, mode: paddingMode(call) };
}

/** A Conv node on an NCHW input; `weight` is OIHW, `group` the ONNX group count. */
function convNode(
  call: LayerCall,
  x: Value,
  win: Window,
  weight: string,
  bias: string | undefined,
  group: number,
  outChannels: number,
  suffix: string,
): Value {
  const [h, w] = [x.shape[1], x.shape[2]];
  const name = call.g.op('Conv', bias ? [x.name, weight, bias] : [x.name, weight], `${call.base}/${suffix}`, {
    kernel_shape: win.kernel,
    strides: win.strides,
    dilations: win.dilations,
    group,
    ...windowPadAttrs(win.mode, [h, w], win.kernel, win.strides, win.dilations),
  });
  const outH = windowOutput(h, win.kernel[0], win.strides[0], win.dilations[0], win.mode);
  const outW = windowOutput(w, win.kernel[1], win.strides[1], win.dilations[1], win.mode);
  return { name, shape: [null, outH, outW, outChannels], layout: 'nchw' };
}

function biasParam(call: LayerCall, size: number): string | undefined {
  if (!call.config.boolean('use_bias', true)) return undefined;
  const bias = call.weight('bias', [size]);
  return call.param('bias', () => ({ dims: [size], data: bias.data }));
}

function conv2d(call: LayerCall): Value {
  const win = windowOf(call);
  const x = call.g.asNchw(call.single(4));
  const cin = staticDim(call, x, 3, 'input channel count');
  const filters = call.config.number('filters');
  const groups = call.config.number('groups', 1);
  const [kh, kw] = win.kernel;
  const kernel = call.weight('kernel', [kh, kw, cin / groups, filters]);
  const w = call.param('kernel', () => ({
    dims: [filters, cin / groups, kh, kw],
    data: hwioToOihw(kernel.data, kh, kw, cin / groups, filters),
  }));
  return fusedActivation(call, convNode(call, x, win, w, biasParam(call, filters), groups, filters, 'conv'));
}

/**
 * The depthwise kernel as an ONNX grouped-conv weight, and the depth multiplier. Keras's [kh, kw, C, M]
 * kernel is, flattened, a HWIO kernel with I = 1 and O = C·M. The multiplier is read from the kernel's
 * shape: TF.js does not write `depth_multiplier` into SeparableConv2D configs.
 */
function depthwiseWeight(call: LayerCall, win: Window, cin: number): { weight: string; multiplier: number } {
  const [kh, kw] = win.kernel;
  const kernel = call.weight('depthwise_kernel', [
    kh,
    kw,
    cin,
    call.config.optionalNumber('depth_multiplier') ?? null,
  ]);
  const multiplier = kernel.shape[3];
  const weight = call.param('depthwise_kernel', () => ({
    dims: [cin * multiplier, 1, kh, kw],
    data: hwioToOihw(kernel.data, kh, kw, 1, cin * multiplier),
  }));
  return { weight, multiplier };
}

function depthwiseConv2d(call: LayerCall): Value {
  const win = windowOf(call);
  const x = call.g.asNchw(call.single(4));
  const cin = staticDim(call, x, 3, 'input channel count');
  const { weight, multiplier } = depthwiseWeight(call, win, cin);
  const out = cin * multiplier;
  return fusedActivation(call, convNode(call, x, win, weight, biasParam(call, out), cin, out, 'conv'));
}

function separableConv2d(call: LayerCall): Value {
  const win = windowOf(call);
  const x = call.g.asNchw(call.single(4));
  const cin = staticDim(call, x, 3, 'input channel count');
  const filters = call.config.number('filters');
  const { weight, multiplier } = depthwiseWeight(call, win, cin);
  const depthwise = convNode(call, x, win, weight, undefined, cin, cin * multiplier, 'depthwise');
  const pointwise = call.weight('pointwise_kernel', [1, 1, cin * multiplier, filters]);
  const pw = call.param('pointwise_kernel', () => ({
    dims: [filters, cin * multiplier, 1, 1],
    data: hwioToOihw(pointwise.data, 1, 1, cin * multiplier, filters),
  }));
  const one: Window = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], mode: 'valid' };
  return fusedActivation(
    call,
    convNode(call, depthwise, one, pw, biasParam(call, filters), 1, filters, 'pointwise'),
  );
}

function conv2dTranspose(call: LayerCall): Value {
  const win = windowOf(call);
  if (call.config.has('output_padding')) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' sets output_padding, which is not supported`,
    );
  }
  const x = call.g.asNchw(call.single(4));
  const cin = staticDim(call, x, 3, 'input channel count');
  const filters = call.config.number('filters');
  const [kh, kw] = win.kernel;
  // Keras stores [kh, kw, out, in]; ONNX ConvTranspose wants [in, out, kh, kw].
  const kernel = call.weight('kernel', [kh, kw, filters, cin]);
  const w = call.param('kernel', () => {
    const data = new Float32Array(kernel.data.length);
    for (let y = 0; y < kh; y++)
      for (let xx = 0; xx < kw; xx++)
        for (let o = 0; o < filters; o++)
          for (let i = 0; i < cin; i++) {
            data[((i * filters + o) * kh + y) * kw + xx] =
              kernel.data[((y * kw + xx) * filters + o) * cin + i];
          }
    return { dims: [cin, filters, kh, kw], data };
  });
  // Keras sizes the output as in·s ('same') or in·s + max(k − s, 0) ('valid'): the full transposed
  // conv is cropped by the forward conv's 'same' pads, or grown by output_padding when k < s.
  const pads: number[] = [0, 0, 0, 0];
  const outputPadding: number[] = [0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const k = (win.kernel[axis] - 1) * win.dilations[axis] + 1;
    const s = win.strides[axis];
    if (win.mode === 'same') {
      const [begin, end] = samePads(s, k, s, 1) ?? [0, 0];
      pads[axis] = begin;
      pads[axis + 2] = end;
    }
    outputPadding[axis] = Math.max(s - k, 0);
  }
  const bias = call.config.boolean('use_bias', true) ? call.weight('bias', [filters]) : undefined;
  const inputs = [x.name, w];
  if (bias) inputs.push(call.param('bias', () => ({ dims: [filters], data: bias.data })));
  const name = call.g.op('ConvTranspose', inputs, `${call.base}/conv_transpose`, {
    kernel_shape: win.kernel,
    strides: win.strides,
    dilations: win.dilations,
    pads,
    output_padding: outputPadding,
  });
  const outHW: Dim[] = [0, 1].map((axis) =>
    transposedOutput(x.shape[axis + 1], win.kernel[axis], win.strides[axis], win.dilations[axis], win.mode),
  );
  return fusedActivation(call, { name, shape: [null, outHW[0], outHW[1], filters], layout: 'nchw' });
}

registerLayers({
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Conv2DTranspose: conv2dTranspose,
});
