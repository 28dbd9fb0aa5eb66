/**
 * The realistic models: nsfwjs's Keras MobileNetV2 (224²) and InceptionV3 (299²), converted from the
 * package files and compared with TF.js running the same files, on the bundled photos.
 *
 * The TF.js reference reads the bundles by evaluating them with Node's `require` (as nsfwjs does), not
 * with the importer's literal reader, so a reader bug cannot hide on both sides.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { metadataProps, type ModelProto } from '../../src/onnx/proto.js';
import type { InputSpec } from '../../src/types.js';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import {
  convertNsfwjsModel,
  NSFWJS_INPUT_SPEC,
  nsfwjsDistDir,
  nsfwjsLabels,
  readNsfwjsModel,
  type NsfwjsModelName,
} from '../../src/tfjs/nsfwjs.js';
import { maxAbsDiff, runOnnx, tf, toNchw, useWasmBackend, withOutputs } from './harness.js';

const require = createRequire(import.meta.url);
const photosDir = path.resolve('fixtures/photos');

interface PhotoEntry {
  file: string;
  expected: string;
}

const DIRS: Record<NsfwjsModelName, string> = { MobileNetV2: 'mobilenet_v2', InceptionV3: 'inception_v3' };

/** The model as TF.js loads it from the package bundles (evaluated by Node, like nsfwjs itself does). */
async function tfjsReference(name: NsfwjsModelName): Promise<tf.LayersModel> {
  const dir = path.join(nsfwjsDistDir(), 'models', DIRS[name]);
  const json = require(path.join(dir, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const shards = json.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => Buffer.from(require(path.join(dir, `${p}.min.js`)) as string, 'base64'));
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData,
    }),
  );
}

/** nsfwjs's preprocessing: pixels / 255, bilinear resize with align_corners to the model size. */
async function loadPhotos(files: string[], size: number): Promise<{ data: Float32Array; dims: number[] }> {
  const batch = await Promise.all(
    files.map(async (file) => {
      const { data, info } = await sharp(await readFile(path.join(photosDir, file)))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return tf.tidy(() =>
        tf.image.resizeBilinear(
          tf
            .tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32')
            .toFloat()
            .div(255) as tf.Tensor3D,
          [size, size],
          true,
        ),
      );
    }),
  );
  const stacked = tf.stack(batch);
  const data = (await stacked.data()) as Float32Array;
  const dims = stacked.shape;
  batch.forEach((t) => t.dispose());
  stacked.dispose();
  return { data, dims };
}

function argmaxRows(data: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / classes; r++) {
    const row = data.subarray(r * classes, (r + 1) * classes);
    out.push(row.indexOf(Math.max(...row)));
  }
  return out;
}

async function predictBoth(
  onnx: ModelProto,
  reference: tf.LayersModel,
  input: { data: Float32Array; dims: number[] },
) {
  const expected = reference.predict(tf.tensor(input.data, input.dims)) as tf.Tensor;
  const tfjs = (await expected.data()) as Float32Array;
  expected.dispose();
  const inputName = onnx.graph?.input?.[0].name ?? '';
  const outputName = onnx.graph?.output?.[0].name ?? '';
  const ort = (await runOnnx(onnx, { [inputName]: input }, [outputName]))[outputName].data;
  return { tfjs, ort };
}

/**
 * Read the package files with the importer's bundle reader, check the result against what Node's
 * `require` evaluates the bundles to, and convert.
 */
async function convertChecked(name: NsfwjsModelName, labels: string[]): Promise<ModelProto> {
  const dir = path.join(nsfwjsDistDir(), 'models', DIRS[name]);
  const { modelJson, weightData } = await readNsfwjsModel(name);
  expect(isDeepStrictEqual(modelJson, require(path.join(dir, 'model.min.js')))).toBe(true);
  const lastPath = modelJson.weightsManifest?.[0].paths.at(-1) ?? '';
  const lastShard = Buffer.from(require(path.join(dir, `${lastPath}.min.js`)) as string, 'base64');
  expect(Buffer.from(weightData.subarray(weightData.length - lastShard.length)).equals(lastShard)).toBe(true);
  return fromTfjsLayers(modelJson, weightData, {
    inputSpec: NSFWJS_INPUT_SPEC,
    labels,
    task: 'classification',
  });
}

describe('nsfwjs models', () => {
  const manifest = require(path.join(photosDir, 'photos.json')) as PhotoEntry[];
  let labels: string[];
  beforeAll(async () => {
    await useWasmBackend();
    labels = await nsfwjsLabels();
  });

  it('labels come from the package sources', () => {
    expect(labels).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
  });

  it('the bundle reader yields what the MobileNetV2 bundles evaluate to', async () => {
    await convertChecked('MobileNetV2', labels);
  });

  it('MobileNetV2: ONNX Runtime matches TF.js on the bundled photos and classifies them as expected', async () => {
    const onnx = await convertNsfwjsModel('MobileNetV2');
    const meta = metadataProps(onnx);
    const spec = JSON.parse(meta['netlens.input']) as InputSpec;
    expect(spec).toMatchObject({
      height: 224,
      width: 224,
      channels: 3,
      layout: 'NHWC',
      channelOrder: 'RGB',
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    expect(spec.scale).toBeCloseTo(1 / 255, 12);
    expect(JSON.parse(meta['netlens.labels'])).toEqual(labels);
    expect(meta['netlens.task']).toBe('classification');
    expect(meta['netlens.source']).toBe('tfjs-layers');

    const reference = await tfjsReference('MobileNetV2');
    const input = await loadPhotos(
      manifest.map((p) => p.file),
      224,
    );
    const { tfjs, ort } = await predictBoth(onnx, reference, input);
    expect(maxAbsDiff(ort, tfjs)).toBeLessThan(1e-4);
    const expected = manifest.map((p) => labels.indexOf(p.expected));
    expect(argmaxRows(tfjs, 5)).toEqual(expected);
    expect(argmaxRows(ort, 5)).toEqual(expected);
    expect(new Set(manifest.map((p) => p.expected))).toEqual(new Set(['Neutral', 'Drawing']));

    // Layer tensors keep the Keras names and are NCHW: the padded first conv and the last feature map.
    const one = { data: input.data.subarray(0, 224 * 224 * 3), dims: [1, 224, 224, 3] };
    const probe = tf.model({
      inputs: reference.inputs,
      outputs: ['Conv1', 'out_relu'].map((n) => reference.getLayer(n).output as tf.SymbolicTensor),
    });
    const refs = probe.predict(tf.tensor(one.data, one.dims)) as tf.Tensor[];
    const got = await runOnnx(
      withOutputs(onnx, ['Conv1', 'out_relu']),
      { [onnx.graph?.input?.[0].name ?? '']: one },
      ['Conv1', 'out_relu'],
    );
    expect(got.Conv1.dims).toEqual([1, 32, 112, 112]);
    expect(got.out_relu.dims).toEqual([1, 1280, 7, 7]);
    expect(
      maxAbsDiff(got.Conv1.data, toNchw((await refs[0].data()) as Float32Array, refs[0].shape)),
    ).toBeLessThan(1e-4);
    expect(
      maxAbsDiff(got.out_relu.data, toNchw((await refs[1].data()) as Float32Array, refs[1].shape)),
    ).toBeLessThan(1e-4);
    reference.dispose();
  });

  it('InceptionV3: ONNX Runtime matches TF.js on a photo', async () => {
    const onnx = await convertChecked('InceptionV3', labels);
    expect(JSON.parse(metadataProps(onnx)['netlens.input'])).toMatchObject({ height: 299, width: 299 });
    const reference = await tfjsReference('InceptionV3');
    const photo = manifest.find((p) => p.expected === 'Neutral') as PhotoEntry;
    const input = await loadPhotos([photo.file], 299);
    const { tfjs, ort } = await predictBoth(onnx, reference, input);
    expect(maxAbsDiff(ort, tfjs)).toBeLessThan(1e-4);
    expect(argmaxRows(ort, 5)).toEqual(argmaxRows(tfjs, 5));
    reference.dispose();
  });
});
