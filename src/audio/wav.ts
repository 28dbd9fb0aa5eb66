/**
 * WAV decoding (the `wavefile` library) to mono samples in [-1, 1], after the header has been checked by
 * `inspectWav`. Several channels are mixed down by averaging.
 */
import { WaveFile } from './libraries.js';
import { AudioError } from '../errors.js';
import { bytesReader, DEFAULT_MAX_SECONDS, inspectWav, type WavHeader } from './wav-header.js';

export interface AudioClip {
  /** Mono samples, nominally in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** What the file held before the mix-down. */
  header: WavHeader;
}

export interface ReadWavOptions {
  /** Refuse files longer than this (default 600 s), from the header. */
  maxSeconds?: number;
}

/** Full scale of an integer PCM sample, to map it onto [-1, 1). 8-bit PCM is unsigned around 128. */
function pcmScale(bits: number): { offset: number; scale: number } {
  if (bits === 8) return { offset: 128, scale: 1 / 128 };
  return { offset: 0, scale: 1 / 2 ** (bits - 1) };
}

/** Decode WAV bytes (named `name` in errors) to one mono clip. */
export async function decodeWav(
  bytes: Uint8Array,
  name: string,
  options: ReadWavOptions = {},
): Promise<AudioClip> {
  const header = await inspectWav(
    bytesReader(bytes),
    bytes.length,
    name,
    options.maxSeconds ?? DEFAULT_MAX_SECONDS,
  );
  const wav = new WaveFile();
  let interleaved: ArrayLike<number>;
  try {
    wav.fromBuffer(bytes);
    interleaved = wav.getSamples(true, Float64Array);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AudioError('INVALID_AUDIO', `${name} could not be decoded as WAV (${why})`, { cause: err });
  }
  const { channels } = header;
  const frames = Math.floor(interleaved.length / channels);
  if (frames === 0) throw new AudioError('INVALID_AUDIO', `${name} holds no audio (0 samples)`);
  const { offset, scale } =
    header.encoding === 'float' ? { offset: 0, scale: 1 } : pcmScale(header.bitsPerSample);
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c] - offset;
    samples[i] = (sum / channels) * scale;
  }
  for (let i = 0; i < frames; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new AudioError('INVALID_AUDIO', `${name} holds a non-finite sample at frame ${i}`);
    }
  }
  return { samples, sampleRate: header.sampleRate, header };
}
