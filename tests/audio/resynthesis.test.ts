import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spectrogramRecipe } from '../../src/audio/recipe.js';
import { maskedAudio, segmentAudio, snrDb } from '../../src/audio/resynthesis.js';
import { decodeWav } from '../../src/audio/wav.js';
import { encodeWav } from '../../src/audio/wav-encode.js';
import { loadAudioSamples } from '../../src/data/audio-samples.js';
import { fixtureModelPath } from '../../src/data/manifest.js';
import { gridCells } from '../../src/methods/lime/grid.js';
import { loadModel } from '../../src/node/load.js';

const model = await loadModel(fixtureModelPath('spectro-cnn'));
const recipe = spectrogramRecipe(model.inputDescription, 'spectro-cnn');
const clips = await Promise.all(
  loadAudioSamples('spectro-cnn').map(async (c) => decodeWav(readFileSync(c.file), c.file)),
);
const grid = gridCells(64, 64, 8, 8);
const everySegment = Array.from({ length: grid.count }, (_, i) => i);

describe('listening to time × frequency segments', () => {
  it('with every segment kept the resynthesis matches the input (SNR >= 30 dB); with none it is silent', () => {
    for (const clip of clips) {
      const { kept, rest } = segmentAudio(clip.samples, recipe, grid.labels, everySegment);
      expect(snrDb(clip.samples, kept)).toBeGreaterThanOrEqual(30);
      expect(rest.every((v) => v === 0)).toBe(true);
    }
  });

  it('the kept and the rest add up to the whole, and each keeps the energy of its own part', () => {
    const clip = clips[6];
    const { kept, rest } = segmentAudio(clip.samples, recipe, grid.labels, [0, 9, 18, 27]);
    const whole = maskedAudio(clip.samples, recipe, new Float32Array(64 * 64).fill(1));
    let err = 0;
    for (let i = 0; i < whole.length; i++) err = Math.max(err, Math.abs(kept[i] + rest[i] - whole[i]));
    expect(err).toBeLessThan(1e-6);
  });

  it('a mask over the low bands keeps a low tone and removes a high one', () => {
    const rate = recipe.sampleRate;
    const low = Float32Array.from(
      { length: recipe.clipSamples },
      (_, n) => 0.3 * Math.sin((2 * Math.PI * 300 * n) / rate),
    );
    const high = Float32Array.from(
      { length: recipe.clipSamples },
      (_, n) => 0.3 * Math.sin((2 * Math.PI * 2500 * n) / rate),
    );
    const mix = low.map((v, i) => v + high[i]);
    // Rows are highest band first: the bottom half of the picture is the low half of the mel bands (< ~1 kHz).
    const mask = Float32Array.from({ length: 64 * 64 }, (_, i) => (Math.floor(i / 64) >= 32 ? 1 : 0));
    expect(snrDb(low, maskedAudio(mix, recipe, mask))).toBeGreaterThan(20);
  });

  it('encodes 16-bit WAV that reads back within one step', async () => {
    const back = await decodeWav(encodeWav(clips[0].samples, recipe.sampleRate), 'x.wav');
    let err = 0;
    for (let i = 0; i < back.samples.length; i++)
      err = Math.max(err, Math.abs(back.samples[i] - clips[0].samples[i]));
    expect(err).toBeLessThanOrEqual(1 / 32767);
  });
});
