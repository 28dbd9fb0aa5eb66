/**
 * The trained shapes-modern fixture (residual Add, depthwise convs, HardSwish and SiLU, squeeze-excitation with
 * HardSigmoid, BatchNormalization and LayerNormalization, nearest Resize + Concat, overlapping MaxPool):
 * the VJP graph's input gradients against the committed PyTorch autograd references, and against finite
 * differences on random inputs and seeds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadReferenceGradients } from '../../src/data/samples.js';
import { decodeModel, type ModelProto } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, randomTensor, runVjp, uniform } from './harness.js';
import { maxAbs, maxDiff } from './reference-file.js';

const NAME = 'shapes-modern';

function load(): ModelProto {
  return decodeModel(readFileSync(fixtureModelPath(NAME)), NAME);
}

function oneHot(targets: number[], classes: number): TensorData {
  const data = new Float32Array(targets.length * classes);
  targets.forEach((t, n) => (data[n * classes + t] = 1));
  return { data, dims: [targets.length, classes] };
}

describe('shapes-modern, the whole trained model', () => {
  it('has the op families it is meant to exercise', () => {
    const ops = new Set(load().graph!.node!.map((n) => n.opType));
    for (const op of [
      'HardSwish',
      'HardSigmoid',
      'Sigmoid',
      'BatchNormalization',
      'LayerNormalization',
      'Resize',
    ]) {
      expect(ops.has(op), op).toBe(true);
    }
    for (const op of ['Concat', 'MaxPool', 'GlobalAveragePool', 'Add', 'Mul'])
      expect(ops.has(op), op).toBe(true);
  });

  it('input gradients match the PyTorch autograd reference (max |diff| <= 1e-4 · max |ref|)', async () => {
    const model = load();
    const reference = loadReferenceGradients(NAME);
    const input = model.graph!.input![0].name!;
    const seed = reference.seeds ?? oneHot(reference.targets, reference.scores.dims[1]);
    const run = await runVjp(model, { [input]: reference.inputs }, seed, { output: reference.outputTensor });
    expect(maxDiff(run.output.data, reference.scores.data)).toBeLessThanOrEqual(
      1e-4 * maxAbs(reference.scores.data),
    );
    const ref = reference.gradients.data;
    expect(run.grads[0].data.length).toBe(ref.length);
    expect(maxAbs(ref)).toBeGreaterThan(0);
    const diff = maxDiff(run.grads[0].data, ref);
    expect(diff, `max |diff| ${diff} vs max |ref| ${maxAbs(ref)}`).toBeLessThanOrEqual(1e-4 * maxAbs(ref));
  });

  it('matches finite differences for a random input and seed', async () => {
    const model = load();
    const input = model.graph!.input![0].name!;
    const reference = loadReferenceGradients(NAME);
    // Random inputs keep max-pool windows and ReLU kinks away from ties within ε.
    const x = randomTensor(uniform(17), [2, ...reference.inputs.dims.slice(1)]);
    await expectVjpMatchesFd(model, { [input]: x }, { output: reference.outputTensor, eps: 1e-3 });
  });
});
