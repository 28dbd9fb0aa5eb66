/**
 * How an audio model's input picture is made from a waveform, as the model describes it (`netlens.input` with
 * kind 'audio' and a `spectrogram` field). Every field is checked here, so the rest of the pipeline can trust it.
 */
import { ModelError, UnsupportedError } from '../errors.js';

export interface SpectrogramRecipe {
  sampleRate: number;
  /** Samples per model input window: nFft + hop · (frames - 1). */
  clipSamples: number;
  nFft: number;
  hop: number;
  /** 'hann' = symmetric Hann (numpy.hanning, MATLAB hann); 'hann-periodic' = periodic Hann. */
  window: 'hann' | 'hann-periodic';
  melBands: number;
  fMin: number;
  fMax: number;
  /** dB = 10 log10(mel power + amin). */
  amin: number;
  /** [floor, ceiling] in dB, mapped onto grey levels 0..255. */
  dbRange: [number, number];
  /** 'high-to-low': row 0 is the highest mel band (as pictures are drawn). */
  rowOrder: 'high-to-low' | 'low-to-high';
}

/** Frames (picture columns) one window gives. */
export function frameCount(recipe: SpectrogramRecipe): number {
  return Math.floor((recipe.clipSamples - recipe.nFft) / recipe.hop) + 1;
}

function positiveInt(value: unknown, key: string, source: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source}: spectrogram.${key} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function finite(value: unknown, key: string, source: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source}: spectrogram.${key} must be a number, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Only the scales and power normalisation netlens implements are accepted; anything else is named. */
function expect(
  value: unknown,
  allowed: readonly string[],
  key: string,
  source: string,
  fallback: string,
): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `${source}: spectrogram.${key} ${JSON.stringify(v)} is not supported (expected ${allowed.join(' or ')})`,
    );
  }
  return v;
}

/** The checked recipe from a model's input description (`description.spectrogram`). */
export function spectrogramRecipe(
  description: Record<string, unknown> | undefined,
  source: string,
): SpectrogramRecipe {
  const raw = description?.spectrogram;
  if (description?.kind !== 'audio' || typeof raw !== 'object' || raw === null) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source} is not an audio model: its netlens.input metadata has no kind 'audio' with a 'spectrogram' recipe`,
    );
  }
  const r = raw as Record<string, unknown>;
  const sampleRate = positiveInt(r.sampleRate, 'sampleRate', source);
  const nFft = positiveInt(r.nFft, 'nFft', source);
  if ((nFft & (nFft - 1)) !== 0) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `${source}: spectrogram.nFft ${nFft} is not a power of two`,
    );
  }
  const hop = positiveInt(r.hop, 'hop', source);
  const clipSamples = positiveInt(r.clipSamples, 'clipSamples', source);
  if (clipSamples < nFft) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source}: spectrogram.clipSamples ${clipSamples} is shorter than nFft ${nFft}`,
    );
  }
  const melBands = positiveInt(r.melBands, 'melBands', source);
  const fMin = finite(r.fMin, 'fMin', source);
  const fMax = finite(r.fMax, 'fMax', source);
  if (!(fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2)) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source}: spectrogram needs 0 <= fMin < fMax <= sampleRate / 2, got ${fMin}..${fMax}`,
    );
  }
  const range = r.dbRange;
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !(finite(range[0], 'dbRange', source) < finite(range[1], 'dbRange', source))
  ) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source}: spectrogram.dbRange must be [floor, ceiling] with floor < ceiling`,
    );
  }
  const amin = r.amin === undefined ? 1e-12 : finite(r.amin, 'amin', source);
  expect(r.melScale, ['htk'], 'melScale', source, 'htk');
  expect(
    r.power,
    ['magnitude^2 / (nFft * sum(window))'],
    'power',
    source,
    'magnitude^2 / (nFft * sum(window))',
  );
  return {
    sampleRate,
    clipSamples,
    nFft,
    hop,
    window: expect(
      r.window,
      ['hann', 'hann-periodic'],
      'window',
      source,
      'hann',
    ) as SpectrogramRecipe['window'],
    melBands,
    fMin,
    fMax,
    amin,
    dbRange: [range[0] as number, range[1] as number],
    rowOrder: expect(
      r.rowOrder,
      ['high-to-low', 'low-to-high'],
      'rowOrder',
      source,
      'high-to-low',
    ) as SpectrogramRecipe['rowOrder'],
  };
}
