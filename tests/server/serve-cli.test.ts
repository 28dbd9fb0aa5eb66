/** `netlens serve` refuses a named model or image that would not open, before anything listens. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const MODEL = 'fixtures/shapes-cnn/model.onnx';
const IMAGE = 'fixtures/shapes-cnn/samples/images/0000-circle.png';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-serve-'));
  await writeFile(path.join(dir, 'text.png'), 'not an image');
  await writeFile(path.join(dir, 'corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
});

describe('netlens serve, bad named files', () => {
  it.each(['text.png', 'corrupt.jpg'])(
    'an undecodable image (%s) is a one-line typed error',
    async (name) => {
      const run = await cli('serve', MODEL, IMAGE, path.join(dir, name), '--port', '0');
      expect(run.code).toBe(1);
      expect(run.stderr).toHaveLength(1);
      expect(run.stderr[0]).toMatch(new RegExp(`${name}.*\\[[A-Z_]+\\]$`));
      expect(run.stdout).not.toMatch(/netlens explorer:/);
    },
  );

  it('a folder without images is a one-line typed error', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'netlens-serve-empty-'));
    const run = await cli('serve', MODEL, empty);
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([expect.stringMatching(/holds no PNG, JPEG or WebP images \[NOT_A_FILE\]$/)]);
  });

  it('an image given as the model is a one-line typed error', async () => {
    const run = await cli('serve', IMAGE);
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(/\[INVALID_MODEL\]$/);
  });
});
