/**
 * A report section: one per method. Each method adds its own file under `sections/` and one line in
 * `sections/index.ts`; the report runs every section that applies to the model and says why others don't.
 */
import type { SpectrogramRecipe } from '../audio/recipe.js';
import type { RawImage } from '../image/types.js';
import type { InputSpec, Model, Prediction, ProgressCallback, TensorData } from '../types.js';

export interface ReportInput {
  model: Model;
  modelName: string;
  spec: InputSpec;
  /** The batch as the model sees it. */
  input: TensorData;
  /** The decoded images at their original size. */
  images: RawImage[];
  /** Display names of the images (file names). */
  names: string[];
  predictions: Prediction;
  /** Predicted class per image. */
  predicted: number[];
  miniBatchSize?: number;
  seed: number;
  onProgress?: ProgressCallback;
  /**
   * A labelled data set for the dataset-level sections (embedding, max/min activating images), normalised like
   * `input`; `names` are display names per item.
   */
  dataset?: { input: TensorData; labels?: Int32Array; names?: string[] };
  /** Audio models: the spectrogram recipe and each item's window of audio (item order). */
  audio?: { recipe: SpectrogramRecipe; windows: { samples: Float32Array; startSeconds: number }[] };
  /** The model with every learned layer re-initialised, for the maps' sanity verdicts (opened on first use). */
  randomizedModel?: () => Promise<Model | undefined>;
  /** Leave out the metric cards under the maps. */
  noMetricCards?: boolean;
}

export interface ReportSection {
  id: string;
  title: string;
  /** Undefined when the section applies to this model and input; otherwise a short reason why it does not. */
  skipReason?(input: ReportInput): Promise<string | undefined>;
  /** The section's HTML body (images inlined). */
  render(input: ReportInput): Promise<string>;
}

/** Why a section that draws the model's feature layer cannot run (no such layer), or undefined when it can. */
export async function featureLayerSkipReason(input: ReportInput): Promise<string | undefined> {
  try {
    await input.model.featureLayer();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
