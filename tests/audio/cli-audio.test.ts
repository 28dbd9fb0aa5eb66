import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WaveFile } from '../../src/audio/libraries.js';
import { decodeWav } from '../../src/audio/wav.js';
import { fixtureDir, fixtureModelPath } from '../../src/data/manifest.js';
import { cli } from '../helpers/cli.js';

const model = fixtureModelPath('spectro-cnn');
const clipDir = path.join(fixtureDir('spectro-cnn'), 'samples', 'audio');
const tone = path.join(clipDir, '0010-tone.wav');
const work = mkdtempSync(path.join(tmpdir(), 'netlens-audio-'));

/** A WAV header: RIFF/WAVE, a 16-byte fmt chunk and a data chunk claiming `dataBytes` (none follow). */
function header(formatTag: number, bits: number, rate: number, channels: number, dataBytes: number): Buffer {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(formatTag, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE((rate * channels * bits) / 8, 28);
  b.writeUInt16LE((channels * bits) / 8, 32);
  b.writeUInt16LE(bits, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataBytes, 40);
  return b;
}

function badFile(name: string, bytes: Buffer): string {
  const file = path.join(work, name);
  writeFileSync(file, bytes);
  return file;
}

describe('netlens commands on WAV files for an audio model', () => {
  it('lime writes the picture and the audio of the top segments and of the rest', async () => {
    const out = path.join(work, 'lime');
    const run = await cli(
      'lime',
      model,
      tone,
      path.join(clipDir, '0007-clicks.wav'),
      '--num-samples',
      '256',
      '--out',
      out,
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      '0007-clicks-lime-important.wav',
      '0007-clicks-lime-rest.wav',
      '0007-clicks-lime.png',
      '0010-tone-lime-important.wav',
      '0010-tone-lime-rest.wav',
      '0010-tone-lime.png',
    ]);
    const kept = await decodeWav(readFileSync(path.join(out, '0010-tone-lime-important.wav')), 'kept');
    const rest = await decodeWav(readFileSync(path.join(out, '0010-tone-lime-rest.wav')), 'rest');
    const energy = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);
    // The tone is the loud part of the clip and LIME's top segments hold it.
    expect(energy(kept.samples)).toBeGreaterThan(10 * energy(rest.samples));
  }, 60_000);

  it('a long clip is cut into windows, each one explained', async () => {
    const one = await decodeWav(readFileSync(tone), tone);
    const wav = new WaveFile();
    const long = new Float32Array(one.samples.length * 2 + 2000);
    long.set(one.samples);
    long.set(one.samples, one.samples.length + 2000);
    wav.fromScratch(1, one.sampleRate, '32f', long);
    const file = badFile('long.wav', Buffer.from(wav.toBuffer()));
    const run = await cli('--json', 'gradcam', model, file, '--window-hop', '0.52');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { images: string[]; classes: number[] };
    // (16640 + 2000 - 8320) / 4160 rounded up, plus the first window.
    expect(json.images).toHaveLength(4);
    expect(json.images[2]).toMatch(/long-w2\.wav$/);
  }, 60_000);

  const cases: [string, () => string, string, RegExp][] = [
    [
      'a truncated file',
      () => badFile('cut.wav', readFileSync(tone).subarray(0, 5000)),
      'INVALID_AUDIO',
      /truncated/,
    ],
    [
      'a file that is not WAV',
      () => badFile('fake.wav', Buffer.from('this is not audio at all, just text\n')),
      'INVALID_AUDIO',
      /not a WAV file/,
    ],
    ['zero-length audio', () => badFile('empty.wav', header(1, 16, 8000, 1, 0)), 'INVALID_AUDIO', /no audio/],
    [
      'a 10-hour header',
      () => badFile('ten-hours.wav', header(1, 16, 8000, 1, 10 * 3600 * 8000 * 2)),
      'AUDIO_TOO_LONG',
      /10\.0 h/,
    ],
    [
      'mu-law audio',
      () => badFile('mulaw.wav', Buffer.concat([header(7, 8, 8000, 1, 100), Buffer.alloc(100)])),
      'UNSUPPORTED_AUDIO',
      /mu-law/,
    ],
    [
      '12-bit PCM',
      () => badFile('pcm12.wav', Buffer.concat([header(1, 12, 8000, 1, 96), Buffer.alloc(96)])),
      'UNSUPPORTED_AUDIO',
      /12-bit PCM/,
    ],
  ];
  for (const [what, make, code, message] of cases) {
    it(`${what}: one-line typed error, non-zero exit, no output`, async () => {
      const out = path.join(work, `out-${code}-${what.length}`);
      const run = await cli('occlusion', model, make(), '--out', out);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toHaveLength(1);
      expect(run.stderr[0]).toContain(`[${code}]`);
      expect(run.stderr[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('netlens report on a folder of WAV files', () => {
  it('writes the audio section: a figure and two players per window and method', async () => {
    const out = path.join(work, 'report');
    const run = await cli(
      'report',
      model,
      clipDir,
      '--limit',
      '2',
      '--sections',
      'predictions,audio',
      '--out',
      out,
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    // 2 clips x (LIME, occlusion, Grad-CAM) x (top segments, the rest).
    expect(html.match(/<audio controls/g)).toHaveLength(12);
    expect(html.match(/src="data:audio\/wav;base64,UklGR/g)).toHaveLength(12);
    expect(html).toContain('0000-noise-burst.wav');
  }, 120_000);
});
