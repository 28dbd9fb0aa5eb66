/** Writing a mono clip as a WAV file (the `wavefile` library): 16-bit PCM, clipped to [-1, 1]. */
import { WaveFile } from './libraries.js';

export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = Int16Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return wav.toBuffer();
}
