/**
 * LSTM and GRU as ONNX LSTM/GRU. Keras orders LSTM gates i, f, c, o and ONNX i, o, f, c; GRU gates are
 * z, r, h in both. go_backwards reverses the input and runs forward, so return_sequences yields steps in
 * the order Keras processed them. reset_after maps to ONNX linear_before_reset.
 */
import { ModelError, UnsupportedError } from '../../errors.js';
import { recurrentActivation } from '../activation.js';
import type { Value } from '../graph.js';
import { staticDim, transpose2d } from './common.js';
import { registerLayers, type LayerCall } from './registry.js';

function checkOptions(call: LayerCall): void {
  for (const flag of ['stateful', 'return_state']) {
    if (call.config.boolean(flag, false)) {
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `layer '${call.layerName}' (${call.className}) sets ${flag}, which is not supported`,
      );
    }
  }
}

/** ONNX activations/activation_alpha/activation_beta attributes for a list of Keras activations. */
function activationAttrs(call: LayerCall, names: string[]) {
  const alphas: number[] = [];
  const betas: number[] = [];
  const onnxNames = names.map((name) => {
    const fn = recurrentActivation(name);
    if (!fn) {
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `layer '${call.layerName}' uses activation '${name}' inside a recurrent cell`,
      );
    }
    if (fn.alpha !== undefined) alphas.push(fn.alpha);
    if (fn.beta !== undefined) betas.push(fn.beta);
    return fn.name;
  });
  return {
    activations: onnxNames,
    activation_alpha: alphas.length ? { value: alphas, kind: 'floats' as const } : undefined,
    activation_beta: betas.length ? { value: betas, kind: 'floats' as const } : undefined,
  };
}

/** Reorder `blocks` gate blocks of `size` rows each: out block j = in block order[j]. */
function reorderBlocks(data: Float32Array, size: number, order: number[]): Float32Array {
  const out = new Float32Array(data.length);
  order.forEach((from, to) => out.set(data.subarray(from * size, (from + 1) * size), to * size));
  return out;
}

/** [N, T, F] Keras sequence → [T, N, F] for the ONNX op, reversed in time for go_backwards. */
function timeMajorInput(call: LayerCall, x: Value): string {
  let seq = call.g.op('Transpose', [x.name], `${call.base}/time_major`, { perm: [1, 0, 2] });
  if (call.config.boolean('go_backwards', false)) {
    const g = call.g;
    seq = g.op(
      'Slice',
      [seq, g.int64s([-1]), g.int64s([-Number.MAX_SAFE_INTEGER]), g.int64s([0]), g.int64s([-1])],
      `${call.base}/reversed`,
    );
  }
  return seq;
}

/** Y [T, 1, N, U] → [N, T, U], or Y_h [1, N, U] → [N, U]. */
function finishOutputs(call: LayerCall, x: Value, y: string, yH: string, units: number): Value {
  const g = call.g;
  if (call.config.boolean('return_sequences', false)) {
    const squeezed = g.op('Squeeze', [y, g.int64s([1])], `${call.base}/squeeze`);
    const name = g.op('Transpose', [squeezed], `${call.base}/batch_major`, { perm: [1, 0, 2] });
    return { name, shape: [null, x.shape[1], units], layout: 'keras' };
  }
  return {
    name: g.op('Squeeze', [yH, g.int64s([0])], `${call.base}/last`),
    shape: [null, units],
    layout: 'keras',
  };
}

function lstm(call: LayerCall): Value {
  checkOptions(call);
  const x = call.g.asKeras(call.single(3));
  const units = call.config.number('units');
  const features = staticDim(call, x, 2, 'feature size');
  const kernel = call.weight('kernel', [features, 4 * units]);
  const recurrent = call.weight('recurrent_kernel', [units, 4 * units]);
  const useBias = call.config.boolean('use_bias', true);
  const bias = useBias ? call.weight('bias', [4 * units]) : undefined;
  const order = [0, 3, 1, 2]; // ONNX i, o, f, c from Keras i, f, c, o
  const w = call.param('W', () => ({
    dims: [1, 4 * units, features],
    data: reorderBlocks(transpose2d(kernel.data, features, 4 * units), units * features, order),
  }));
  const r = call.param('R', () => ({
    dims: [1, 4 * units, units],
    data: reorderBlocks(transpose2d(recurrent.data, units, 4 * units), units * units, order),
  }));
  const inputs = [timeMajorInput(call, x), w, r];
  if (bias) {
    inputs.push(
      call.param('B', () => {
        const data = new Float32Array(8 * units);
        data.set(reorderBlocks(bias.data, units, order));
        return { dims: [1, 8 * units], data };
      }),
    );
  }
  const act = call.config.activation('activation');
  const recAct = call.config.has('recurrent_activation')
    ? call.config.activation('recurrent_activation')
    : 'hard_sigmoid';
  const [y, yH] = call.g.opMulti('LSTM', inputs, [`${call.base}/Y`, `${call.base}/Y_h`], {
    hidden_size: units,
    ...activationAttrs(call, [recAct, act, act]),
  });
  return finishOutputs(call, x, y, yH, units);
}

function gru(call: LayerCall): Value {
  checkOptions(call);
  const x = call.g.asKeras(call.single(3));
  const units = call.config.number('units');
  const features = staticDim(call, x, 2, 'feature size');
  const kernel = call.weight('kernel', [features, 3 * units]);
  const recurrent = call.weight('recurrent_kernel', [units, 3 * units]);
  const useBias = call.config.boolean('use_bias', true);
  const bias = useBias ? call.weight('bias') : undefined;
  if (
    bias &&
    !(bias.shape.length === 1
      ? bias.shape[0] === 3 * units
      : bias.shape.length === 2 && bias.shape[0] === 2 && bias.shape[1] === 3 * units)
  ) {
    throw new ModelError(
      'INVALID_MODEL',
      `layer '${call.layerName}': GRU bias has shape [${bias.shape.join(', ')}], expected [${3 * units}] or [2, ${3 * units}]`,
    );
  }
  // reset_after's default changed across Keras versions; the bias shape ([2, 3U] vs [3U]) tells.
  const resetAfter = call.config.has('reset_after')
    ? call.config.boolean('reset_after', false)
    : bias !== undefined && bias.shape.length === 2;
  if (bias && (bias.shape.length === 2) !== resetAfter) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${call.layerName}': GRU bias shape does not match reset_after`,
    );
  }
  const w = call.param('W', () => ({
    dims: [1, 3 * units, features],
    data: transpose2d(kernel.data, features, 3 * units),
  }));
  const r = call.param('R', () => ({
    dims: [1, 3 * units, units],
    data: transpose2d(recurrent.data, units, 3 * units),
  }));
  const inputs = [timeMajorInput(call, x), w, r];
  if (bias) {
    inputs.push(
      call.param('B', () => {
        // ONNX B = [input bias (3U), recurrent bias (3U)]; without reset_after Keras has one bias.
        const data = new Float32Array(6 * units);
        data.set(bias.data.subarray(0, resetAfter ? 6 * units : 3 * units));
        return { dims: [1, 6 * units], data };
      }),
    );
  }
  const act = call.config.activation('activation');
  const recAct = call.config.has('recurrent_activation')
    ? call.config.activation('recurrent_activation')
    : 'hard_sigmoid';
  const [y, yH] = call.g.opMulti('GRU', inputs, [`${call.base}/Y`, `${call.base}/Y_h`], {
    hidden_size: units,
    linear_before_reset: resetAfter ? 1 : 0,
    ...activationAttrs(call, [recAct, act]),
  });
  return finishOutputs(call, x, y, yH, units);
}

registerLayers({ LSTM: lstm, GRU: gru });
