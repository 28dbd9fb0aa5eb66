// Pictures and numbers for docs/methods/{cam,gradient-attributions,deep-dream}.md, made from the fixture
// models: CAM-family and attribution grids on shapes-cnn, CAM vs Grad-CAM on fashion-cnn, Deep Dream and
// class-score maximisation and the pointing game of every CAM variant over the 240 shapes samples
// (integrated-gradients completeness: ig-completeness.ts).
// Run: npx vite-node tools/docs/gradient-figures.ts   (writes docs/methods/images/ and docs/methods/gradient-figures.json)
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  fixtureModelPath,
  imageMask,
  imagePixels,
  loadImageSamples,
  type ImageSampleSet,
} from '../../src/data/samples.js';
import { pointingGame } from '../../src/eval/pointing-game.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import type { RawImage } from '../../src/image/types.js';
import {
  deconvnet,
  guidedBackprop,
  guidedGradCam,
  inputXGradient,
  integratedGradients,
  noiseTunnel,
  saliency,
  type AttributionResult,
} from '../../src/methods/attribution/index.js';
import { CAM_METHODS, CAM_VARIANTS, classActivationMap, gradCam } from '../../src/methods/cam/index.js';
import { classMaximization, deepDream, dreamFigure } from '../../src/methods/dream/index.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { montage } from '../../src/render/montage.js';
import { overlay } from '../../src/render/overlay.js';
import { writePng } from '../../src/render/png.js';
import type { TensorData } from '../../src/types.js';

const out = path.resolve('docs/methods/images');
await mkdir(out, { recursive: true });
const numbers: Record<string, unknown> = {};

function raw(set: ImageSampleSet, i: number): RawImage {
  return { data: imagePixels(set, i), width: set.width, height: set.height, channels: set.channels as 1 | 3 };
}

function batch(model: OnnxModel, set: ImageSampleSet, indices: readonly number[]): TensorData {
  return imagesToTensor(
    indices.map((i) => raw(set, i)),
    model.inputSpec!,
  );
}

/** The first sample of each class. */
function onePerClass(set: ImageSampleSet): number[] {
  return set.classNames.map((_, c) => set.labels.indexOf(c));
}

function mapAt(map: TensorData, item: number): { data: Float32Array; width: number; height: number } {
  const [h, w] = map.dims.slice(-2);
  return { data: map.data.slice(item * h * w, (item + 1) * h * w), width: w, height: h };
}

async function grid(file: string, rows: RawImage[][], labels: string[], scale: number): Promise<void> {
  const tiles = rows.flat();
  const first = tiles[0];
  const picture = montage(tiles, {
    gridSize: [rows.length, rows[0].length],
    thumbnailSize: { width: first.width * scale, height: first.height * scale },
    resizeMethod: 'nearest',
    labels: rows.flatMap(() => labels),
    labelPosition: 'below',
    borderSize: 2,
    backgroundColor: [255, 255, 255],
    labelColor: [0, 0, 0],
  });
  await writePng(path.join(out, file), picture);
  console.log(`wrote docs/methods/images/${file}`);
}

// ---------------------------------------------------------------------------------------------------------
// shapes-cnn: the CAM family and the attributions on one image per class.
const shapes = await loadModel(fixtureModelPath('shapes-cnn'));
const shapesSet = loadImageSamples('shapes-cnn');
const picks = onePerClass(shapesSet);
const x = batch(shapes, shapesSet, picks);
const camRows: RawImage[][] = picks.map((i) => [raw(shapesSet, i)]);
for (const method of CAM_METHODS) {
  const r = await classActivationMap(method, shapes, x);
  picks.forEach((_, n) =>
    camRows[n].push(overlay(raw(shapesSet, picks[n]), mapAt(r.map, n), { colormap: 'jet' })),
  );
}
await grid('cam-family-shapes.png', camRows, ['image', ...CAM_METHODS.map((m) => CAM_VARIANTS[m].title)], 2);

// Signed maps (input × gradient, integrated gradients) are shown by magnitude here, as is usual for pictures.
const attributions: [string, AttributionResult, boolean][] = [
  ['Saliency', await saliency(shapes, x), false],
  ['|Input x grad|', await inputXGradient(shapes, x), true],
  ['Guided BP', await guidedBackprop(shapes, x), false],
  ['Deconvnet', await deconvnet(shapes, x), false],
  ['Guided Grad-CAM', await guidedGradCam(shapes, x), false],
  ['|IG| (blurred)', await integratedGradients(shapes, x, { baseline: 'blurred', numSteps: 64 }), true],
  ['SmoothGrad', await noiseTunnel(saliency, shapes, x, { numSamples: 50, seed: 0 }), false],
  [
    'SmoothGrad^2',
    await noiseTunnel(saliency, shapes, x, { numSamples: 50, seed: 0, type: 'smoothGradSquared' }),
    false,
  ],
];
const attrRows: RawImage[][] = picks.map((i) => [raw(shapesSet, i)]);
for (const [, r, signed] of attributions) {
  picks.forEach((_, n) =>
    attrRows[n].push(
      overlay(raw(shapesSet, picks[n]), mapAt(r.map, n), {
        colormap: 'hot',
        scaling: signed ? 'absolute' : 'minmax',
        alpha: 0.7,
      }),
    ),
  );
}
await grid('attributions-shapes.png', attrRows, ['image', ...attributions.map(([name]) => name)], 2);

// Pointing game over the whole sample set, every CAM variant, plus the attribution maps.
const all = batch(
  shapes,
  shapesSet,
  Array.from({ length: shapesSet.count }, (_, i) => i),
);
const pointing: Record<string, number> = {};
for (const method of CAM_METHODS) {
  const start = performance.now();
  const r = await classActivationMap(method, shapes, all);
  pointing[CAM_VARIANTS[method].title] = pointingGame(r.map, shapesSet.boxes!).accuracy;
  console.log(
    `pointing game ${method}: ${pointing[CAM_VARIANTS[method].title].toFixed(3)} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
}
for (const [name, run] of [
  ['Saliency', () => saliency(shapes, all)],
  ['Guided backprop', () => guidedBackprop(shapes, all)],
  ['Guided Grad-CAM', () => guidedGradCam(shapes, all)],
  ['Integrated gradients (black, 32 steps)', () => integratedGradients(shapes, all, { numSteps: 32 })],
] as const) {
  pointing[name] = pointingGame((await run()).map, shapesSet.boxes!).accuracy;
  console.log(`pointing game ${name}: ${pointing[name].toFixed(3)}`);
}
numbers.pointingGameShapes = { images: shapesSet.count, accuracy: pointing };

// Deep Dream and class-score maximisation.
const layer = await shapes.featureLayer();
const dream = await deepDream(shapes, layer, [0, 1, 2, 3], { seed: 0 });
await writePng(
  path.join(out, 'deepdream-shapes.png'),
  dreamFigure(
    dream.pictures!,
    [0, 1, 2, 3].map((c) => `ch ${c}`),
  ),
);
numbers.deepDreamShapes = {
  layer,
  objectivePerOctave: dream.objective.map((o) => o.map((t) => [t[0], t[t.length - 1]])),
};
const classMax = await classMaximization(shapes, [0, 1, 2, 3], { seed: 0 });
await writePng(path.join(out, 'classmax-shapes.png'), dreamFigure(classMax.pictures!, shapesSet.classNames));
console.log('wrote deep dream and class maximisation pictures');

// ---------------------------------------------------------------------------------------------------------
// fashion-cnn: CAM next to Grad-CAM (equal up to h·w on this GAP + linear network).
const fashion = await loadModel(fixtureModelPath('fashion-cnn'));
const fashionSet = loadImageSamples('fashion-cnn');
const fashionPicks = onePerClass(fashionSet).slice(0, 6);
const fx = batch(fashion, fashionSet, fashionPicks);
const camF = await classActivationMap('cam', fashion, fx);
const gradF = await gradCam(fashion, fx, { relu: false });
const rowsF = fashionPicks.map((i, n) => [
  raw(fashionSet, i),
  overlay(raw(fashionSet, i), mapAt(camF.map, n), { colormap: 'jet' }),
  overlay(raw(fashionSet, i), mapAt(gradF.map, n), { colormap: 'jet' }),
]);
await grid('cam-vs-gradcam-fashion.png', rowsF, ['image', 'CAM', 'Grad-CAM'], 3);

// ---------------------------------------------------------------------------------------------------------
// shapes-seg (when present): Grad-CAM of the predicted region of each object.
if (existsSync(fixtureModelPath('shapes-seg'))) {
  const seg = await loadModel(fixtureModelPath('shapes-seg'));
  const segSet = loadImageSamples('shapes-seg');
  const segPicks = onePerClass(segSet);
  const sx = batch(seg, segSet, segPicks);
  const coarseLayer = '/dec3/dec3.2/Relu_output_0';
  const r = await gradCam(seg, sx, { target: { kind: 'region' } });
  const coarse = await gradCam(seg, sx, { target: { kind: 'region' }, featureLayer: coarseLayer });
  const rows = segPicks.map((i, n) => [
    raw(segSet, i),
    overlay(raw(segSet, i), mapAt(r.map, n), { colormap: 'jet' }),
    overlay(raw(segSet, i), mapAt(coarse.map, n), { colormap: 'jet' }),
  ]);
  await grid('gradcam-region-seg.png', rows, ['image', 'dec1 (64x64)', 'dec3 (16x16)'], 2);
  const everything = batch(
    seg,
    segSet,
    Array.from({ length: segSet.count }, (_, i) => i),
  );
  const plane = segSet.height * segSet.width;
  const share = (map: TensorData): number => {
    let inside = 0;
    let total = 0;
    for (let n = 0; n < segSet.count; n++) {
      const mask = imageMask(segSet, n);
      for (let p = 0; p < plane; p++) {
        const v = Math.max(0, map.data[n * plane + p]);
        total += v;
        if (mask[p] !== 0) inside += v;
      }
    }
    return inside / total;
  };
  const shares: Record<string, number> = {};
  for (const method of ['gradcam', 'hirescam', 'layercam'] as const) {
    for (const layerName of [
      undefined,
      '/bottleneck/bottleneck.1/bottleneck.1.2/Relu_output_0',
      coarseLayer,
    ]) {
      const result = await classActivationMap(method, seg, everything, {
        target: { kind: 'region' },
        featureLayer: layerName,
      });
      shares[`${CAM_VARIANTS[method].title} @ ${result.featureLayer}`] = share(result.map);
    }
  }
  numbers.segmentationMassInMask = { images: segSet.count, share: shares };
  console.log('segmentation Grad-CAM mass inside the mask', shares);
}

await writeFile(path.resolve('docs/methods/gradient-figures.json'), `${JSON.stringify(numbers, null, 2)}\n`);
console.log(JSON.stringify(numbers, null, 2));
