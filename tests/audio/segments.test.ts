import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, fixtureModelPath } from '../../src/data/manifest.js';
import { imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { limeExplainer } from '../../src/explainers/perturbation.js';
import { prepareImages } from '../../src/image/normalize.js';
import { columnOfSeconds, rowOfHz } from '../../src/methods/audio/figure.js';
import { timeFrequencyGrid } from '../../src/methods/audio/segments.js';
import { gridCells } from '../../src/methods/lime/grid.js';
import { spectrogramRecipe } from '../../src/audio/recipe.js';
import { loadModel } from '../../src/node/load.js';

const audioModel = await loadModel(fixtureModelPath('spectro-cnn'));
const imageModel = await loadModel(fixtureModelPath('shapes-cnn'));

describe('time × frequency segments', () => {
  it('audio models default to the 8 x 8 grid; given counts win; an explicit segmentation is kept', () => {
    expect(timeFrequencyGrid(audioModel, {})).toEqual({ rows: 8, cols: 8 });
    expect(timeFrequencyGrid(audioModel, { numTimeSegments: 16 })).toEqual({ rows: 8, cols: 16 });
    expect(timeFrequencyGrid(audioModel, { segmentation: 'superpixels' })).toBeUndefined();
    expect(timeFrequencyGrid(imageModel, {})).toBeUndefined();
    expect(timeFrequencyGrid(imageModel, { numFrequencySegments: 2 })).toEqual({ rows: 2, cols: 8 });
  });

  it('a rows x cols grid has exactly that many cells, rows over bands and columns over frames', () => {
    const grid = gridCells(64, 64, 4, 16);
    expect(grid.count).toBe(64);
    expect(new Set(grid.labels).size).toBe(64);
    // Row 0 of the picture is in frequency segment 0, column 63 in time segment 15.
    expect(grid.labels[63]).toBe(15);
    expect(grid.labels[63 * 64]).toBe(48);
    expect(() => gridCells(64, 64, 65, 1)).toThrow(/grid rows must be an integer from 1 to 64/);
  });

  it('LIME on an audio model uses numTimeSegments x numFrequencySegments features', async () => {
    const set = loadImageSamples('spectro-cnn');
    const image = { data: imagePixels(set, 10), width: 64, height: 64, channels: 1 as const };
    const input = prepareImages([image], audioModel.inputSpec!);
    const run = await limeExplainer.run(audioModel, input, {
      numTimeSegments: 4,
      numFrequencySegments: 2,
      numSamples: 64,
      seed: 1,
    });
    const explanations = run.numbers.explanations as { numFeatures: number }[];
    expect(explanations[0].numFeatures).toBe(8);
  });

  it('axis ticks sit where the recipe puts those frequencies and times', () => {
    const recipe = spectrogramRecipe(audioModel.inputDescription, 'spectro-cnn');
    // The manifest lists each row's band centre (highest first): each lands on its own row.
    const manifest = JSON.parse(
      readFileSync(path.join(fixtureDir('spectro-cnn'), 'manifest.json'), 'utf8'),
    ) as { spectrogram: { bandCentresHz: number[] } };
    manifest.spectrogram.bandCentresHz.forEach((hz, r) => expect(rowOfHz(hz, recipe, 64)).toBeCloseTo(r, 2));
    // Frame 0 is centred at nFft / 2 = 128 samples = 16 ms.
    expect(columnOfSeconds(0.016, recipe)).toBeCloseTo(0, 9);
    expect(columnOfSeconds(1.024, recipe)).toBeCloseTo(63, 9);
  });
});
