/**
 * Dense (on the last axis of any rank), Embedding, Rescaling, and the layers that are the identity at
 * inference (Dropout and friends).
 */
import { UnsupportedError } from '../../errors.js';
import { channelBroadcastDims, type Value } from '../graph.js';
import { fusedActivation, staticDim } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

function dense(call: LayerCall): Value {
  const x = call.single();
  const units = call.config.number('units');
  const inDim = staticDim(call, x, -1, 'input feature size');
  const kernel = call.weight('kernel', [inDim, units]);
  const useBias = call.config.boolean('use_bias', true);
  const bias = useBias ? call.weight('bias', [units]) : undefined;
  const shape = [...x.shape.slice(0, -1), units];
  const g = call.g;
  let y: Value;
  if (x.layout === 'nchw') {
    // Dense on the channel axis of an image tensor is a 1×1 convolution; it stays in NCHW.
    const w = call.param('kernel_oihw', () => {
      const data = new Float32Array(kernel.data.length);
      for (let i = 0; i < inDim; i++)
        for (let o = 0; o < units; o++) data[o * inDim + i] = kernel.data[i * units + o];
      return { dims: [units, inDim, 1, 1], data };
    });
    const inputs = [x.name, w];
    if (bias) inputs.push(call.param('bias', () => ({ dims: [units], data: bias.data })));
    y = {
      name: g.op('Conv', inputs, `${call.base}/conv1x1`, { kernel_shape: [1, 1] }),
      shape,
      layout: 'nchw',
    };
  } else {
    const w = call.param('kernel', () => ({ dims: [inDim, units], data: kernel.data }));
    const b = bias ? call.param('bias', () => ({ dims: [units], data: bias.data })) : undefined;
    if (x.shape.length === 2) {
      y = {
        name: g.op('Gemm', b ? [x.name, w, b] : [x.name, w], `${call.base}/gemm`),
        shape,
        layout: 'keras',
      };
    } else {
      const mm = g.op('MatMul', [x.name, w], `${call.base}/matmul`);
      y = { name: b ? g.op('Add', [mm, b], `${call.base}/bias_add`) : mm, shape, layout: 'keras' };
    }
  }
  return fusedActivation(call, y);
}

/** Embedding: indices arrive as floats (TF.js casts them to int32 too) and gather rows. */
function embedding(call: LayerCall): Value {
  if (call.config.boolean('mask_zero', false)) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' (Embedding) sets mask_zero; masking is not supported`,
    );
  }
  const x = call.g.asKeras(call.single());
  const inputDim = call.config.number('input_dim');
  const outputDim = call.config.number('output_dim');
  const table = call.weight('embeddings', [inputDim, outputDim]);
  const w = call.param('embeddings', () => ({ dims: [inputDim, outputDim], data: table.data }));
  const indices = call.g.op('Cast', [x.name], `${call.base}/indices`, { to: 7 });
  const name = call.g.op('Gather', [w, indices], `${call.base}/gather`, { axis: 0 });
  return { name, shape: [...x.shape, outputDim], layout: 'keras' };
}

/** Rescaling: x·scale + offset; list-valued scale/offset broadcast over the channel (last) axis. */
function rescaling(call: LayerCall): Value {
  const x = call.single();
  const operand = (key: string, fallback: number): string => {
    const raw = call.config.raw[key] ?? fallback;
    if (typeof raw === 'number') return call.g.scalar(raw);
    if (Array.isArray(raw) && raw.every((v) => typeof v === 'number')) {
      return call.param(key, () => ({ dims: channelBroadcastDims(x, raw.length), data: raw as number[] }));
    }
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}' has ${key} ${JSON.stringify(raw)}`,
    );
  };
  const scaled = call.g.op('Mul', [x.name, operand('scale', 1)], `${call.base}/scale`);
  const name = call.g.op('Add', [scaled, operand('offset', 0)], `${call.base}/offset`);
  return { name, shape: x.shape, layout: x.layout };
}

/** Regularization layers are the identity at inference. */
const identity = (call: LayerCall): Value => call.single();

registerLayers({
  Dense: dense,
  Embedding: embedding,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
});
