// Converts both nsfwjs models and prints the conversion time and the largest difference between ONNX
// Runtime and TF.js (WASM backend) over the bundled photos (nsfwjs preprocessing: pixels / 255,
// bilinear resize with align_corners).
// Run: npx vite-node tools/tfjs/nsfwjs-report.ts
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { encodeModel } from '../../src/onnx/proto.js';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import {
  NSFWJS_INPUT_SPEC,
  nsfwjsLabels,
  readNsfwjsModel,
  type NsfwjsModelName,
} from '../../src/tfjs/nsfwjs.js';

const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');

const photos = (require(path.resolve('fixtures/photos/photos.json')) as { file: string }[]).map(
  (p) => p.file,
);
const labels = await nsfwjsLabels();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

for (const [name, size] of [
  ['MobileNetV2', 224],
  ['InceptionV3', 299],
] as [NsfwjsModelName, number][]) {
  const { modelJson, weightData } = await readNsfwjsModel(name);
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const bytes = encodeModel(fromTfjsLayers(modelJson, weightData, { inputSpec: NSFWJS_INPUT_SPEC, labels }));
  const wall = performance.now() - wall0;
  const cpu = cpuMs() - cpu0;

  const reference = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as object,
      weightSpecs: (modelJson.weightsManifest ?? []).flatMap(
        (g) => g.weights,
      ) as tf.io.WeightsManifestEntry[],
      weightData: weightData.slice().buffer,
    }),
  );
  const session = await ort.InferenceSession.create(bytes);
  let maxDiff = 0;
  for (const file of photos) {
    const { data, info } = await sharp(await readFile(path.join('fixtures/photos', file)))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const x = tf.tidy(() =>
      tf.image
        .resizeBilinear(
          tf
            .tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32')
            .toFloat()
            .div(255) as tf.Tensor3D,
          [size, size],
          true,
        )
        .expandDims(0),
    );
    const expected = (await (reference.predict(x) as tf.Tensor).data()) as Float32Array;
    const input = new ort.Tensor('float32', (await x.data()) as Float32Array, [1, size, size, 3]);
    const got = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]]
      .data as Float32Array;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    x.dispose();
  }
  await session.release();
  reference.dispose();
  console.log(
    `${name}: conversion ${wall.toFixed(0)} ms wall / ${cpu.toFixed(0)} ms CPU (${(bytes.length / 2 ** 20).toFixed(1)} MiB ONNX), ` +
      `max |ORT − TF.js| over ${photos.length} photos = ${maxDiff.toExponential(2)}`,
  );
}
