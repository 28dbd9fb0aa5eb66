/** Run the CLI in-process and capture what it prints: stdout as text, stderr as lines. */
import { runCli } from '../../src/cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string[];
}

export async function cli(...argv: string[]): Promise<CliRun> {
  const stderr: string[] = [];
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await runCli(['--no-progress', ...argv], { stderr: (line) => stderr.push(line) });
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = write;
  }
}
