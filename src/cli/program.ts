/** The `netlens` command line: global flags, subcommands, and one-line failures. */
import { Command, CommanderError } from 'commander';
import { OptionError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { describeFailure } from './fail.js';
import type { GlobalFlags } from './options.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('netlens')
    .description(
      'Explain trained neural networks: heat maps, attributions, activations and embeddings for ONNX models',
    )
    .version(VERSION)
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--verbose', 'show stack traces on errors')
    .option('--no-progress', 'never show a progress bar')
    .showHelpAfterError(false)
    .exitOverride();
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();
  for (const command of COMMANDS) command.register(program, globals);
  for (const sub of program.commands) {
    sub.exitOverride();
    // Unknown or malformed flags become one line on stderr, like every other error.
    sub.configureOutput({ writeErr: () => undefined });
  }
  program.configureOutput({ writeErr: () => undefined });
  return program;
}

/**
 * Option names as the library spells them → the flag that sets them, for every camelCase option of every
 * command (`maxPixels` → `--max-pixels`); one-word options read the same either way and are left out.
 */
export function optionFlags(program: Command): Map<string, string> {
  const flags = new Map<string, string>();
  for (const cmd of [program, ...program.commands]) {
    for (const option of cmd.options) {
      const name = option.attributeName();
      if (option.long && /[A-Z]/.test(name) && !option.negate) flags.set(name, option.long);
    }
  }
  return flags;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function runCli(
  argv: readonly string[],
  io: { stderr: (line: string) => void } = { stderr: (l) => process.stderr.write(`${l}\n`) },
): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return 0;
      const message = err.message.replace(/^error: /, '');
      io.stderr(describeFailure(new OptionError('INVALID_OPTION', message), false).line);
      return 1;
    }
    const verbose = program.opts<GlobalFlags>().verbose === true;
    const failure = describeFailure(err, verbose, optionFlags(program));
    io.stderr(failure.line);
    return failure.exitCode;
  }
}
