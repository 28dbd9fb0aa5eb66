/** One line with a stable code for every failure the CLI reports, file-system errors included. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../src/cli/fail.js';
import { cli } from './helpers/cli.js';

describe('describeFailure', () => {
  it('turns a failed mkdir under a regular file into one OUTPUT_ERROR line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-fail-'));
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const err = await mkdir(path.join(file, 'sub'), { recursive: true }).catch((e: unknown) => e);
    const failure = describeFailure(err, false);
    expect(failure.exitCode).toBe(1);
    expect(failure.line).toBe(
      `netlens: could not mkdir ${path.join(file, 'sub')}: a parent is not a folder [OUTPUT_ERROR]`,
    );
  });

  it('keeps other unexpected errors as internal errors with exit code 2', () => {
    const failure = describeFailure(new TypeError('x is undefined'), false);
    expect(failure.exitCode).toBe(2);
    expect(failure.line).toMatch(/^netlens: internal error: x is undefined/);
  });

  it('the report command with --out under a regular file fails with one typed line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-fail-'));
    await writeFile(path.join(dir, 'a-file'), 'x');
    const run = await cli(
      'report',
      'fixtures/shapes-cnn/model.onnx',
      'fixtures/shapes-cnn/samples/images/0000-circle.png',
      '--sections',
      'predictions',
      '--out',
      path.join(dir, 'a-file', 'report'),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(/\[OUTPUT_ERROR\]$/);
  });
});
