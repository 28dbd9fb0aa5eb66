/** Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate. */
import { ModelError } from '../../errors.js';
import { onnxAxis, type GraphBuilder, type Value } from '../graph.js';
import { registerLayers, type LayerCall } from './registry.js';

/**
 * Bring all inputs to one layout: NCHW when every input is 4-D and at least one already is (so a
 * residual add of two conv outputs needs no transpose), else Keras layout.
 */
function unifyLayouts(g: GraphBuilder, inputs: Value[]): Value[] {
  const toNchw = inputs.every((v) => v.shape.length === 4) && inputs.some((v) => v.layout === 'nchw');
  return inputs.map((v) => (toNchw ? g.asNchw(v) : g.asKeras(v)));
}

function broadcastShape(inputs: Value[]): Value['shape'] {
  const rank = Math.max(...inputs.map((v) => v.shape.length));
  const shape: Value['shape'] = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const v of inputs) {
      const d = v.shape[i - (rank - v.shape.length)];
      if (d === undefined || d === 1) continue;
      dim = dim === 1 ? d : dim;
    }
    shape.push(i === 0 ? null : dim);
  }
  return shape;
}

function checkCount(call: LayerCall, min: number, max = Infinity): void {
  const n = call.inputs.length;
  if (n < min || n > max) {
    throw new ModelError('INVALID_MODEL', `layer '${call.layerName}' (${call.className}) got ${n} inputs`);
  }
}

/** Left fold of a binary op over the inputs. */
function elementwise(opType: 'Add' | 'Mul' | 'Max' | 'Min') {
  return (call: LayerCall): Value => {
    checkCount(call, 2);
    const inputs = unifyLayouts(call.g, call.inputs);
    let acc = inputs[0].name;
    for (let i = 1; i < inputs.length; i++)
      acc = call.g.op(opType, [acc, inputs[i].name], `${call.base}/${opType.toLowerCase()}`);
    return { name: acc, shape: broadcastShape(inputs), layout: inputs[0].layout };
  };
}

function subtract(call: LayerCall): Value {
  checkCount(call, 2, 2);
  const [a, b] = unifyLayouts(call.g, call.inputs);
  return {
    name: call.g.op('Sub', [a.name, b.name], `${call.base}/sub`),
    shape: broadcastShape([a, b]),
    layout: a.layout,
  };
}

function average(call: LayerCall): Value {
  const sum = elementwise('Add')(call);
  const name = call.g.op('Mul', [sum.name, call.g.scalar(1 / call.inputs.length)], `${call.base}/mean`);
  return { ...sum, name };
}

function concatenate(call: LayerCall): Value {
  checkCount(call, 1);
  const inputs = unifyLayouts(call.g, call.inputs);
  const axis = call.config.number('axis', -1);
  const rank = inputs[0].shape.length;
  const kerasAxis = axis < 0 ? axis + rank : axis;
  const shape = [...inputs[0].shape];
  shape[kerasAxis] = inputs.some((v) => v.shape[kerasAxis] === null)
    ? null
    : inputs.reduce((s, v) => s + (v.shape[kerasAxis] as number), 0);
  const name = call.g.op(
    'Concat',
    inputs.map((v) => v.name),
    `${call.base}/concat`,
    { axis: onnxAxis(inputs[0], kerasAxis) },
  );
  return { name, shape, layout: inputs[0].layout };
}

registerLayers({
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Subtract: subtract,
  Average: average,
  Concatenate: concatenate,
});
