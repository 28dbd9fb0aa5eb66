/**
 * Whole trained fixture models: the VJP graph's input gradients against PyTorch autograd references and
 * against finite differences for random seeds. The reference tolerance per element is float32 rounding
 * (1e-4 · max |ref|) plus the reference's tie bound there: the exact change of the gradient if rounding on
 * this CPU flips a unit that lies within rounding of its kink (0 wherever no such unit reaches).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadReferenceGradients } from '../../src/data/samples.js';
import { decodeModel, type ModelProto } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, probeShapes, randomTensor, runVjp, uniform } from './harness.js';

/** Fixtures with committed reference gradients; each is checked separately. */
const FIXTURES = ['fashion-cnn', 'shapes-cnn', 'shapes-modern', 'shapes-seg'];

function oneHot(targets: number[], classes: number): TensorData {
  const data = new Float32Array(targets.length * classes);
  targets.forEach((t, n) => (data[n * classes + t] = 1));
  return { data, dims: [targets.length, classes] };
}

function load(name: string): ModelProto {
  return decodeModel(readFileSync(fixtureModelPath(name)), name);
}

describe.each(FIXTURES)('%s', (name) => {
  it('input gradients match the PyTorch autograd reference', async () => {
    const model = load(name);
    const reference = loadReferenceGradients(name);
    const input = model.graph!.input![0].name!;
    const seed = reference.seeds ?? oneHot(reference.targets, reference.scores.dims[1]);
    const run = await runVjp(model, { [input]: reference.inputs }, seed, { output: reference.outputTensor });
    const maxScore = Math.max(...reference.scores.data.map(Math.abs));
    run.output.data.forEach((v, i) =>
      expect(Math.abs(v - reference.scores.data[i])).toBeLessThanOrEqual(1e-4 * maxScore),
    );
    const grad = run.grads[0].data;
    const ref = reference.gradients.data;
    expect(grad.length).toBe(ref.length);
    const bounds = reference.tieBounds?.data;
    const maxRef = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxRef).toBeGreaterThan(0);
    const rounding = 1e-4 * maxRef;
    let worst = 0;
    let worstAt = 0;
    for (let i = 0; i < ref.length; i++) {
      const ratio = Math.abs(grad[i] - ref[i]) / (rounding + (bounds?.[i] ?? 0));
      if (ratio > worst) [worst, worstAt] = [ratio, i];
    }
    const detail =
      `element ${worstAt}: ${grad[worstAt]} vs ${ref[worstAt]} (max |ref| ${maxRef}, ` +
      `tie bound ${bounds?.[worstAt] ?? 0})`;
    expect(worst, detail).toBeLessThanOrEqual(1);
  });

  it('matches finite differences for random inputs and seeds', async () => {
    const model = load(name);
    const reference = loadReferenceGradients(name);
    const input = model.graph!.input![0].name!;
    const shapes = await probeShapes(model);
    // Random inputs have no flat regions, so no max-pool window sits near a tie; the seed on the
    // differentiated scores is random and dense. ε = 1e-3 stays clear of most ReLU kinks.
    for (const seed of [5, 6]) {
      const x = randomTensor(uniform(seed), [2, ...reference.inputs.dims.slice(1)]);
      await expectVjpMatchesFd(
        model,
        { [input]: x },
        {
          output: reference.outputTensor,
          eps: 1e-3,
          rtol: 5e-3,
          directions: 0,
          maskedGradientDirections: 3,
          elementwise: false,
          seed,
          shapes,
        },
      );
    }
  });
});
