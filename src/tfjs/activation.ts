/**
 * Keras activation functions as ONNX nodes, used by the Activation layer and by every layer's fused
 * `activation` config. Formulas follow TF.js (hard_sigmoid = clip(0.2·x + 0.5, 0, 1), gelu with erf).
 */
import { UnsupportedError } from '../errors.js';
import { onnxAxis, type GraphBuilder, type Value } from './graph.js';

/** Keras spells activations in snake_case, TF.js in camelCase; compare them without either. */
export function normalizeActivationName(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/**
 * Apply activation `name` to `x`, writing tensors named after `base`; returns `x` itself for linear.
 * `layerName` only serves the error message.
 */
export function emitActivation(
  g: GraphBuilder,
  name: string,
  x: Value,
  base: string,
  layerName: string,
): Value {
  const out = (tensor: string): Value => ({ name: tensor, shape: x.shape, layout: x.layout });
  switch (normalizeActivationName(name)) {
    case 'linear':
      return x;
    case 'relu':
      return out(g.op('Relu', [x.name], base));
    case 'relu6':
      return out(g.op('Clip', [x.name, g.scalar(0), g.scalar(6)], base));
    case 'elu':
      return out(g.op('Elu', [x.name], base, { alpha: { value: 1, kind: 'float' } }));
    case 'selu':
      return out(
        g.op('Selu', [x.name], base, {
          alpha: { value: SELU_ALPHA, kind: 'float' },
          gamma: { value: SELU_GAMMA, kind: 'float' },
        }),
      );
    case 'sigmoid':
      return out(g.op('Sigmoid', [x.name], base));
    case 'hardsigmoid':
      return out(
        g.op('HardSigmoid', [x.name], base, {
          alpha: { value: 0.2, kind: 'float' },
          beta: { value: 0.5, kind: 'float' },
        }),
      );
    case 'tanh':
      return out(g.op('Tanh', [x.name], base));
    case 'softmax':
      return out(g.op('Softmax', [x.name], base, { axis: onnxAxis(x, -1) }));
    case 'logsoftmax':
      return out(g.op('LogSoftmax', [x.name], base, { axis: onnxAxis(x, -1) }));
    case 'softplus':
      return out(g.op('Softplus', [x.name], base));
    case 'softsign':
      return out(g.op('Softsign', [x.name], base));
    case 'swish':
    case 'silu': {
      const s = g.op('Sigmoid', [x.name], `${base}/sigmoid`);
      return out(g.op('Mul', [x.name, s], base));
    }
    case 'mish': {
      const sp = g.op('Softplus', [x.name], `${base}/softplus`);
      const t = g.op('Tanh', [sp], `${base}/tanh`);
      return out(g.op('Mul', [x.name, t], base));
    }
    case 'gelu': {
      // x · ½(1 + erf(x / √2)); ONNX has no Gelu before opset 20.
      const scaled = g.op('Div', [x.name, g.scalar(Math.SQRT2)], `${base}/div`);
      const erf = g.op('Erf', [scaled], `${base}/erf`);
      const onePlus = g.op('Add', [erf, g.scalar(1)], `${base}/add`);
      const half = g.op('Mul', [onePlus, g.scalar(0.5)], `${base}/half`);
      return out(g.op('Mul', [x.name, half], base));
    }
    case 'gelunew': {
      // Tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
      const cube = g.op('Mul', [g.op('Mul', [x.name, x.name], `${base}/sq`), x.name], `${base}/cube`);
      const inner = g.op(
        'Add',
        [x.name, g.op('Mul', [cube, g.scalar(0.044715)], `${base}/c`)],
        `${base}/inner`,
      );
      const t = g.op(
        'Tanh',
        [g.op('Mul', [inner, g.scalar(Math.sqrt(2 / Math.PI))], `${base}/k`)],
        `${base}/tanh`,
      );
      const half = g.op('Mul', [g.op('Add', [t, g.scalar(1)], `${base}/add`), g.scalar(0.5)], `${base}/half`);
      return out(g.op('Mul', [x.name, half], base));
    }
    case 'exponential':
      return out(g.op('Exp', [x.name], base));
    default:
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `activation '${name}' of layer '${layerName}' is not supported (supported: linear, relu, relu6, elu, selu, ` +
          'sigmoid, hard_sigmoid, tanh, softmax, log_softmax, softplus, softsign, swish/silu, mish, gelu, gelu_new, exponential)',
      );
  }
}

/**
 * ONNX recurrent-op activation (name, alpha, beta) for a Keras activation, or undefined when the RNN
 * ops cannot express it.
 */
export function recurrentActivation(
  name: string,
): { name: string; alpha?: number; beta?: number } | undefined {
  switch (normalizeActivationName(name)) {
    case 'tanh':
      return { name: 'Tanh' };
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'hardsigmoid':
      return { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case 'relu':
      return { name: 'Relu' };
    case 'linear':
      return { name: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { name: 'Softsign' };
    case 'softplus':
      return { name: 'Softplus' };
    case 'elu':
      return { name: 'Elu', alpha: 1 };
    default:
      return undefined;
  }
}
