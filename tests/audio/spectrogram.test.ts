import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WaveFile } from '../../src/audio/libraries.js';
import { describe, expect, it } from 'vitest';
import { bandCentresHz } from '../../src/audio/mel.js';
import { spectrogramRecipe, type SpectrogramRecipe } from '../../src/audio/recipe.js';
import { spectrogramImage } from '../../src/audio/spectrogram.js';
import { istft, stft } from '../../src/audio/stft.js';
import { decodeWav } from '../../src/audio/wav.js';
import { audioWindows, resampleTo } from '../../src/audio/windows.js';
import { loadAudioSamples } from '../../src/data/audio-samples.js';
import { fixtureDir, fixtureModelPath } from '../../src/data/manifest.js';
import { loadImageSamples } from '../../src/data/samples.js';
import { loadModel } from '../../src/node/load.js';

const model = await loadModel(fixtureModelPath('spectro-cnn'));
const recipe: SpectrogramRecipe = spectrogramRecipe(model.inputDescription, 'spectro-cnn');
const set = loadImageSamples('spectro-cnn');
const clips = loadAudioSamples('spectro-cnn');
const pixelsOf = (sample: number): Uint8Array =>
  set.pixels.subarray(sample * set.height * set.width, (sample + 1) * set.height * set.width);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('spectro-cnn audio pipeline', () => {
  it('the model carries its spectrogram recipe, and it matches the manifest', () => {
    const manifest = JSON.parse(
      readFileSync(path.join(fixtureDir('spectro-cnn'), 'manifest.json'), 'utf8'),
    ) as { spectrogram: Record<string, unknown> };
    for (const key of ['sampleRate', 'clipSamples', 'nFft', 'hop', 'melBands', 'fMin', 'fMax'] as const) {
      expect(recipe[key]).toBe(manifest.spectrogram[key]);
    }
    expect(recipe.dbRange).toEqual(manifest.spectrogram.dbRange);
    // The manifest lists band centres highest first, rounded to 0.01 Hz.
    const centres = [...bandCentresHz(recipe)].reverse();
    const listed = manifest.spectrogram.bandCentresHz as number[];
    expect(maxDiff(centres, listed)).toBeLessThan(0.006);
  });

  it('the spectrogram of every committed WAV equals the committed picture within one grey level', async () => {
    expect(clips.length).toBeGreaterThanOrEqual(12);
    for (const clip of clips) {
      const audio = await decodeWav(readFileSync(clip.file), clip.file);
      expect(audio.sampleRate).toBe(recipe.sampleRate);
      expect(audio.samples.length).toBe(recipe.clipSamples);
      const image = spectrogramImage(audio.samples, recipe);
      expect([image.height, image.width]).toEqual([set.height, set.width]);
      expect(maxDiff(image.data, pixelsOf(clip.sample))).toBeLessThanOrEqual(1);
      expect(set.labels[clip.sample]).toBe(clip.label);
    }
  });

  it('16-bit stereo at 44.1 kHz, mixed down and resampled, still gives nearly the same picture', async () => {
    const clip = clips[0];
    const audio = await decodeWav(readFileSync(clip.file), clip.file);
    const rate = 44100;
    const up = resampleTo(audio.samples, recipe.sampleRate, rate);
    const wav = new WaveFile();
    const left = Int16Array.from(up, (v) => Math.round(v * 32767));
    const right = Int16Array.from(up, (v) => Math.round(v * 0.5 * 32767));
    wav.fromScratch(2, rate, '16', [left, right]);
    const decoded = await decodeWav(wav.toBuffer(), 'stereo.wav');
    expect(decoded.header).toMatchObject({
      channels: 2,
      sampleRate: rate,
      bitsPerSample: 16,
      encoding: 'pcm',
    });
    // Mix-down is the mean of the channels: 0.75 of the original.
    const back = resampleTo(decoded.samples, rate, recipe.sampleRate).map((v) => v / 0.75);
    const windows = audioWindows(back, recipe);
    expect(windows).toHaveLength(1);
    const reference = pixelsOf(clip.sample);
    let mean = 0;
    for (let i = 0; i < reference.length; i++) mean += Math.abs(windows[0].image.data[i] - reference[i]);
    // Resampling twice and 16-bit rounding change the quiet background, not the picture.
    expect(mean / reference.length).toBeLessThan(3);
  });

  it('8, 24 and 32-bit PCM and 64-bit float decode to the same samples within their resolution', async () => {
    const samples = Float64Array.from({ length: 1000 }, (_, i) => 0.5 * Math.sin(i / 7) + 0.01 * Math.cos(i));
    const cases: [string, (v: number) => number, number][] = [
      ['8', (v) => Math.round(v * 127) + 128, 1 / 128],
      ['24', (v) => Math.round(v * 8388607), 1 / 8388608],
      ['32', (v) => Math.round(v * 2147483647), 1e-7],
      ['64', (v) => v, 1e-7],
    ];
    for (const [depth, encode, tolerance] of cases) {
      const wav = new WaveFile();
      wav.fromScratch(1, 16000, depth, Array.from(samples, encode));
      const decoded = await decodeWav(wav.toBuffer(), `${depth}.wav`);
      expect(decoded.header.encoding).toBe(depth === '64' ? 'float' : 'pcm');
      expect(maxDiff(decoded.samples, samples)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('long clips are cut into windows with the given hop, the last one padded', () => {
    const long = new Float32Array(recipe.clipSamples * 2 + 100).fill(0.1);
    const tiled = audioWindows(long, recipe);
    expect(tiled.map((w) => w.startSeconds * recipe.sampleRate)).toEqual([
      0,
      recipe.clipSamples,
      2 * recipe.clipSamples,
    ]);
    const half = audioWindows(long, recipe, recipe.clipSamples / 2 / recipe.sampleRate);
    // Starts 0, 4160, 8320, 12480: the fourth window reaches past the end and is padded with zeros.
    expect(half).toHaveLength(4);
    expect(half[3].samples[long.length - 12480 - 1]).toBeCloseTo(0.1, 6);
    expect(half[3].samples[long.length - 12480]).toBe(0);
  });

  it('the STFT inverse gives the input back where the windows cover it (all but 3 samples at each end)', async () => {
    const audio = await decodeWav(readFileSync(clips[3].file), clips[3].file);
    const back = istft(stft(audio.samples, recipe), recipe, audio.samples.length);
    let err = 0;
    for (let n = 3; n < audio.samples.length - 3; n++)
      err = Math.max(err, Math.abs(back[n] - audio.samples[n]));
    expect(err).toBeLessThan(1e-9);
  });
});
