import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const MODEL = 'fixtures/fashion-cnn/model.onnx';

describe('netlens export', () => {
  it('writes an ONNX file with the model outputs, the explained class and the map', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'netlens-export-')), 'explained.onnx');
    const run = await cli('export', MODEL, '--method', 'saliency', '--out', out);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('explanation_map');
    const session = await ort.InferenceSession.create(out);
    expect(session.outputNames).toEqual(['logits', 'explained_class', 'explanation_map']);
    await session.release();
  });

  it('refuses a method that has no graph form, writing nothing', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'netlens-export-')), 'explained.onnx');
    const run = await cli('export', MODEL, '--method', 'occlusion', '--out', out);
    expect(run.code).not.toBe(0);
    expect(run.stderr.join('\n')).toMatch(/--method must be one of gradcam, .*\[INVALID_OPTION\]/);
    expect(existsSync(out)).toBe(false);
  });
});
