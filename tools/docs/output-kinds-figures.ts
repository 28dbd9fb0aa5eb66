/**
 * Pictures for docs/output-kinds.md from the output-kind fixtures: the sigmoid segmenter's foreground region
 * explained by Grad-CAM and occlusion, and the CTC recogniser's digit at one time step explained by saliency.
 * Run: npx vite-node tools/docs/output-kinds-figures.ts
 */
import { loadModel } from '../../src/node/load.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { gradCam } from '../../src/methods/cam/index.js';
import { saliency } from '../../src/methods/attribution/index.js';
import { occlusionSensitivity } from '../../src/methods/occlusion.js';
import { overlay } from '../../src/render/overlay.js';
import { sideBySide } from '../../src/render/montage.js';
import { writePng } from '../../src/render/png.js';
import { resizeImage } from '../../src/image/resize.js';

const out = 'docs/img/output-kinds';
const big = (image: Parameters<typeof resizeImage>[0]) =>
  resizeImage(image, image.width * 3, image.height * 3, { method: 'nearest' });

const mask = await loadModel('fixtures/shapes-mask/model.onnx');
const shapes = await loadImagesForModel(
  ['fixtures/shapes-seg/samples/images/0000-circle.png'],
  mask.inputSpec!,
);
const cam = await gradCam(mask, shapes.input);
const occ = await occlusionSensitivity(mask, shapes.input, { maskSize: 9, stride: 4 });
const probability = (await mask.predict(shapes.input)).probabilities;
await writePng(
  `${out}/shapes-mask.png`,
  sideBySide([
    { image: big(shapes.images[0]), caption: 'input' },
    {
      image: big(overlay(shapes.images[0], probability, { scaling: { min: 0, max: 1 } })),
      caption: 'p(foreground), 0-1',
    },
    { image: big(overlay(shapes.images[0], cam.map)), caption: 'Grad-CAM, region (min-max)' },
    {
      image: big(overlay(shapes.images[0], occ.map, { scaling: 'symmetric', colormap: 'bwr' })),
      caption: 'occlusion (symmetric)',
    },
  ]),
);

const ctc = await loadModel('fixtures/digits-ctc/model.onnx');
const digits = await loadImagesForModel(['fixtures/digits-ctc/samples/images/0001-2762.png'], ctc.inputSpec!);
const panels = [{ image: big(digits.images[0]), caption: 'input "2762"' }];
for (const step of [7, 14]) {
  const s = await saliency(ctc, digits.input, { target: { kind: 'step', step } });
  panels.push({
    image: big(overlay(digits.images[0], s.map)),
    caption: `saliency, step ${step}: ${s.descriptions?.[0] ?? ''}`,
  });
}
await writePng(`${out}/digits-ctc.png`, sideBySide(panels));

// shapes-pair: each image asked about the shape it holds (query circle, square, triangle).
const files = ['0000-circle.png', '0001-square.png', '0007-triangle.png'].map(
  (f) => `fixtures/shapes-seg/samples/images/${f}`,
);
const pairPanels = [];
for (const [i, file] of files.entries()) {
  const query = new Float32Array(4);
  query[i] = 1;
  const pair = await loadModel('fixtures/shapes-pair/model.onnx', {
    inputs: { query: { data: query, dims: [1, 4] } },
  });
  const image = await loadImagesForModel([file], pair.inputSpec!);
  const score = (await pair.predict(image.input)).scores.data[0];
  const pairCam = await gradCam(pair, image.input);
  const pairOcc = await occlusionSensitivity(pair, image.input, { maskSize: 9, stride: 4 });
  const name = file.split('-').pop()!.replace('.png', '');
  pairPanels.push(
    { image: big(image.images[0]), caption: `query ${name}: ${score.toFixed(1)}` },
    { image: big(overlay(image.images[0], pairCam.map)), caption: 'Grad-CAM (min-max)' },
    {
      image: big(overlay(image.images[0], pairOcc.map, { scaling: 'symmetric', colormap: 'bwr' })),
      caption: 'occlusion (symmetric)',
    },
  );
  await pair.dispose();
}
await writePng(`${out}/shapes-pair.png`, sideBySide(pairPanels));
await Promise.all([mask.dispose(), ctc.dispose()]);
console.log(`wrote ${out}/shapes-mask.png, ${out}/digits-ctc.png and ${out}/shapes-pair.png`);
