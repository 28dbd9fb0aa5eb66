/**
 * A heat-map explainer as the edges (CLI, report) see it: one method, its options described once, and a
 * run that returns one map per image at the model's input resolution. The CLI subcommand and the report
 * section of every map method are generated from this description.
 */
import { NetlensError } from '../errors.js';
import type { Model, TensorData } from '../types.js';

export type OptionKind = 'int' | 'number' | 'string' | 'numbers' | 'size' | 'choice' | 'flag';

export interface ExplainerOption {
  /** Option key passed to the method (camelCase, MATLAB's name where MATLAB has one). */
  key: string;
  /** CLI flag, e.g. '--mask-size'. */
  flag: string;
  kind: OptionKind;
  description: string;
  /** For 'choice'. */
  choices?: readonly string[];
  /** 'size' accepts 'auto' as well as HxW / N. */
  allowAuto?: boolean;
}

export interface ExplainerRun {
  /** [N, H, W]: one map per image at the model input resolution. */
  maps: TensorData;
  /** Class index each map explains (undefined when the target is not a class). */
  classes: (number | undefined)[];
  /** Short text per map for captions (e.g. 'class Coat'). */
  descriptions: string[];
  /** Numbers for --json and the report (scores, completeness delta, fit quality, cost, ...). */
  numbers: Record<string, unknown>;
}

export interface Explainer {
  /** CLI subcommand and report section id, e.g. 'gradcam'. */
  id: string;
  title: string;
  description: string;
  /** Signed maps are shown symmetric around zero with a diverging colormap. */
  signed: boolean;
  /** Whether the method uses randomness (gets the --seed option). */
  seeded: boolean;
  /**
   * Whether the method takes the general gradient targets (several classes per image, segmentation regions)
   * besides class indices/names.
   */
  generalTargets?: boolean;
  options: readonly ExplainerOption[];
  /**
   * Percent of a map's largest magnitudes its picture lets saturate (pixel-level gradients of photos have a few
   * extreme pixels that would otherwise flatten the rest); undefined: the full range. Captions say so.
   */
  clipPercent?: number;
  /** Default options for the report (keep it quick on the bundled models). */
  reportOptions?: Record<string, unknown>;
  /** One sentence for the report about the run as a whole (e.g. how well completeness holds). */
  summarize?(run: ExplainerRun): string;
  run(model: Model, input: TensorData, options: Record<string, unknown>): Promise<ExplainerRun>;
}

/** [N, K, H, W] or [N, 1, H, W] or [N, H, W] → [N·K, H, W] (one map per explained item). */
export function asMapStack(map: TensorData): TensorData {
  const dims = map.dims;
  if (dims.length === 3) return map;
  if (dims.length === 4) return { data: map.data, dims: [dims[0] * dims[1], dims[2], dims[3]] };
  if (dims.length === 2) return { data: map.data, dims: [1, dims[0], dims[1]] };
  throw new NetlensError('INVALID_INPUT', `expected a stack of 2-D maps, got dims [${dims.join(', ')}]`);
}
