/**
 * Every CLI subcommand. A command is one file exporting `register(program, globals)`; add new ones here.
 */
import type { Command } from 'commander';
import type { GlobalFlags } from '../options.js';
import * as activations from './activations.js';
import * as classMax from './class-max.js';
import * as convert from './convert.js';
import * as deepdream from './deepdream.js';
import * as embed from './embed.js';
import * as evaluate from './evaluate.js';
import * as explain from './explain.js';
import * as extremes from './extremes.js';
import * as info from './info.js';
import * as predict from './predict.js';
import * as report from './report.js';
import * as shapley from './shapley.js';

export type Register = (program: Command, globals: () => GlobalFlags) => void;

export const COMMANDS: readonly { register: Register }[] = [
  info,
  predict,
  activations,
  explain,
  deepdream,
  classMax,
  embed,
  extremes,
  shapley,
  report,
  evaluate,
  convert,
];
