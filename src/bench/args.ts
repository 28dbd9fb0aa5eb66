/**
 * Command-line flags of the bench scripts, parsed strictly (node:util's parseArgs): an unknown flag or a flag
 * missing its value is a one-line error and exit code 2, `--help` prints the usage; a long run never starts on a
 * mistyped flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What each declared flag parses to (absent when not given). */
type Values<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' }
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/** The parsed flags, or undefined when the script should stop (help printed, or a bad flag reported). */
export function benchArgs<O extends Options>(
  script: string,
  usage: string,
  options: O,
  argv: string[] = process.argv.slice(2),
): Values<O> | undefined {
  try {
    const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
    const { values } = parseArgs({ args: argv, options: all, strict: true, allowPositionals: false });
    if ((values as { help?: boolean }).help === true) {
      process.stdout.write(`${usage}\n`);
      return undefined;
    }
    return values as unknown as Values<O>;
  } catch (error) {
    process.stderr.write(`${script}: ${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exitCode = 2;
    return undefined;
  }
}
