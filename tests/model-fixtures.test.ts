/**
 * The model core on the committed fixture models: what the manifests say, layers from one probe, the default
 * layers, forwardFrom at the feature layer, and predictions against the PyTorch reference scores.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../src/node/load.js';
import { seededValues } from './helpers/onnx-models.js';

interface Manifest {
  name: string;
  input: Record<string, unknown> & { kind?: string };
  labels: string[];
  output: { name: string; kind: string; shape: (number | string)[] };
  reference?: { header: string };
}
interface ReferenceHeader {
  inputShape: number[];
  scoreShape: number[];
  files: { inputs: string; scores: string };
  outputTensor: string;
}

const root = path.resolve(import.meta.dirname, '..', 'fixtures');
const fixtures = existsSync(root)
  ? readdirSync(root).filter((name) => existsSync(path.join(root, name, 'manifest.json')))
  : [];

function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('fixture models', () => {
  it('include the Fashion-MNIST CNN', () => {
    expect(fixtures).toContain('fashion-cnn');
  });

  for (const name of fixtures) {
    const dir = path.join(root, name);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const isImage = manifest.input.kind === undefined || manifest.input.kind === 'image';

    it(`${name}: metadata, layers and default layers agree with the manifest`, async () => {
      const model = await loadModel(path.join(dir, 'model.onnx'));
      try {
        expect(model.outputName).toBe(manifest.output.name);
        expect(model.labels).toEqual(manifest.labels);
        if (['logits', 'probabilities'].includes(manifest.output.kind)) {
          expect(model.outputKind).toBe(manifest.output.kind);
        }
        const layers = await model.layers();
        expect(layers.length).toBeGreaterThan(1);
        expect(layers.map((l) => l.index)).toEqual(layers.map((_, i) => i));
        // The probe ran with batch 1: every layer is a concrete batched shape.
        for (const layer of layers)
          expect(layer.shape.every((d) => Number.isInteger(d) && d >= 1)).toBe(true);
        const last = layers.find((l) => l.name === model.outputName);
        expect(last?.shape).toEqual([1, ...manifest.output.shape.slice(1)]);
        const reduction = await model.checkLayer(await model.reductionLayer());
        if (model.outputKind === 'logits') expect(reduction.name).toBe(model.outputName);
        else expect(reduction.index).toBeLessThan(last!.index);
        if (isImage) {
          expect(model.inputSpec).toMatchObject(manifest.input);
          const feature = await model.checkLayer(await model.featureLayer());
          expect(feature.shape).toHaveLength(4);
          expect(Math.min(feature.shape[2], feature.shape[3])).toBeGreaterThan(1);
        }
      } finally {
        await model.dispose();
      }
    });

    if (isImage) {
      it(`${name}: forwardFrom(featureLayer, activations) reproduces predict`, async () => {
        const model = await loadModel(path.join(dir, 'model.onnx'));
        try {
          const dims = [3, ...(model.inputs[0].shape.slice(1) as number[])];
          const batch = {
            data: seededValues(
              dims.reduce((a, b) => a * b, 1),
              77,
            ),
            dims,
          };
          const feature = await model.featureLayer();
          const acts = (await model.activations(batch, [feature]))[feature];
          const tail = await model.forwardFrom(feature, acts);
          const scores = (await model.predict(batch)).scores;
          expect(tail.dims).toEqual(scores.dims);
          const scale = Math.max(...scores.data.map(Math.abs));
          for (let i = 0; i < scores.data.length; i++) {
            expect(Math.abs(tail.data[i] - scores.data[i])).toBeLessThanOrEqual(1e-5 * scale);
          }
        } finally {
          await model.dispose();
        }
      });
    }

    if (manifest.reference) {
      it(`${name}: predict matches the PyTorch reference scores`, async () => {
        const refDir = path.dirname(path.join(dir, manifest.reference!.header));
        const header = JSON.parse(
          readFileSync(path.join(dir, manifest.reference!.header), 'utf8'),
        ) as ReferenceHeader;
        const inputs = readFloats(path.join(refDir, header.files.inputs));
        const expected = readFloats(path.join(refDir, header.files.scores));
        const model = await loadModel(path.join(dir, 'model.onnx'));
        try {
          const scores = (await model.run({ data: inputs, dims: header.inputShape }, [header.outputTensor]))[
            header.outputTensor
          ];
          expect(scores.dims).toEqual(header.scoreShape);
          const scale = Math.max(...expected.map(Math.abs));
          for (let i = 0; i < expected.length; i++) {
            expect(Math.abs(scores.data[i] - expected[i])).toBeLessThanOrEqual(1e-4 * scale);
          }
        } finally {
          await model.dispose();
        }
      });
    }
  }
});
