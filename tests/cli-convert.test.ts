import { mkdtemp, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { loadModel } from '../src/node/load.js';
import {
  maxAbsDiff,
  randomArray,
  randomizeWeights,
  saveToJson,
  seededRandom,
  tf,
  useWasmBackend,
} from './tfjs/harness.js';

async function cli(...argv: string[]): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  const code = await runCli(['--no-progress', ...argv], { stderr: (l) => stderr.push(l) });
  return { code, stderr };
}

describe('netlens convert', () => {
  it('writes an ONNX model that predicts what TF.js predicts, with the recorded preprocessing', async () => {
    await useWasmBackend();
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          name: 'conv_a',
        }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
      ],
    });
    randomizeWeights(model, 7);
    const { modelJson, weightData } = await saveToJson(model);
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-convert-'));
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    await writeFile(path.join(dir, 'group1-shard1of1.bin'), weightData);
    await writeFile(path.join(dir, 'labels.txt'), 'cat\ndog\nbird\n');
    const out = path.join(dir, 'model.onnx');
    const run = await cli(
      'convert',
      path.join(dir, 'model.json'),
      out,
      '--labels',
      path.join(dir, 'labels.txt'),
      '--scale',
      '0.5',
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);

    const converted = await loadModel(out);
    expect(converted.labels).toEqual(['cat', 'dog', 'bird']);
    expect(converted.inputSpec?.scale).toBe(0.5);
    expect(converted.inputSpec?.layout).toBe('NHWC');
    const x = randomArray(2 * 8 * 8 * 3, seededRandom(3));
    const expected = (model.predict(tf.tensor(x, [2, 8, 8, 3])) as tf.Tensor).dataSync();
    const got = await converted.predict({ data: x, dims: [2, 8, 8, 3] });
    expect(maxAbsDiff(got.probabilities.data, expected)).toBeLessThan(1e-5);
    expect(converted.outputKind).toBe('probabilities');
    // every command also takes the model.json directly (converted in memory)
    const direct = await loadModel(path.join(dir, 'model.json'), {
      labelsFile: path.join(dir, 'labels.txt'),
    });
    const viaJson = await direct.predict({ data: x, dims: [2, 8, 8, 3] });
    expect(maxAbsDiff(viaJson.probabilities.data, expected)).toBeLessThan(1e-5);
    expect(direct.labels).toEqual(['cat', 'dog', 'bird']);
    // the Keras layer name is a usable layer
    const acts = await converted.activations({ data: x, dims: [2, 8, 8, 3] }, ['conv_a']);
    expect(acts.conv_a.data.length).toBe(2 * 8 * 8 * 4);
  });

  it('refuses a missing model.json and a bad output name in one line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-convert-'));
    const missing = await cli('convert', path.join(dir, 'nope.json'), path.join(dir, 'x.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr[0]).toMatch(/FILE_NOT_FOUND/);
    const bad = await cli('convert', path.join(dir, 'nope.json'), path.join(dir, 'x.txt'));
    expect(bad.stderr[0]).toMatch(/INVALID_OPTION/);
    await expect(stat(path.join(dir, 'x.onnx'))).rejects.toThrow();
  });
});
