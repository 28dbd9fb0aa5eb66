// Integrated gradients and guided Grad-CAM on the bundled photos (MobileNetV2 converted from nsfwjs), each
// drawn over its full range and with the pictures' outlier clipping, for docs/methods/gradient-attributions.md.
// Run: npx vite-node tools/docs/clipping-figures.ts
//   (writes docs/methods/images/clipping-photos.png and docs/methods/clipping-figures.json)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { guidedGradCamExplainer, integratedGradientsExplainer } from '../../src/explainers/attribution.js';
import { mapOverlay, mapScale } from '../../src/explainers/render.js';
import type { Explainer, ExplainerRun } from '../../src/explainers/spec.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { resizeImage } from '../../src/image/resize.js';
import type { RawImage } from '../../src/image/types.js';
import { OnnxModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/load.js';
import { clippedRange, scaleValues } from '../../src/render/scale.js';
import { montage } from '../../src/render/montage.js';
import { writePng } from '../../src/render/png.js';
import { convertNsfwjsModel, NSFWJS_INPUT_SPEC, nsfwjsLabels } from '../../src/tfjs/nsfwjs.js';

const PHOTOS = ['cat.jpg', 'coffee.jpg', 'astronaut.jpg'];
const root = path.resolve('fixtures/photos');
const model = await OnnxModel.create(await convertNsfwjsModel('MobileNetV2'), nodeRuntime, {
  inputSpec: NSFWJS_INPUT_SPEC,
  labels: await nsfwjsLabels(),
});
const loaded = await loadImagesForModel(
  PHOTOS.map((p) => path.join(root, p)),
  model.inputSpec!,
);
const shown: RawImage[] = loaded.images.map((image) => resizeImage(image, 224, 224, { method: 'bilinear' }));

/** Share of pixels drawn at more than 10 % of the colour scale away from "nothing" (visible colour). */
function visibleShare(run: ExplainerRun, k: number, explainer: Explainer, clipPercent: number): number {
  const [, h, w] = run.maps.dims;
  const map = run.maps.data.subarray(k * h * w, (k + 1) * h * w);
  const mode = explainer.signed ? 'symmetric' : 'minmax';
  const range = clippedRange(map, mode, clipPercent);
  const scaled = scaleValues(map, range.clipped ? { min: range.low, max: range.high } : mode);
  const centre = explainer.signed ? 0.5 : 0;
  let visible = 0;
  for (const v of scaled) if (Math.abs(v - centre) > (explainer.signed ? 0.05 : 0.1)) visible++;
  return visible / scaled.length;
}

const tiles: RawImage[] = [];
const labels: string[] = [];
const numbers: Record<string, unknown>[] = [];
const runs: [Explainer, ExplainerRun][] = [
  [
    integratedGradientsExplainer,
    await integratedGradientsExplainer.run(model, loaded.input, { numSteps: 32, tolerance: 0.01 }),
  ],
  [guidedGradCamExplainer, await guidedGradCamExplainer.run(model, loaded.input, {})],
];
for (let i = 0; i < PHOTOS.length; i++) {
  tiles.push(shown[i]);
  labels.push(PHOTOS[i].replace('.jpg', ''));
  for (const [explainer, run] of runs) {
    for (const clipPercent of [0, explainer.clipPercent ?? 0]) {
      tiles.push(mapOverlay(explainer, run, i, shown[i], { clipPercent }));
      const short = explainer.id === 'integrated-gradients' ? 'IG' : 'guided Grad-CAM';
      labels.push(`${short} ${clipPercent === 0 ? 'full range' : `clip ${clipPercent}%`}`);
      const scale = mapScale(explainer, run, i, { clipPercent });
      numbers.push({
        photo: PHOTOS[i],
        method: explainer.id,
        target: run.descriptions[i],
        clipPercent,
        caption: scale.text,
        visibleShare: Number(visibleShare(run, i, explainer, clipPercent).toFixed(4)),
      });
    }
  }
}
const picture = montage(tiles, {
  gridSize: [PHOTOS.length, 5],
  labels,
  labelPosition: 'below',
});
const out = path.resolve('docs/methods/images');
await mkdir(out, { recursive: true });
await writePng(path.join(out, 'clipping-photos.png'), picture);
await writeFile(path.resolve('docs/methods/clipping-figures.json'), `${JSON.stringify(numbers, null, 2)}\n`);
await model.dispose();
process.stdout.write(
  `${numbers.map((n) => `${n.photo} ${n.method} ${n.clipPercent}: ${n.visibleShare}`).join('\n')}\n`,
);
