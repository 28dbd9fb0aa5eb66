import { mkdir, mkdtemp, copyFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFlagNames } from '../src/cli/fail.js';
import { distinctStems } from '../src/cli/output.js';
import { cli } from './helpers/cli.js';

const model = 'fixtures/shapes-cnn/model.onnx';
const images = 'fixtures/shapes-cnn/samples/images';

describe('output files', () => {
  it('tells inputs with the same base name apart by their relative path', () => {
    expect(distinctStems(['/d/a/x.png', '/d/b/x.png'])).toEqual(['a/x', 'b/x']);
    expect(distinctStems(['/d/a/x.png', '/d/a/y.png'])).toEqual(['x', 'y']);
    expect(distinctStems(['/d/a/x.png', '/d/a/x.png'])).toEqual(['x', 'x-2']);
  });

  it('writes two files for a/x.png and b/x.png and refuses to overwrite them without --force', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-out-'));
    for (const [sub, file] of [
      ['a', '0000-circle.png'],
      ['b', '0001-square.png'],
    ]) {
      await mkdir(path.join(dir, sub));
      await copyFile(path.join(images, file), path.join(dir, sub, 'x.png'));
    }
    const out = path.join(dir, 'maps');
    const inputs = [path.join(dir, 'a/x.png'), path.join(dir, 'b/x.png')];
    const first = await cli('gradcam', model, ...inputs, '--out', out);
    expect(first.stderr).toEqual([]);
    expect(await readdir(path.join(out, 'a'))).toEqual(['x-gradcam.png']);
    expect(await readdir(path.join(out, 'b'))).toEqual(['x-gradcam.png']);
    const before = (await stat(path.join(out, 'a/x-gradcam.png'))).mtimeMs;
    const again = await cli('gradcam', model, ...inputs, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr[0]).toMatch(/already exist; pass --force to overwrite \[OUTPUT_ERROR\]/);
    expect((await stat(path.join(out, 'a/x-gradcam.png'))).mtimeMs).toBe(before);
    const forced = await cli('gradcam', model, ...inputs, '--out', out, '--force');
    expect(forced.code).toBe(0);
  });
});

describe('error messages', () => {
  it('name the command-line flag, not the library option', async () => {
    const flags = new Map([['maxPixels', '--max-pixels']]);
    expect(withFlagNames('over the limit (raise maxPixels to allow it)', flags)).toBe(
      'over the limit (raise --max-pixels to allow it)',
    );
    // A quoted name (a tensor, a file) is left as it is.
    expect(withFlagNames("layer 'maxPixels'", flags)).toBe("layer 'maxPixels'");
    const run = await cli('predict', model, `${images}/0000-circle.png`, '--max-pixels', '100');
    expect(run.code).toBe(1);
    expect(run.stderr[0]).toMatch(/--max-pixels/);
    expect(run.stderr[0]).not.toMatch(/maxPixels/);
  });
});
