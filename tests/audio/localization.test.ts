import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/audio/wav.js';
import { loadAudioSamples } from '../../src/data/audio-samples.js';
import { fixtureModelPath } from '../../src/data/manifest.js';
import { loadImageSamples } from '../../src/data/samples.js';
import { audioBatch } from '../../src/methods/audio/input.js';
import { segmentOverlapsBox } from '../../src/methods/audio/localization.js';
import { timeFrequencyGrid } from '../../src/methods/audio/segments.js';
import { imageLime } from '../../src/methods/lime/image-lime.js';
import { argmaxRows } from '../../src/methods/target.js';
import { loadModel } from '../../src/node/load.js';

const model = await loadModel(fixtureModelPath('spectro-cnn'));
const set = loadImageSamples('spectro-cnn');
const clips = loadAudioSamples('spectro-cnn');

describe('LIME over time × frequency segments of spectro-cnn clips', () => {
  it("the top segment overlaps the event's ground-truth box for >= 90% of correctly classified clips", async () => {
    const audio = await Promise.all(clips.map(async (c) => decodeWav(readFileSync(c.file), c.file)));
    const batch = audioBatch(audio, model);
    expect(batch.windows).toHaveLength(clips.length);
    const predicted = argmaxRows((await model.predict(batch.input)).scores);
    const correct = clips.map((c, i) => predicted[i] === c.label);
    const grid = timeFrequencyGrid(model, {});
    expect(grid).toEqual({ rows: 8, cols: 8 });
    const lime = await imageLime(model, batch.input, { segmentation: grid, numSamples: 1024, seed: 0 });
    let hits = 0;
    let counted = 0;
    lime.explanations.forEach((e, i) => {
      if (!correct[i]) return;
      counted++;
      if (segmentOverlapsBox(e.featureMap.data, set.width, e.topFeatures[0], set.boxes![clips[i].sample]))
        hits++;
    });
    expect(counted).toBeGreaterThanOrEqual(12);
    expect(hits / counted).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
