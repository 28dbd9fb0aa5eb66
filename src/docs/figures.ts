/**
 * `npm run docs:figures`: the pictures of docs/methods/activations.md, occlusion.md, image-lime.md and
 * kernel-shap.md, made from the bundled fixture models by the same code paths the CLI and report use: a strip
 * per perturbation explainer (input, then the map over it, for a few images) and the activations montage. The gradient-method pictures
 * come from tools/docs/gradient-figures.ts, the dataset views' from the CLI (docs/dataset-views.md).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fixtureModelPath } from '../data/manifest.js';
import { sampleImagePaths } from '../data/samples.js';
import { EXPLAINERS } from '../explainers/index.js';
import { mapOverlay, mapsPerImage } from '../explainers/render.js';
import { loadImagesForModel } from '../image/index.js';
import { resizeImage } from '../image/resize.js';
import type { RawImage } from '../image/types.js';
import { activations } from '../methods/activations.js';
import { activationFigure } from '../methods/activation-figure.js';
import { loadModel } from '../node/load.js';
import { montage } from '../render/montage.js';
import { writePng } from '../render/png.js';

const TILE = 128;
const STRIPS = ['occlusion', 'lime', 'kernel-shap'];

function enlarge(image: RawImage): RawImage {
  return resizeImage(image, TILE, TILE, { method: image.width < TILE / 2 ? 'nearest' : 'bilinear' });
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'docs/img');
  await mkdir(out, { recursive: true });
  const fixture = 'shapes-cnn';
  const model = await loadModel(fixtureModelPath(fixture));
  const paths = sampleImagePaths(fixture).slice(0, 4);
  const loaded = await loadImagesForModel(paths, model.inputSpec!);
  for (const explainer of EXPLAINERS.filter((e) => STRIPS.includes(e.id))) {
    process.stderr.write(`docs: ${explainer.id}\n`);
    const run = await explainer.run(model, loaded.input, { ...(explainer.reportOptions ?? {}), seed: 0 });
    const k = mapsPerImage(run, loaded.images.length);
    const tiles: RawImage[] = [];
    const labels: string[] = [];
    for (let i = 0; i < loaded.images.length; i++) {
      tiles.push(enlarge(loaded.images[i]), enlarge(mapOverlay(explainer, run, i * k, loaded.images[i])));
      labels.push(path.basename(paths[i]).replace(/\.png$/, ''), run.descriptions[i * k]);
    }
    const picture = montage(tiles, {
      gridSize: [1, tiles.length],
      labels,
      labelPosition: 'below',
      borderSize: 2,
      backgroundColor: [255, 255, 255],
      labelColor: [0, 0, 0],
    });
    await writePng(path.join(out, `${explainer.id}-shapes.png`), picture);
  }
  const fashion = await loadModel(fixtureModelPath('fashion-cnn'));
  const one = await loadImagesForModel(sampleImagePaths('fashion-cnn').slice(0, 1), fashion.inputSpec!);
  const layer = (await fashion.layers()).find((l) => l.opType === 'Relu')!.name;
  const acts = await activations(fashion, one.input, { layer });
  await writePng(
    path.join(out, 'activations-fashion.png'),
    activationFigure(acts, one.input, fashion.inputSpec!),
  );
  await model.dispose();
  await fashion.dispose();
  process.stdout.write(`wrote figures to ${out}\n`);
}

await main();
