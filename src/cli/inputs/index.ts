/**
 * Input kinds at the CLI edge: a command whose arguments depend on what the model takes (images, a table, a
 * sequence, audio, ...) asks this registry, keyed by the model's input kind (`netlens.input` kind, or 'table'
 * for a plain [N, F] input). A kind either runs a command its own way (tables, sequences: `commands`), or
 * only turns the arguments into the batch that the image path explains and draws (audio → spectrograms:
 * `load`); image models keep the commands' own path.
 */
import type { Command } from 'commander';
import type { SpectrogramRecipe } from '../../audio/recipe.js';
import type { Explainer, ExplainerRun } from '../../explainers/index.js';
import type { LoadedImages } from '../../image/index.js';
import type { RawImage } from '../../image/types.js';
import type { ExplainedWindow } from '../../methods/audio/present.js';
import type { OnnxModel } from '../../model.js';
import { isTableModel } from '../../methods/tabular/schema.js';
import type { GlobalFlags, ModelFlags } from '../options.js';
import { loadAudioArgs } from './audio.js';
import { SEQUENCE_INPUT } from './sequence.js';
import { TABLE_INPUT } from './table.js';

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

export type CliFlags = Record<string, string | boolean | undefined>;

export interface InputCommandContext {
  modelPath: string;
  globals: GlobalFlags;
  /** For heat-map commands: the explainer and its options as parsed from the flags (target included). */
  explainer?: Explainer;
  options?: Record<string, unknown>;
}

export interface InputCommand {
  /** Flags this kind adds to the command ('--query <rows>' style), with their help. */
  options: readonly (readonly [flags: string, description: string])[];
  run(
    model: OnnxModel,
    args: readonly string[],
    flags: CliFlags,
    context: InputCommandContext,
  ): Promise<void>;
}

export interface InputKind {
  kind: string;
  /** Command id → how this kind runs it. */
  commands: Readonly<Record<string, InputCommand>>;
  /** For kinds the image path explains as pictures: how the arguments become the model's batch. */
  load?: InputLoader;
}

const AUDIO_INPUT: InputKind = { kind: 'audio', commands: {}, load: loadAudioArgs };

export const INPUT_KINDS: readonly InputKind[] = [TABLE_INPUT, SEQUENCE_INPUT, AUDIO_INPUT];

export function inputKindOf(model: OnnxModel): string {
  const kind = model.inputDescription?.kind;
  if (typeof kind === 'string') return kind;
  return isTableModel(model) ? 'table' : 'image';
}

/** The handler of `commandId` for this model's input kind, if that kind has one. */
export function inputCommand(model: OnnxModel, commandId: string): InputCommand | undefined {
  const kind = inputKindOf(model);
  const commands = INPUT_KINDS.find((k) => k.kind === kind)?.commands;
  return commands && Object.hasOwn(commands, commandId) ? commands[commandId] : undefined;
}

/** Adds every kind's flags for `commandId` that the command does not already have. */
export function addInputOptions(cmd: Command, commandId: string): Command {
  for (const kind of INPUT_KINDS) {
    const commands = kind.commands;
    if (!Object.hasOwn(commands, commandId)) continue;
    for (const [flags, description] of commands[commandId].options) {
      const long = flags.split(/[ ,]+/).find((part) => part.startsWith('--'));
      if (!cmd.options.some((o) => o.long === long)) cmd.option(flags, description);
    }
  }
  return cmd;
}

/** The loader of the model's input kind when the image path runs it (audio), or undefined for images. */
export function inputLoaderFor(model: OnnxModel): InputLoader | undefined {
  const kind = inputKindOf(model);
  return INPUT_KINDS.find((k) => k.kind === kind)?.load;
}
