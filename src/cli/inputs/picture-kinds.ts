/**
 * Input kinds whose tensor is still a picture (audio: the spectrogram), keyed by the kind the model declares
 * (`netlens.input` kind): the kind's loader turns the command's file arguments into the model's image batch,
 * so the image path of every command runs unchanged, and may draw and add to each map's output. Kinds with
 * inputs of their own (sequences, tables) have their own handlers; every other model reads images.
 */
import type { SpectrogramRecipe } from '../../audio/recipe.js';
import type { Explainer, ExplainerRun } from '../../explainers/index.js';
import type { ExplainedWindow } from '../../methods/audio/present.js';
import type { LoadedImages } from '../../image/index.js';
import type { RawImage } from '../../image/types.js';
import type { OnnxModel } from '../../model.js';
import type { ModelFlags } from '../options.js';
import { loadAudioArgs } from './audio.js';

export interface MapPictureRequest {
  explainer: Explainer;
  run: ExplainerRun;
  /** Map index in the run (items are image-major). */
  m: number;
  /** Item the map explains. */
  item: number;
  /** The plain overlay of the map on the item's picture. */
  overlay: RawImage;
  options: Record<string, unknown>;
}

export interface LoadedInputs extends LoadedImages {
  /** Audio models: the recipe and each window's samples (item order), for listening to explanations. */
  audio?: { recipe: SpectrogramRecipe; windows: ExplainedWindow[] };
  /** A better picture of a map than the plain overlay (e.g. with axes). */
  picture?(request: MapPictureRequest): RawImage;
  /** More files to write beside a map's picture, named by suffix (e.g. '-important.wav'). */
  extraFiles?(request: Omit<MapPictureRequest, 'overlay'>): { suffix: string; bytes: Uint8Array }[];
}

export type InputLoader = (
  args: readonly string[],
  model: OnnxModel,
  flags: ModelFlags,
  limit?: number,
) => Promise<LoadedInputs>;

const LOADERS: Record<string, InputLoader> = { audio: loadAudioArgs };

/** The loader for the model's input kind, or undefined for image models. */
export function pictureLoaderFor(model: OnnxModel): InputLoader | undefined {
  const kind = model.inputDescription?.kind;
  return typeof kind === 'string' ? LOADERS[kind] : undefined;
}
