/**
 * The WAV and resampling libraries, whichever way the loader presents them: Node loads their CommonJS builds
 * (everything under `default`), bundlers and vite-node their ES modules (named exports).
 */
import * as wavefileModule from 'wavefile';
import * as resamplerModule from 'wave-resampler';

type WaveFileClass = typeof wavefileModule.WaveFile;
type Resample = typeof resamplerModule.resample;

function pick<T>(module: object, name: string): T {
  const named = (module as Record<string, unknown>)[name];
  if (named !== undefined) return named as T;
  return (module as { default: Record<string, unknown> }).default[name] as T;
}

export const WaveFile: WaveFileClass = pick<WaveFileClass>(wavefileModule, 'WaveFile');
export const resample: Resample = pick<Resample>(resamplerModule, 'resample');
