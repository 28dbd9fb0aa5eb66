/**
 * Decoded clips → the audio model's input batch: each clip resampled to the model's rate, cut into windows
 * (hop configurable), each window's spectrogram picture normalised as the model's image spec says. Every
 * window is one item of the batch, so every image method explains every window.
 */
import type { AudioClip } from '../../audio/wav.js';
import { spectrogramRecipe, type SpectrogramRecipe } from '../../audio/recipe.js';
import { audioWindows, resampleTo, type AudioWindow } from '../../audio/windows.js';
import { ModelError } from '../../errors.js';
import { prepareImages } from '../../image/normalize.js';
import type { RawImage } from '../../image/types.js';
import type { InputSpec, TensorData } from '../../types.js';

export interface AudioModelLike {
  inputSpec: InputSpec | undefined;
  inputDescription?: Record<string, unknown>;
  source?: string;
}

export interface AudioInputOptions {
  /** Seconds between window starts (default: the window length, so windows tile the clip). */
  hopSeconds?: number;
}

export interface AudioBatch {
  recipe: SpectrogramRecipe;
  /** The batch tensor, one item per window. */
  input: TensorData;
  /** Spectrogram picture of each window (what the maps are drawn over). */
  images: RawImage[];
  /** Each window with the index of the clip it comes from. */
  windows: (AudioWindow & { clip: number })[];
}

/** The model's checked spectrogram recipe; throws unless it is an audio model. */
export function recipeOf(model: AudioModelLike): SpectrogramRecipe {
  return spectrogramRecipe(model.inputDescription, model.source ?? 'model');
}

export function audioBatch(
  clips: readonly AudioClip[],
  model: AudioModelLike,
  options: AudioInputOptions = {},
): AudioBatch {
  const recipe = recipeOf(model);
  const spec = model.inputSpec;
  if (!spec || spec.height !== recipe.melBands || spec.channels !== 1) {
    throw new ModelError(
      'INVALID_MODEL',
      `${model.source ?? 'model'}: its input spec does not describe a ${recipe.melBands}-band 1-channel spectrogram`,
    );
  }
  const windows = clips.flatMap((clip, index) =>
    audioWindows(
      resampleTo(clip.samples, clip.sampleRate, recipe.sampleRate),
      recipe,
      options.hopSeconds,
    ).map((w) => ({ ...w, clip: index })),
  );
  const images = windows.map((w) => w.image);
  return { recipe, input: prepareImages(images, spec), images, windows };
}
