import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchArgs } from '../../src/bench/args.js';

const FLAGS = {
  quick: { type: 'boolean' },
  suite: { type: 'string' },
  embedding: { type: 'string', multiple: true },
} as const;

describe('bench scripts: strict flags', () => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  afterEach(() => {
    stdout.mockClear();
    stderr.mockClear();
    process.exitCode = undefined;
  });

  it('parses the declared flags', () => {
    const args = benchArgs('bench', 'usage: bench', FLAGS, [
      '--quick',
      '--suite',
      'peer',
      '--embedding',
      'a',
      '--embedding',
      'b',
    ]);
    expect(args).toEqual({ quick: true, suite: 'peer', embedding: ['a', 'b'] });
    expect(benchArgs('bench', 'usage: bench', FLAGS, [])).toEqual({});
    expect(process.exitCode).toBeUndefined();
  });

  it('refuses an unknown flag, a missing value and a positional with exit code 2 and the usage', () => {
    for (const argv of [['--quik'], ['--suite'], ['peer']]) {
      process.exitCode = undefined;
      expect(benchArgs('bench', 'usage: bench', FLAGS, argv)).toBeUndefined();
      expect(process.exitCode).toBe(2);
    }
    const written = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(written).toMatch(/^bench: .*'--quik'/m);
    expect(written).toMatch(/usage: bench/);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('prints the usage for --help and -h and asks the script to stop, successfully', () => {
    for (const argv of [['--help'], ['-h'], ['--quick', '--help']]) {
      expect(benchArgs('bench', 'usage: bench', FLAGS, argv)).toBeUndefined();
    }
    expect(stdout).toHaveBeenCalledTimes(3);
    expect(String(stdout.mock.calls[0][0])).toBe('usage: bench\n');
    expect(process.exitCode).toBeUndefined();
  });
});
