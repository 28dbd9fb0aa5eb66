/** Turn any thrown value into the one line a CLI user sees, and its exit code. */
import { NetlensError } from '../errors.js';

export interface Failure {
  line: string;
  exitCode: number;
}

export function describeFailure(err: unknown, verbose: boolean): Failure {
  if (err instanceof NetlensError) {
    const line = `netlens: ${err.message} [${err.code}]`;
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
