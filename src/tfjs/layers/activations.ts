/** Activation, ReLU (max_value, negative_slope, threshold), LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax. */
import { emitActivation } from '../activation.js';
import { onnxAxis, type Value } from '../graph.js';
import { registerLayers, type LayerCall } from './registry.js';

function activation(call: LayerCall): Value {
  return emitActivation(
    call.g,
    call.config.activation('activation'),
    call.single(),
    `${call.base}/activation`,
    call.layerName,
  );
}

/**
 * Keras ReLU: y = x where threshold < x (else 0), clipped to max_value, minus
 * negative_slope·max(threshold − x, 0).
 */
function relu(call: LayerCall): Value {
  const x = call.single();
  const g = call.g;
  const maxValue = call.config.optionalNumber('max_value');
  const slope = call.config.number('negative_slope', 0);
  const threshold = call.config.number('threshold', 0);
  const out = (name: string): Value => ({ name, shape: x.shape, layout: x.layout });
  const float = (value: number) => ({ value, kind: 'float' as const });

  if (threshold === 0 && slope === 0) {
    return out(
      maxValue === undefined
        ? g.op('Relu', [x.name], `${call.base}/relu`)
        : g.op('Clip', [x.name, g.scalar(0), g.scalar(maxValue)], `${call.base}/clip`),
    );
  }
  if (threshold === 0 && maxValue === undefined) {
    return out(g.op('LeakyRelu', [x.name], `${call.base}/leaky_relu`, { alpha: float(slope) }));
  }
  let y: string;
  if (threshold !== 0) {
    const keep = g.op(
      'Cast',
      [g.op('Greater', [x.name, g.scalar(threshold)], `${call.base}/above`)],
      `${call.base}/mask`,
      {
        to: 1,
      },
    );
    y = g.op('Mul', [x.name, keep], `${call.base}/thresholded`);
  } else {
    y = g.op('Relu', [x.name], `${call.base}/relu`);
  }
  if (maxValue !== undefined) y = g.op('Clip', [y, g.scalar(0), g.scalar(maxValue)], `${call.base}/clip`);
  if (slope !== 0) {
    const below = g.op(
      'Relu',
      [g.op('Sub', [g.scalar(threshold), x.name], `${call.base}/below_in`)],
      `${call.base}/below`,
    );
    const leak = g.op('Mul', [below, g.scalar(slope)], `${call.base}/leak`);
    y = g.op('Sub', [y, leak], `${call.base}/out`);
  }
  return out(y);
}

function leakyRelu(call: LayerCall): Value {
  const x = call.single();
  // Keras 2 calls the slope `alpha`, Keras 3 `negative_slope`; the default is 0.3.
  const alpha = call.config.optionalNumber('alpha') ?? call.config.number('negative_slope', 0.3);
  const name = call.g.op('LeakyRelu', [x.name], `${call.base}/leaky_relu`, {
    alpha: { value: alpha, kind: 'float' },
  });
  return { name, shape: x.shape, layout: x.layout };
}

function elu(call: LayerCall): Value {
  const x = call.single();
  const alpha = call.config.number('alpha', 1);
  const name = call.g.op('Elu', [x.name], `${call.base}/elu`, { alpha: { value: alpha, kind: 'float' } });
  return { name, shape: x.shape, layout: x.layout };
}

function thresholdedRelu(call: LayerCall): Value {
  const x = call.single();
  const theta = call.config.number('theta', 1);
  const name = call.g.op('ThresholdedRelu', [x.name], `${call.base}/thresholded_relu`, {
    alpha: { value: theta, kind: 'float' },
  });
  return { name, shape: x.shape, layout: x.layout };
}

/** PReLU: the learned slope has the input's shape (shared axes collapsed to 1), moved to NCHW if needed. */
function prelu(call: LayerCall): Value {
  const x = call.single();
  const kerasDims = x.shape.slice(1);
  const shared = new Set(
    (Array.isArray(call.config.raw.shared_axes)
      ? call.config.raw.shared_axes
      : [call.config.raw.shared_axes]
    ).filter((a): a is number => typeof a === 'number'),
  );
  const alphaShape = kerasDims.map((d, i) => (shared.has(i + 1) ? 1 : d));
  const alpha = call.weight('alpha', alphaShape);
  const slope = call.param('alpha', () => {
    if (x.layout !== 'nchw') return { dims: alpha.shape, data: alpha.data };
    // [H, W, C] → [C, H, W]
    const [h, w, c] = alpha.shape;
    const data = new Float32Array(alpha.data.length);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++) data[(k * h + i) * w + j] = alpha.data[(i * w + j) * c + k];
    return { dims: [c, h, w], data };
  });
  const name = call.g.op('PRelu', [x.name, slope], `${call.base}/prelu`);
  return { name, shape: x.shape, layout: x.layout };
}

function softmax(call: LayerCall): Value {
  const x = call.single();
  const rawAxis = call.config.raw.axis;
  const axis =
    typeof rawAxis === 'number'
      ? rawAxis
      : Array.isArray(rawAxis) && rawAxis.length === 1
        ? Number(rawAxis[0])
        : -1;
  const name = call.g.op('Softmax', [x.name], `${call.base}/softmax`, { axis: onnxAxis(x, axis) });
  return { name, shape: x.shape, layout: x.layout };
}

registerLayers({
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmax,
});
