/** Output files that could not be written are refused before any work (the model is never opened). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const MODEL = 'no-such-model.onnx';
const IMAGE = 'fixtures/fashion-cnn/samples/images/0004-coat.png';

/** Each command's arguments with `out` as its output file. */
const COMMANDS: [string, string, (out: string) => string[]][] = [
  ['embed', 'png', (out) => ['embed', MODEL, IMAGE, '--out', out]],
  ['extremes', 'png', (out) => ['extremes', MODEL, IMAGE, '--out', out]],
  ['deepdream', 'png', (out) => ['deepdream', MODEL, '--out', out]],
  ['class-max', 'png', (out) => ['class-max', MODEL, '--out', out]],
  ['activations', 'png', (out) => ['activations', MODEL, IMAGE, '--out', out]],
  ['evaluate', 'html', (out) => ['evaluate', MODEL, IMAGE, '--methods', 'gradcam', '--out', out]],
  ['export', 'onnx', (out) => ['export', MODEL, '--method', 'gradcam', '--out', out]],
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-early-out-'));
  await writeFile(path.join(dir, 'a-file'), 'x');
});

describe('output files checked before any work', () => {
  for (const [command, ext, args] of COMMANDS) {
    it(`${command}: a missing folder, a parent that is a file, a name taken by a folder`, async () => {
      const cases: [string, RegExp][] = [
        [path.join(dir, 'no-such-folder', `out.${ext}`), /no-such-folder does not exist/],
        [path.join(dir, 'a-file', `out.${ext}`), /is not a directory/],
        [path.join(dir, `folder.${ext}`), /is a directory/],
      ];
      await mkdir(path.join(dir, `folder.${ext}`), { recursive: true });
      for (const [out, why] of cases) {
        const run = await cli(...args(out));
        expect(run.code, `${command} --out ${out}`).toBe(1);
        expect(run.stderr).toHaveLength(1);
        expect(run.stderr[0]).toMatch(why);
        expect(run.stderr[0]).toMatch(/\[OUTPUT_ERROR\]$/);
      }
    });
  }
});
