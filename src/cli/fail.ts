/** Turn any thrown value into the one line a CLI user sees, and its exit code. */
import { NetlensError } from '../errors.js';

export interface Failure {
  line: string;
  exitCode: number;
}

/**
 * Library messages name options as the library spells them (`maxPixels`); on the command line the user knows
 * the flag (`--max-pixels`). `flags` maps option names to flags, from the commands' own definitions.
 */
export function withFlagNames(message: string, flags: ReadonlyMap<string, string>): string {
  if (flags.size === 0) return message;
  const names = [...flags.keys()].sort((a, b) => b.length - a.length).join('|');
  return message.replace(
    new RegExp(`(?<![\\w'"-])(${names})(?![\\w'"])`, 'g'),
    (name) => flags.get(name) ?? name,
  );
}

export function describeFailure(
  err: unknown,
  verbose: boolean,
  flags: ReadonlyMap<string, string> = new Map(),
): Failure {
  if (err instanceof NetlensError) {
    const line = `netlens: ${withFlagNames(err.message, flags)} [${err.code}]`;
    return { line: verbose && err.stack ? `${line}\n${err.stack}` : line, exitCode: 1 };
  }
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0];
  const line = `netlens: internal error: ${firstLine}`;
  return {
    line:
      verbose && err instanceof Error && err.stack
        ? `${line}\n${err.stack}`
        : `${line} (run with --verbose for details)`,
    exitCode: 2,
  };
}
