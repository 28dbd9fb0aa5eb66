/**
 * A layer's activations over time for one sequence (MATLAB's "Visualize Activations of LSTM Network"): the
 * layer's units × time steps. The time axis is the axis that changes when the sequence is cut one step
 * shorter; every other axis (batch of one, directions, hidden units, channels) becomes a unit.
 */
import { OptionError } from '../../errors.js';
import type { Model, TensorData } from '../../types.js';
import { SequenceView, sequenceInput } from './view.js';

export interface SequenceActivations {
  layer: string;
  /** Dims of the layer tensor for this sequence. */
  layerDims: number[];
  /** units × steps, row-major. */
  matrix: Float32Array;
  units: number;
  steps: number;
  /** Units by peak |activation|, strongest first. */
  strongest: number[];
}

export async function sequenceActivations(
  model: Model,
  sequence: { values: Float32Array; length: number },
  layer: string,
): Promise<SequenceActivations> {
  const { layout, channels } = sequenceInput(model);
  if (sequence.length < 2)
    throw new OptionError('INVALID_INPUT', 'activations over time need 2 steps or more');
  const run = async (length: number): Promise<TensorData> => {
    const view = new SequenceView(model, 'grid', length, channels, layout);
    const input = { data: sequence.values.subarray(0, length * channels), dims: [1, 1, length, channels] };
    return (await view.activations(input, [layer]))[layer];
  };
  const full = await run(sequence.length);
  const shorter = await run(sequence.length - 1);
  const timeAxes = full.dims.flatMap((d, i) => (d !== shorter.dims[i] ? [i] : []));
  if (timeAxes.length !== 1) {
    throw new OptionError(
      'INVALID_INPUT',
      `layer '${layer}' [${full.dims.join(', ')}] has no single time axis (it does not follow the sequence length)`,
    );
  }
  const axis = timeAxes[0];
  const steps = full.dims[axis];
  const inner = full.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = full.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const units = outer * inner;
  const matrix = new Float32Array(units * steps);
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < inner; i++) {
        matrix[(o * inner + i) * steps + t] = full.data[(o * steps + t) * inner + i];
      }
    }
  }
  const peak = Array.from({ length: units }, (_, u) => {
    let m = 0;
    for (let t = 0; t < steps; t++) m = Math.max(m, Math.abs(matrix[u * steps + t]));
    return m;
  });
  const strongest = peak.map((_, u) => u).sort((a, b) => peak[b] - peak[a] || a - b);
  return { layer, layerDims: full.dims, matrix, units, steps, strongest };
}
