/** The dataset commands: `embed` and `extremes` write their pictures and numbers; bad input is one typed line. */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const model = 'fixtures/fashion-cnn/model.onnx';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-dataset-cli-'));
});

describe('netlens embed', () => {
  it('embeds a sample set with PCA and writes a PNG; --compare-raw writes an SVG of two panels', async () => {
    const png = path.join(dir, 'embed.png');
    const run = await cli(
      '--json',
      'embed',
      model,
      '--samples',
      'fashion-cnn',
      '--limit',
      '150',
      '--method',
      'pca',
      '--out',
      png,
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ n: 150, method: 'pca', reduction: 'mean', out: png });
    expect(json.layer).toBe('/features/features.1/features.1.6/MaxPool_output_0');
    expect(json.activations.features).toBe(64);
    expect(json.activations.agreement10).toBeGreaterThan(0.3);
    expect(json.activations.explainedVariance).toHaveLength(2);
    expect((await sharp(png).metadata()).format).toBe('png');

    const svg = path.join(dir, 'compare.svg');
    const compare = await cli(
      'embed',
      model,
      '--samples',
      'fashion-cnn',
      '--limit',
      '120',
      '--layer',
      '/Flatten_output_0',
      '--compare-raw',
      '--max-iterations',
      '250',
      '--out',
      svg,
    );
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/10-NN class agreement raw 0\.\d+ vs layer 0\.\d+; wrote /);
    const text = await readFile(svg, 'utf8');
    expect(text.split('aria-roledescription="point"').length - 1).toBe(240);
  });

  it('embeds image files (coloured by predicted class) and fails in one line on bad input', async () => {
    const run = await cli('embed', model, 'fixtures/fashion-cnn/samples/images', '--method', 'umap');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^embedded 12 items of .* \(mean, 64 values\)\n$/);
    const bad = await cli('embed', model, '--samples', 'fashion-cnn', '--method', 'mds');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toHaveLength(1);
    expect(bad.stderr[0]).toMatch(/--method must be one of tsne, umap, pca, got 'mds'/);
    const both = await cli('embed', model, 'fixtures/fashion-cnn/samples/images', '--samples', 'fashion-cnn');
    expect(both.stderr.join('\n')).toMatch(/not both/);
    const ext = await cli(
      'embed',
      model,
      '--samples',
      'fashion-cnn',
      '--limit',
      '20',
      '--method',
      'pca',
      '--out',
      path.join(dir, 'e.gif'),
    );
    expect(ext.stderr.join('\n')).toMatch(/--out must end in .png or .svg/);
    // Refused before any work: a model that does not exist is never opened.
    const early = await cli(
      'embed',
      'no-such-model.onnx',
      'no-such-folder',
      '--out',
      path.join(dir, 'e.gif'),
    );
    expect(early.code).toBe(1);
    expect(early.stderr).toHaveLength(1);
    expect(early.stderr[0]).toMatch(/--out must end in .png or .svg.*\[INVALID_OPTION\]/);
  });
});

describe('netlens extremes', () => {
  it('ranks a class of a sample set and writes the montage; --json lists items and mistakes', async () => {
    const out = path.join(dir, 'coat.png');
    const run = await cli(
      '--json',
      'extremes',
      model,
      '--samples',
      'fashion-cnn',
      '--limit',
      '200',
      '--class',
      'Coat',
      '--k',
      '4',
      '--out',
      out,
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.count).toBe(200);
    expect(json.sets).toHaveLength(1);
    const set = json.sets[0];
    expect(set.className).toBe('Coat');
    expect(set.highest).toHaveLength(4);
    const scores = set.highest.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const item of [...set.highest, ...set.lowest]) expect(item.label).toBe('Coat');
    expect(json.mistakes).toHaveLength(4);
    for (const m of json.mistakes) expect(m.label).not.toBe(m.predicted);
    expect((await stat(out)).isFile()).toBe(true);
    expect((await sharp(out).metadata()).width).toBeGreaterThanOrEqual(4 * 112);
  });

  it('ranks a layer channel of image files; bad channel and flag combinations are one-line errors', async () => {
    const layer = '/features/features.0/features.0.2/Relu_output_0';
    const run = await cli(
      'extremes',
      model,
      'fixtures/fashion-cnn/samples/images',
      '--layer',
      layer,
      '--channel',
      '3',
      '--k',
      '2',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ranked 12 items: channel 3: top /);
    const range = await cli(
      'extremes',
      model,
      '--samples',
      'fashion-cnn',
      '--limit',
      '10',
      '--layer',
      layer,
      '--channel',
      '16',
    );
    expect(range.code).not.toBe(0);
    expect(range.stderr).toHaveLength(1);
    expect(range.stderr[0]).toMatch(/channel 16 is out of range: layer .* has 16 channels/);
    const alone = await cli('extremes', model, '--samples', 'fashion-cnn', '--channel', '1');
    expect(alone.stderr.join('\n')).toMatch(/--layer and --channel go together/);
    const unknown = await cli('extremes', model, '--samples', 'fashoin-cnn');
    expect(unknown.stderr.join('\n')).toMatch(/no fixture 'fashoin-cnn'.*fashion-cnn/);
  });
});
