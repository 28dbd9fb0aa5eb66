// Pictures and numbers for docs/audio-models.md, made from the spectro-cnn fixture: LIME, occlusion and
// Grad-CAM over four committed WAV clips (one per class) with axes and the top segments outlined, and how often
// each method's top time × frequency segment overlaps the event's ground-truth box over the 200 sample clips.
// Run: npx vite-node tools/docs/audio-figures.ts   (writes docs/img/audio/ and docs/audio-localization.json)
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeWav } from '../../src/audio/wav.js';
import { loadAudioSamples } from '../../src/data/audio-samples.js';
import { fixtureModelPath } from '../../src/data/manifest.js';
import { imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { mapOverlay } from '../../src/explainers/render.js';
import { prepareImages } from '../../src/image/normalize.js';
import type { RawImage } from '../../src/image/types.js';
import { spectrogramFigure } from '../../src/methods/audio/figure.js';
import { audioBatch } from '../../src/methods/audio/input.js';
import { segmentOverlapsBox } from '../../src/methods/audio/localization.js';
import { audioMapFigure, topSegmentsOf } from '../../src/methods/audio/present.js';
import { argmaxRows } from '../../src/methods/target.js';
import { loadModel } from '../../src/node/load.js';
import { sideBySide } from '../../src/render/montage.js';
import { writePng } from '../../src/render/png.js';

const METHODS = ['lime', 'occlusion', 'gradcam'] as const;
// LIME at imageLIME's defaults (2048 samples, tree surrogate) on the default 8 x 8 grid, seeded.
const OPTIONS: Record<string, Record<string, unknown>> = { lime: { seed: 0 } };

const model = await loadModel(fixtureModelPath('spectro-cnn'));
const set = loadImageSamples('spectro-cnn');
const outDir = path.resolve('docs/img/audio');
await mkdir(outDir, { recursive: true });

// Pictures: the first committed clip of each class.
const clips = loadAudioSamples('spectro-cnn');
const chosen = set.classNames.map((_, c) => clips.find((clip) => clip.label === c)!);
const audio = await Promise.all(chosen.map(async (c) => decodeWav(readFileSync(c.file), c.file)));
const batch = audioBatch(audio, model);
const rows: RawImage[][] = chosen.map((c, i) => [
  spectrogramFigure(batch.images[i], batch.recipe, { title: `${set.classNames[c.label]} (spectrogram)` }),
]);
for (const id of METHODS) {
  const explainer = EXPLAINERS.find((e) => e.id === id)!;
  const options = OPTIONS[id] ?? {};
  const run = await explainer.run(model, batch.input, options);
  chosen.forEach((_, i) => {
    const overlay = mapOverlay(explainer, run, i, batch.images[i]);
    rows[i].push(
      audioMapFigure(model, batch.recipe, batch.windows[i], overlay, { run, m: i, options }, explainer.title),
    );
  });
}
for (const [i, row] of rows.entries()) {
  const name = path.basename(chosen[i].file, '.wav');
  await writePng(path.join(outDir, `${name}.png`), sideBySide(row.map((image) => ({ image }))));
}

// Localization over the sample set (its pictures are the spectrograms of the generator's clips).
const images: RawImage[] = Array.from({ length: set.count }, (_, i) => ({
  data: imagePixels(set, i),
  width: set.width,
  height: set.height,
  channels: 1,
}));
const input = prepareImages(images, model.inputSpec!);
const predicted = argmaxRows((await model.predict(input)).scores);
const correct = [...set.labels].map((label, i) => predicted[i] === label);
const figures: Record<string, { hits: number; correct: number; fraction: number }> = {};
for (const id of METHODS) {
  const explainer = EXPLAINERS.find((e) => e.id === id)!;
  const options = { ...(OPTIONS[id] ?? {}), numTopFeatures: 1 };
  const run = await explainer.run(model, input, options);
  let hits = 0;
  for (let i = 0; i < set.count; i++) {
    if (!correct[i]) continue;
    const { cells, labels } = topSegmentsOf(model, { run, m: i, options });
    if (segmentOverlapsBox(labels, set.width, cells[0], set.boxes![i])) hits++;
  }
  const count = correct.filter(Boolean).length;
  figures[id] = { hits, correct: count, fraction: Number((hits / count).toFixed(4)) };
  console.log(id, figures[id]);
}
await writeFile(
  path.resolve('docs/audio-localization.json'),
  `${JSON.stringify({ fixture: 'spectro-cnn', grid: '8 x 8 (numFrequencySegments x numTimeSegments)', options: OPTIONS, figures }, null, 2)}\n`,
);
