/**
 * Input kinds at the CLI edge: a command whose arguments depend on what the model takes (images, a table, a
 * sequence, ...) asks this registry, keyed by the model's input kind (`netlens.input` kind, or 'table' for a
 * plain [N, F] input), for the handler of that kind; image models keep the command's own path.
 */
import type { Command } from 'commander';
import type { Explainer } from '../../explainers/index.js';
import type { OnnxModel } from '../../model.js';
import { isTableModel } from '../../methods/tabular/schema.js';
import type { GlobalFlags } from '../options.js';
import { SEQUENCE_INPUT } from './sequence.js';
import { TABLE_INPUT } from './table.js';

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
}

export const INPUT_KINDS: readonly InputKind[] = [TABLE_INPUT, SEQUENCE_INPUT];

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
