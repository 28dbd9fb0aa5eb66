/** The command line on the output-kind fixtures: predict per kind, region / time-step targets, held inputs. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgress, setProgressMode } from '../src/cli/progress.js';
import { readNpy, writeNpy } from '../src/util/npy.js';
import { cli } from './helpers/cli.js';

const mask = 'fixtures/shapes-mask/model.onnx';
const ctc = 'fixtures/digits-ctc/model.onnx';
const pair = 'fixtures/shapes-pair/model.onnx';
const circle = 'fixtures/shapes-seg/samples/images/0000-circle.png';
const digits = 'fixtures/digits-ctc/samples/images/0001-2762.png';

describe('predict by output kind', () => {
  it('a one-channel map: the foreground share; a CTC sequence: the decoded string; JSON alike', async () => {
    const m = await cli('predict', mask, circle);
    expect(m.stdout).toMatch(
      /^output 'mask': dense map\n0000-circle\.png: foreground \d+\.\d% of pixels \(\d+ of 4096\)\n$/,
    );
    const s = await cli('predict', ctc, digits);
    expect(s.stdout).toMatch(/0001-2762\.png: "2762" \(mean step confidence/);
    const json = JSON.parse((await cli('--json', 'predict', ctc, digits)).stdout);
    expect(json[0]).toMatchObject({ kind: 'sequence', text: '2762' });
    expect(json[0].path).toHaveLength(32);
  });

  it('--output-kind overrides the description; a wrong kind is a one-line error naming the flag', async () => {
    const asRegression = await cli('predict', mask, circle, '--output-kind', 'regression');
    expect(asRegression.stdout.split('\n')[0]).toBe("output 'mask': regression");
    const bad = await cli('predict', mask, circle, '--output-kind', 'pixels');
    expect(bad.code).toBe(1);
    expect(bad.stderr[0]).toMatch(
      /--output-kind must be one of class-scores, dense-map, sequence, regression/,
    );
  });

  it('--output-name picks the output to show; an unknown name is a one-line error listing the outputs', async () => {
    const named = await cli('predict', mask, circle, '--output-name', 'mask');
    expect(named.code).toBe(0);
    expect(named.stdout.split('\n')[0]).toBe("output 'mask': dense map");
    const bad = await cli('predict', mask, circle, '--output-name', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toHaveLength(1);
    expect(bad.stderr[0]).toMatch(/has no output named 'nope' \(outputs: mask\)/);
  });

  it('--input holds the other input: the queried shape decides the answer', async () => {
    const yes = await cli(
      '--json',
      'predict',
      pair,
      circle,
      '--input',
      'query=fixtures/shapes-pair/query-circle.npy',
    );
    const no = await cli('--json', 'predict', pair, circle, '--input', 'query=0,1,0,0');
    expect(JSON.parse(yes.stdout)[0].top[0].probability).toBeGreaterThan(0.5);
    expect(JSON.parse(no.stdout)[0].top[0].probability).toBeLessThan(0.5);
    const info = await cli('info', pair);
    expect(info.stdout).toMatch(/image .*\(main: the input explained\)/);
    expect(info.stdout).toMatch(/Note: input 'query' \[N, 4\] not given: fed zeros/);
    const wrong = await cli('predict', pair, circle, '--input', 'qeury=0,1,0,0');
    expect(wrong.stderr[0]).toMatch(/'qeury' is not an input of .* \(other inputs: query\)/);
  });
});

describe('targets on the command line', () => {
  it('--step and --target on a sequence; --region box on a map; a label that reads as a number is a label', async () => {
    const step = await cli('saliency', ctc, digits, '--step', '7', '--target', '7');
    expect(step.code).toBe(0);
    expect(step.stdout).toMatch(/class 8 \(7\) at step 7/);
    const region = await cli('occlusion', mask, circle, '--region', 'box:10,10,40,40');
    expect(region.stdout).toMatch(/class 0 \(foreground\), 961 pixels/);
    const outside = await cli('gradcam', mask, circle, '--region', 'box:10,10,70,40');
    expect(outside.stderr[0]).toMatch(/box \[10, 10, 70, 40\] must be .* inside the 64×64 map/);
    const lime = await cli('lime', ctc, digits);
    expect(lime.stderr[0]).toMatch(/LIME explains class scores \[N, K\]; output 'log_probs' is a sequence/);
  });
});

describe('progress without a terminal', () => {
  it('prints plain lines, at most one per 2 s within a stage, and an estimate for long work', () => {
    const lines: string[] = [];
    let clock = 0;
    setProgressMode('plain');
    const progress = createProgress(
      'occlusion',
      true,
      (l) => lines.push(l),
      () => clock,
    );
    for (let done = 0; done <= 1000; done += 10) {
      clock = done * 100; // 10 s per 100 units: 100 s in all
      progress.onProgress({ done, total: 1000, stage: 'forward passes' });
    }
    expect(lines[0]).toBe('occlusion: forward passes 0/1000 (0%)');
    expect(lines).toContain('occlusion: 1,000 forward passes, about 2 min left');
    expect(lines.at(-1)).toBe('occlusion: forward passes 1000/1000 (100%)');
    expect(lines.length).toBeLessThan(60);
  });
});

describe('maps as numbers', () => {
  it('--save-maps writes the maps as .npy, equal to what --json-maps prints', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-maps-'));
    const file = path.join(dir, 'maps.npy');
    const run = await cli(
      '--json',
      'gradcam',
      ctc,
      digits,
      '--step',
      '3-5',
      '--save-maps',
      file,
      '--json-maps',
    );
    expect(run.stderr).toEqual([]);
    const json = JSON.parse(run.stdout);
    const saved = readNpy(new Uint8Array(await readFile(file)), file);
    expect(saved.dims).toEqual(json.mapDims);
    expect(json.maps).toHaveLength(saved.data.length);
    saved.data.forEach((v, i) => expect(json.maps[i]).toBeCloseTo(v, 5));
    expect(json.files).toEqual([file]);
  });
});

describe('.npy files', () => {
  it('round-trip float32 maps and read what NumPy writes', async () => {
    const t = { data: Float32Array.from([1.5, -2, 3.25, 0, 7, 8]), dims: [2, 3] };
    const back = readNpy(writeNpy(t), 'x.npy');
    expect(back.dims).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(t.data));
    // The fixture's queries were written by NumPy (np.save of a [1, 4] float32 array).
    const q = readNpy(new Uint8Array(await readFile('fixtures/shapes-pair/query-triangle.npy')), 'q');
    expect(q.dims).toEqual([1, 4]);
    expect(Array.from(q.data)).toEqual([0, 0, 1, 0]);
    expect(() => readNpy(new Uint8Array(Buffer.from('not numpy')), 'bad.npy')).toThrow(/no NUMPY magic/);
  });
});
