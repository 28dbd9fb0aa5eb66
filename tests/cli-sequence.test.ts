/** Sequence models at the command line: explainers and activations on CSV / .npy / JSON files, bad input. */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'npyjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSequenceSamples } from '../src/data/samples.js';
import { cli } from './helpers/cli.js';

const MODEL = 'fixtures/sequence-lstm/model.onnx';
let dir: string;
let csv: string;
let npy: string;
const set = loadSequenceSamples('sequence-lstm');

function csvText(values: Float32Array, channels: number, header = true): string {
  const rows = header ? [Array.from({ length: channels }, (_, c) => `c${c}`).join(',')] : [];
  for (let t = 0; t < values.length / channels; t++) {
    rows.push(Array.from(values.subarray(t * channels, (t + 1) * channels)).join(','));
  }
  return `${rows.join('\n')}\n`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-cli-seq-'));
  csv = path.join(dir, 'seq0.csv');
  await writeFile(csv, csvText(set.sequences[0], 12));
  npy = path.join(dir, 'seq2.npy');
  await writeFile(npy, Buffer.from(dump(set.sequences[2], [set.lengths[2], 12])));
});

describe('netlens predict on sequences', () => {
  it('scores each file in a batch of its own length: the top class is the sample label, shares sum to one', async () => {
    const run = await cli('--json', 'predict', MODEL, csv, npy, '--top', '4');
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { steps: number; top: { index: number; probability: number }[] }[];
    expect(json).toHaveLength(2);
    [0, 2].forEach((sample, k) => {
      expect(json[k].steps).toBe(set.lengths[sample]);
      expect(json[k].top[0].index).toBe(set.labels[sample]);
      const total = json[k].top.reduce((sum, c) => sum + c.probability, 0);
      expect(total).toBeCloseTo(1, 4);
    });
  });

  it('names the step count in its text output and refuses a wrong channel count', async () => {
    const run = await cli('predict', MODEL, csv);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^seq0\\.csv \\(${set.lengths[0]} steps\\): `));
    const bad = path.join(dir, 'three-channels.csv');
    await writeFile(bad, csvText(set.sequences[0].subarray(0, 30), 3));
    const refused = await cli('predict', MODEL, bad);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.join('\n')).toMatch(/3.*12|12.*3/);
  });
});

describe('netlens explainers on sequences', () => {
  it('occlusion over time windows: one value per step, peaking inside the ground-truth window', async () => {
    const run = await cli(
      '--json',
      'occlusion',
      MODEL,
      csv,
      npy,
      '--mask-size',
      '4',
      '--stride',
      '1',
      '--score',
      'logit',
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.sequences).toHaveLength(2);
    [0, 2].forEach((sample, k) => {
      const entry = json.sequences[k];
      expect(entry.mapDims).toEqual([1, set.lengths[sample], 1]);
      expect(entry.class).toBe(set.labels[sample]);
      const map: number[] = entry.map;
      const peak = map.indexOf(Math.max(...map));
      const [first, last] = set.windows[sample];
      expect(peak).toBeGreaterThanOrEqual(first - 3);
      expect(peak).toBeLessThanOrEqual(last);
    });
  });

  it('input x gradient gives a time x channel map and writes a figure into the --out folder', async () => {
    const out = path.join(dir, 'figures');
    const run = await cli('--json', 'input-x-gradient', MODEL, csv, '--out', out);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const entry = JSON.parse(run.stdout).sequences[0];
    expect(entry.mapDims).toEqual([1, set.lengths[0], 12]);
    expect(await readdir(out)).toEqual(['seq0-input-x-gradient.png']);
  });

  it('activations: units x time matrix of the LSTM output, strongest units named', async () => {
    const run = await cli('--json', 'activations', MODEL, csv, '--layer', '/lstm/LSTM_output_0');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect([json.units, json.steps]).toEqual([48, set.lengths[0]]);
    expect(json.matrix).toHaveLength(48);
    const peak = (u: number) => Math.max(...json.matrix[u].map(Math.abs));
    expect(peak(json.strongestUnits[0])).toBeGreaterThanOrEqual(peak(json.strongestUnits[1]));
    expect(peak(json.strongestUnits[0])).toBe(
      Math.max(...json.matrix.map((_: number[], u: number) => peak(u))),
    );
  });
});

describe('a time-major model at the command line', () => {
  const TIME_MAJOR = 'tests/methods/sequence/data/time-major-lstm.onnx';

  it('is read batch-first whether the graph tells it or --layout TNC does; a wrong --layout is one line', async () => {
    const seq = path.join(dir, 'time-major.csv');
    await writeFile(seq, csvText(set.sequences[0].slice(0, 9 * 4), 4, false));
    const maps: number[][] = [];
    for (const flags of [[], ['--layout', 'TNC']]) {
      const run = await cli('--json', 'input-x-gradient', TIME_MAJOR, seq, '--target', '1', ...flags);
      expect(run.stderr).toEqual([]);
      expect(run.code).toBe(0);
      const entry = JSON.parse(run.stdout).sequences[0];
      expect(entry.mapDims).toEqual([1, 9, 4]);
      maps.push(entry.map);
    }
    expect(maps[0].some((v) => Math.abs(v) > 1e-4)).toBe(true);
    expect(maps[1]).toEqual(maps[0]);
    const bad = await cli('input-x-gradient', TIME_MAJOR, seq, '--layout', 'TCN');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toHaveLength(1);
    expect(bad.stderr[0]).toContain('--layout must be one of NCHW, NHWC, NTC, TNC, NCT');
  });
});

describe('bad sequence input: one line, typed, non-zero exit, no output file', () => {
  const bad: [string, string | Uint8Array, RegExp][] = [
    ['channels.csv', '1,2,3\n4,5,6\n', /has 3 channels but the model takes 12/],
    ['empty.csv', 'a,b\n', /empty/],
    ['nan.csv', `${'0,'.repeat(11)}nan\n`, /is NaN/],
    ['inf.json', `[[${'0,'.repeat(11)}1e999]]`, /is Infinity/],
    ['ragged.csv', `${'0,'.repeat(11)}0\n0,1\n`, /not a rectangular CSV/],
    ['word.csv', `${'0,'.repeat(11)}0\n${'0,'.repeat(11)}x1\n`, /row 2, column 12 holds 'x1', not a number/],
    ['int.npy', new Uint8Array(dump(new Int32Array(24), [2, 12])), /dtype is i4/],
    ['rank.npy', new Uint8Array(dump(new Float32Array(12), [12])), /expected \[T, C\]/],
  ];
  for (const [name, content, message] of bad) {
    it(name, async () => {
      const file = path.join(dir, name);
      await writeFile(file, content);
      const out = path.join(dir, `${name}.png`);
      const run = await cli('occlusion', MODEL, file, '--out', out);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toHaveLength(1);
      expect(run.stderr[0]).toMatch(message);
      expect(run.stderr[0]).toMatch(/\[INVALID_INPUT\]$/);
      expect((await readdir(dir)).some((f) => f.startsWith(`${name}.png`))).toBe(false);
    });
  }
});

describe('netlens report on a sequence model', () => {
  it('writes predictions, activations and attributions over time, the embedding and the extremes', async () => {
    const out = path.join(dir, 'report');
    const run = await cli(
      '--json',
      'report',
      'fixtures/conv1d-sequence/model.onnx',
      csv,
      '--samples',
      'conv1d-sequence',
      '--dataset-limit',
      '24',
      '--out',
      out,
    );
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.sections).toEqual(['predictions', 'activations', 'attributions', 'embedding', 'extremes']);
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    for (const title of ['Occlusion sensitivity', 'Integrated gradients', 'Grad-CAM'])
      expect(html).toContain(title);
    expect(html).not.toContain('class="skip"');
  });
});
