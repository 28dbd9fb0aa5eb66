/**
 * BatchNormalization (inference): ONNX BatchNormalization when the normalized axis is the ONNX channel
 * axis 1, else the equivalent per-axis scale and shift.
 */
import { ModelError } from '../../errors.js';
import { onnxAxis, type Value } from '../graph.js';
import { staticDim } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

function batchNormalization(call: LayerCall): Value {
  const x = call.single();
  const rank = x.shape.length;
  const rawAxis = call.config.raw.axis;
  const axisList = Array.isArray(rawAxis) ? rawAxis : [rawAxis ?? -1];
  if (axisList.length !== 1 || typeof axisList[0] !== 'number') {
    throw new ModelError(
      'INVALID_MODEL',
      `layer '${call.layerName}' normalizes over axes ${JSON.stringify(rawAxis)}; one axis expected`,
    );
  }
  const kerasAxis = axisList[0] < 0 ? axisList[0] + rank : axisList[0];
  const c = staticDim(call, x, kerasAxis, 'normalized axis size');
  const epsilon = call.config.number('epsilon', 1e-3);
  const gamma = call.config.boolean('scale', true)
    ? call.weight('gamma', [c]).data
    : new Float32Array(c).fill(1);
  const beta = call.config.boolean('center', true) ? call.weight('beta', [c]).data : new Float32Array(c);
  const mean = call.weight('moving_mean', [c]).data;
  const variance = call.weight('moving_variance', [c]).data;

  // 4-D inputs are normalized in NCHW, where the channel axis is ONNX's axis 1.
  const input = rank === 4 && kerasAxis === 3 ? call.g.asNchw(x) : x;
  const axis = onnxAxis(input, kerasAxis);
  if (axis === 1 && rank >= 2) {
    const inputs = [
      input.name,
      call.param('gamma', () => ({ dims: [c], data: gamma })),
      call.param('beta', () => ({ dims: [c], data: beta })),
      call.param('moving_mean', () => ({ dims: [c], data: mean })),
      call.param('moving_variance', () => ({ dims: [c], data: variance })),
    ];
    const name = call.g.op('BatchNormalization', inputs, `${call.base}/bn`, {
      epsilon: { value: epsilon, kind: 'float' },
    });
    return { name, shape: x.shape, layout: input.layout };
  }
  // y = x·scale + shift with scale = γ/√(σ² + ε), shift = β − μ·scale, broadcast along `axis`.
  const dims = [c, ...new Array<number>(rank - 1 - axis).fill(1)];
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + epsilon);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const scaled = call.g.op(
    'Mul',
    [input.name, call.param('scale', () => ({ dims, data: scale }))],
    `${call.base}/scale`,
  );
  const name = call.g.op(
    'Add',
    [scaled, call.param('shift', () => ({ dims, data: shift }))],
    `${call.base}/shift`,
  );
  return { name, shape: x.shape, layout: input.layout };
}

registerLayers({ BatchNormalization: batchNormalization });
