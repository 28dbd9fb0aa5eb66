import { mkdtemp, readFile, writeFile, mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliRun } from './helpers/cli.js';
import { loadModel } from '../src/node/load.js';
import { encodeModel, makeModel, makeNode, makeValueInfo, DataType } from '../src/onnx/proto.js';
import { CNN, cnnModel } from './helpers/onnx-models.js';

const spec = {
  height: 4,
  width: 4,
  channels: 1,
  layout: 'NCHW',
  channelOrder: 'GRAY',
  scale: 1 / 255,
  mean: [0.5],
  std: [0.25],
};

let dir: string;
let modelPath: string;
let images: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-cli-'));
  modelPath = path.join(dir, 'cnn.onnx');
  await writeFile(
    modelPath,
    encodeModel(
      cnnModel({
        metadata: { 'netlens.labels': JSON.stringify(CNN.labels), 'netlens.input': JSON.stringify(spec) },
      }),
    ),
  );
  images = [];
  for (let i = 0; i < 3; i++) {
    const pixels = Buffer.alloc(16 * 16);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (p * (i + 3) * 37) % 256;
    const file = path.join(dir, `img${i}.png`);
    await sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(file);
    images.push(file);
  }
});

describe('netlens info / predict / activations / report', () => {
  it('info lists inputs, labels and the layers table', async () => {
    const run = await cli('info', modelPath);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('circle, square, triangle');
    expect(run.stdout).toMatch(/Feature layer \(CAM default\): relu1/);
    expect(run.stdout).toMatch(/Reduction layer \(what gradient methods explain\): logits/);
    const json = JSON.parse((await cli('--json', 'info', modelPath)).stdout);
    expect(json.layers.map((l: { name: string }) => l.name)).toEqual([
      'conv1',
      'relu1',
      'gap',
      'flat',
      'logits',
      'prob',
    ]);
    expect(json.layers[0].shape).toEqual([1, 2, 4, 4]);
    // every layer of this conv/relu/pool/gemm/softmax net can be differentiated for the main output
    expect(json.layers.every((l: { differentiable?: boolean }) => l.differentiable === true)).toBe(true);
    expect(run.stdout).toMatch(/differentiable/);
  });

  it('info marks layers behind an op without a backprop rule as not differentiable', async () => {
    const blocked = makeModel({
      nodes: [
        makeNode('Relu', ['x'], ['r']),
        makeNode('LpNormalization', ['r'], ['s']),
        makeNode('Relu', ['s'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 3])],
    });
    const file = path.join(dir, 'lpnorm.onnx');
    await writeFile(file, encodeModel(blocked));
    const json = JSON.parse((await cli('--json', 'info', file)).stdout);
    const byName = Object.fromEntries(json.layers.map((l: { name: string }) => [l.name, l]));
    expect(byName.s.differentiable).toBe(true);
    expect(byName.r.differentiable).toBe(false);
    expect(byName.r.blockedBy).toMatch(/LpNormalization/);
  });

  it('predict prints the same top classes as Model.predict', async () => {
    const run = await cli('--json', 'predict', modelPath, ...images, '--top', '2');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { file: string; top: { index: number; probability: number }[] }[];
    expect(rows).toHaveLength(3);
    const model = await loadModel(modelPath);
    const { loadImagesForModel } = await import('../src/image/index.js');
    const loaded = await loadImagesForModel(images, model.inputSpec!);
    const pred = await model.predict(loaded.input);
    for (let i = 0; i < 3; i++) {
      const probs = Array.from(pred.probabilities.data.subarray(i * 3, i * 3 + 3));
      const best = probs.indexOf(Math.max(...probs));
      expect(rows[i].top[0].index).toBe(best);
      expect(rows[i].top[0].probability).toBeCloseTo(probs[best], 5);
      expect(rows[i].top[0].probability).toBeGreaterThanOrEqual(rows[i].top[1].probability);
    }
  });

  it('activations writes a PNG montage and reports the strongest channel', async () => {
    const out = path.join(dir, 'act.png');
    const run = await cli('--json', 'activations', modelPath, images[0], '--layer', 'relu1', '--out', out);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.dims).toEqual([1, 2, 4, 4]);
    const max = json.max as number[];
    expect(json.strongestChannel).toBe(max.indexOf(Math.max(...max)));
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(100);
  });

  it('report writes one self-contained HTML page with predictions and activations', async () => {
    const out = path.join(dir, 'report');
    const run = await cli('report', modelPath, dir, '--out', out, '--sections', 'predictions,activations');
    expect(run.code).toBe(0);
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h2>Predictions</h2>');
    expect(html).toContain('<h2>Activations</h2>');
    expect(html.match(/data:image\/png;base64,/g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/src="(?!data:)/);
  });
});

describe('heat-map subcommands', () => {
  it('occlusion writes one overlay per image and reports its numbers', async () => {
    const out = path.join(dir, 'occ');
    const run = await cli(
      '--json',
      'occlusion',
      modelPath,
      images[0],
      images[1],
      '--mask-size',
      '2',
      '--stride',
      '1',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.method).toBe('occlusion');
    expect(json.mapDims).toEqual([2, 4, 4]);
    expect(json.maskSize).toEqual([2, 2]);
    expect(json.files).toHaveLength(2);
    for (const file of json.files as string[]) expect((await sharp(file).metadata()).width).toBe(16);
    const single = path.join(dir, 'one.png');
    const one = await cli('--json', 'occlusion', modelPath, images[0], '--target', 'square', '--out', single);
    expect(JSON.parse(one.stdout).classes).toEqual([1]);
  });

  it('lime is seeded: the same seed gives the same numbers', async () => {
    const args = [
      '--json',
      'lime',
      modelPath,
      images[0],
      '--num-samples',
      '64',
      '--segmentation',
      'grid',
      '--num-features',
      '4',
    ];
    const a = JSON.parse((await cli(...args, '--seed', '3')).stdout);
    const b = JSON.parse((await cli(...args, '--seed', '3')).stdout);
    expect(a.explanations[0].featureImportance).toEqual(b.explanations[0].featureImportance);
  });
});

describe('kernel-shap command', () => {
  it('writes the Shapley map, lists the values per segment (exact when every coalition fits) and keeps a one-line error', async () => {
    const out = path.join(dir, 'shap.png');
    const args = [
      '--json',
      'kernel-shap',
      modelPath,
      images[0],
      '--segmentation',
      'grid',
      '--num-features',
      '4',
    ];
    const run = await cli(...args, '--out', out);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    const e = json.explanations[0];
    expect(e.exact).toBe(true);
    expect(e.numSubsets).toBe(2 ** e.numFeatures);
    const sum = (e.shapleyValues as number[]).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(e.baseScore - e.emptyScore, 5);
    expect((await sharp(out).metadata()).width).toBe(16);
    const bad = await cli('kernel-shap', modelPath, images[0], '--max-num-subsets', '3');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/--max-num-subsets must be an integer/);
  });
});

describe('bad input: one line, non-zero exit, no partial output', () => {
  async function expectFailure(run: CliRun, code: string, pattern?: RegExp): Promise<void> {
    expect(run.code).not.toBe(0);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0].split('\n')).toHaveLength(1);
    expect(run.stderr[0]).toContain(`[${code}]`);
    if (pattern) expect(run.stderr[0]).toMatch(pattern);
  }

  it('rejects broken and wrong model files', async () => {
    const bytes = await readFile(modelPath);
    const truncated = path.join(dir, 'truncated.onnx');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectFailure(await cli('info', truncated), 'INVALID_MODEL');
    const text = path.join(dir, 'notes.onnx');
    await writeFile(text, 'this is not a model\n'.repeat(10));
    await expectFailure(await cli('info', text), 'INVALID_MODEL');
    await expectFailure(await cli('info', images[0]), 'INVALID_MODEL', /image/);
    await expectFailure(await cli('info', path.join(dir, 'missing.onnx')), 'FILE_NOT_FOUND');
    await mkdir(path.join(dir, 'a-folder.onnx'), { recursive: true });
    await expectFailure(await cli('info', path.join(dir, 'a-folder.onnx')), 'NOT_A_FILE', /directory/);
  });

  it('rejects a model with no float input', async () => {
    const intModel = makeModel({
      nodes: [makeNode('Identity', ['ids'], ['out'])],
      inputs: [makeValueInfo('ids', ['N', 3], DataType.INT64)],
      outputs: [makeValueInfo('out', ['N', 3], DataType.INT64)],
    });
    const file = path.join(dir, 'int.onnx');
    await writeFile(file, encodeModel(intModel));
    await expectFailure(await cli('info', file), 'UNSUPPORTED_MODEL');
  });

  it('rejects bad images without writing output', async () => {
    const out = path.join(dir, 'never.png');
    const rgb = path.join(dir, 'rgb.png');
    const colours = Buffer.alloc(8 * 8 * 3);
    for (let p = 0; p < colours.length; p++) colours[p] = (p * 53) % 256;
    await sharp(colours, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toFile(rgb);
    await expectFailure(await cli('activations', modelPath, rgb, '--out', out), 'INVALID_IMAGE', /--to-gray/);
    expect((await cli('activations', modelPath, rgb, '--to-gray')).code).toBe(0);
    await expectFailure(
      await cli('activations', modelPath, images[0], '--max-pixels', '100', '--out', out),
      'IMAGE_TOO_LARGE',
    );
    const corrupt = path.join(dir, 'corrupt.png');
    await writeFile(corrupt, (await readFile(images[0])).subarray(0, 30));
    await expectFailure(await cli('predict', modelPath, corrupt), 'INVALID_IMAGE');
    await expectFailure(
      await cli('activations', modelPath, images[0], '--layer', 'relu', '--out', out),
      'UNKNOWN_LAYER',
      /relu1/,
    );
    await expect(stat(out)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.startsWith('never') || f.includes('.tmp'))).toEqual([]);
  });

  it('rejects class targets out of range or unknown', async () => {
    const out = path.join(dir, 'never-target.png');
    await expectFailure(
      await cli('occlusion', modelPath, images[0], '--target', '7', '--out', out),
      'INVALID_TARGET',
      /0\.\.2/,
    );
    await expectFailure(
      await cli('occlusion', modelPath, images[0], '--target', 'sqare', '--out', out),
      'INVALID_TARGET',
      /square/,
    );
    await expect(stat(out)).rejects.toThrow();
  });

  it('rejects bad flags in one line', async () => {
    await expectFailure(await cli('occlusion', modelPath, images[0], '--mask-size', 'big'), 'INVALID_OPTION');
    await expectFailure(
      await cli('occlusion', modelPath, images[0], '--output-upsampling', 'cubic'),
      'INVALID_OPTION',
    );
    await expectFailure(await cli('predict', modelPath, images[0], '--top', 'zero'), 'INVALID_OPTION');
    await expectFailure(await cli('predict', modelPath, images[0], '--bogus'), 'INVALID_OPTION');
    await expectFailure(
      await cli('report', modelPath, images[0], '--out', path.join(dir, 'r2'), '--sections', 'nope'),
      'INVALID_OPTION',
    );
  });
});
