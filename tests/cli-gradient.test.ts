/** The gradient methods' CLI commands on the shapes fixture: PNGs written, numbers in --json, typed failures. */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { integratedGradientsExplainer } from '../src/explainers/attribution.js';

const model = 'fixtures/shapes-cnn/model.onnx';
const image = 'fixtures/shapes-cnn/samples/images/0013-triangle.png';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-gradient-cli-'));
});

describe('gradient method commands', () => {
  it('gradcam writes an overlay of the image size and reports the target and cost', async () => {
    const out = path.join(dir, 'gc.png');
    const run = await cli('--json', 'gradcam', model, image, '--out', out);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.classes).toEqual([2]);
    expect(json.descriptions).toEqual(['class 2 (triangle)']);
    expect(json.featureLayer).toBe('/features/features.14/Relu_output_0');
    expect(json.cost).toEqual({ forwardPasses: 1, tailPasses: 0, vjpItems: 1 });
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([64, 64]);
  });

  it('integrated-gradients reports completeness; several classes give one file each', async () => {
    const run = await cli(
      '--json',
      'integrated-gradients',
      model,
      image,
      '--num-steps',
      '16',
      '--baseline',
      'blurred',
    );
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.numSteps).toBe(16);
    expect(json.delta).toHaveLength(1);
    expect(Math.abs(json.relativeDelta[0])).toBeLessThan(0.2);
    expect(json.stepsUsed).toEqual([16]);
    const tight = await cli(
      '--json',
      'integrated-gradients',
      model,
      image,
      '--num-steps',
      '8',
      '--tolerance',
      '0.001',
    );
    expect(tight.code).toBe(0);
    const refined = JSON.parse(tight.stdout);
    expect(refined.integration).toBe('adaptiveGaussLegendre');
    expect(refined.converged).toEqual([true]);
    expect(Math.abs(refined.relativeDelta[0])).toBeLessThanOrEqual(0.001);
    expect(refined.stepsUsed[0]).toBeGreaterThanOrEqual(8);
    const plain = await cli('integrated-gradients', model, image, '--tolerance', '0.01');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      /Completeness: attributions sum to f\(x\) − f\(baseline\) within [0-9.]+ % for every image/,
    );
    const wrong = await cli('integrated-gradients', model, image, '--max-steps', '64');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr.join('\n')).toMatch(/--max-steps applies only with tolerance/);
    const folder = path.join(dir, 'classes');
    const multi = await cli('saliency', model, image, '--classes', 'circle,triangle', '--out', folder);
    expect(multi.code).toBe(0);
    expect((await stat(path.join(folder, '0013-triangle-saliency-1.png'))).isFile()).toBe(true);
  });

  it('the report section of integrated gradients states completeness, within 1 % for every image', async () => {
    const out = path.join(dir, 'report');
    const run = await cli(
      'report',
      model,
      path.dirname(image),
      '--limit',
      '3',
      '--out',
      out,
      '--sections',
      'integrated-gradients',
    );
    expect(run.code).toBe(0);
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    const stated =
      /Completeness: attributions sum to f\(x\) − f\(baseline\) within ([0-9.e+-]+) % for every image \((\d+)(?:–(\d+))? path points per image\)/.exec(
        html,
      );
    expect(stated, 'completeness sentence').not.toBeNull();
    expect(Number(stated![1])).toBeLessThanOrEqual(1);
    expect(Number(stated![2])).toBeGreaterThanOrEqual(32);
  });

  it('deepdream and class-max write montages; bad options are one-line errors', async () => {
    const dream = path.join(dir, 'dream.png');
    const run = await cli('deepdream', model, '--channels', '0,1+2', '--num-iterations', '2', '--out', dream);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/deep dream on .*1\+2/);
    expect((await sharp(dream).metadata()).width).toBeGreaterThan(128);
    const cm = await cli('--json', 'class-max', model, '--classes', 'cross', '--num-iterations', '5');
    expect(cm.code).toBe(0);
    expect(JSON.parse(cm.stdout).classes).toEqual([3]);
    const bad = await cli('deepdream', model, '--channels', '0,x');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/--channels must look like/);
    const noHead = await cli('scorecam', model, image, '--score', 'maybe');
    expect(noHead.code).not.toBe(0);
    expect(noHead.stderr.join('\n')).toMatch(/--score must be one of probability, logit/);
  });
});

describe('completeness sentence', () => {
  it('leaves out images whose score equals the baseline (0 / 0) and says so', () => {
    const run = (relativeDelta: number[], stepsUsed: number[]) =>
      integratedGradientsExplainer.summarize!({
        maps: { data: new Float32Array(1), dims: [1, 1, 1] },
        classes: [0],
        descriptions: [''],
        numbers: { relativeDelta, stepsUsed },
      });
    expect(run([-0.004, 0.002], [64, 80])).toBe(
      'Completeness: attributions sum to f(x) − f(baseline) within 0.40 % for every image (64–80 path points per image).',
    );
    expect(run([0.004, NaN], [64, 64])).toMatch(
      /within 0.40 % for every image whose score differs from the baseline's \(64 path/,
    );
    expect(run([NaN], [64])).toBe('Completeness: f(x) equals f(baseline) for every image.');
  });
});
