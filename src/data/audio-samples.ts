/**
 * The WAV clips a fixture ships (spectro-cnn: `samples/audio/index.json`), each tied to the row of the image
 * sample set its spectrogram is, so labels, boxes and regions come from there.
 */
import path from 'node:path';
import { FileError } from '../errors.js';
import { readJsonObject } from './files.js';
import { fixtureDir, loadManifest } from './manifest.js';

export interface AudioSample {
  /** Absolute path of the WAV file. */
  file: string;
  /** Row of the fixture's image sample set (pixels, labels, boxes, regions). */
  sample: number;
  label: number;
}

export function loadAudioSamples(name: string): AudioSample[] {
  loadManifest(name); // checks the fixture exists and its manifest is sound
  const index = readJsonObject(path.join(fixtureDir(name), 'manifest.json'), 'manifest').audio;
  if (typeof index !== 'string') throw new FileError('FILE_NOT_FOUND', `fixture '${name}' ships no audio`);
  const file = path.join(fixtureDir(name), index);
  const files = readJsonObject(file, 'audio sample index').files;
  if (!Array.isArray(files)) throw new FileError('INVALID_INPUT', `${file}: 'files' must be a list`);
  return files.map((entry: unknown) => {
    const e = entry as Record<string, unknown>;
    if (typeof e.file !== 'string' || !Number.isInteger(e.sample) || !Number.isInteger(e.label)) {
      throw new FileError('INVALID_INPUT', `${file}: every entry needs file, sample and label`);
    }
    return {
      file: path.join(path.dirname(file), e.file),
      sample: e.sample as number,
      label: e.label as number,
    };
  });
}
