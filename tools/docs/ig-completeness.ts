// Completeness of integrated gradients on the image fixtures (docs/methods/gradient-attributions.md): the
// fixed Gauss–Legendre rule at 16 / 64 / 256 steps and the adaptive rule from 64 steps with tolerance 1 %; the same
// on the bundled photos with MobileNetV2 converted from nsfwjs.
// Run: npx vite-node tools/docs/ig-completeness.ts   (writes docs/methods/ig-completeness.json)
import { writeFile } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { integratedGradients } from '../../src/methods/attribution/index.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { encodeModel } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { convertNsfwjsModel } from '../../src/tfjs/nsfwjs.js';

const COUNT = 128;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const RUNS = [
  ['gaussLegendre 16', { numSteps: 16 }],
  ['gaussLegendre 64', { numSteps: 64 }],
  ['gaussLegendre 256', { numSteps: 256 }],
  ['adaptive from 64, tolerance 1 %', { numSteps: 64, tolerance: 0.01 }],
] as const;

async function measure(name: string, model: OnnxModel, input: TensorData): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown> = {};
  for (const [label, options] of RUNS) {
    const r = await integratedGradients(model, input, { ...options, miniBatchSize: 32 });
    const rel = r.delta
      .map((d, i) => Math.abs(d) / Math.abs(r.scores[i] - r.baselineScores[i]))
      .sort((a, b) => a - b);
    const steps = [...r.stepsUsed].sort((a, b) => a - b);
    rows[label] = {
      medianRelativeDelta: quantile(rel, 0.5),
      worstRelativeDelta: rel[rel.length - 1],
      within1Percent: rel.filter((v) => v <= 0.01).length / rel.length,
      stepsMedian: quantile(steps, 0.5),
      stepsMean: steps.reduce((a, b) => a + b, 0) / steps.length,
      stepsMax: steps[steps.length - 1],
    };
    console.log(name, label, JSON.stringify(rows[label]));
  }
  return rows;
}

const report: Record<string, unknown> = { images: COUNT, baseline: 'black', target: 'predicted class' };
for (const name of ['fashion-cnn', 'shapes-cnn', 'shapes-modern']) {
  const model = await loadModel(fixtureModelPath(name));
  const set = loadImageSamples(name);
  const input = imagesToTensor(
    Array.from({ length: COUNT }, (_, i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: set.channels as 1 | 3,
    })),
    model.inputSpec!,
  );
  report[name] = await measure(name, model, input);
  await model.dispose();
}
const mobilenet = await loadModel(encodeModel(await convertNsfwjsModel('MobileNetV2')));
const photos = (await readdir('fixtures/photos')).filter((f) => f.endsWith('.jpg')).sort();
const photoInput = (
  await loadImagesForModel(
    photos.map((f) => path.join('fixtures/photos', f)),
    mobilenet.inputSpec!,
  )
).input;
report['mobilenet-v2 (fixtures/photos)'] = {
  images: photos.length,
  ...(await measure('mobilenet-v2', mobilenet, photoInput)),
};
await mobilenet.dispose();
await writeFile('docs/methods/ig-completeness.json', JSON.stringify(report, null, 2) + '\n');
