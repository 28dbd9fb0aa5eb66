/**
 * Table models at the command line: lime / shapley / kernel-shap / report over a CSV, choosing by the model's
 * input kind, and one-line typed errors with a non-zero exit and no output file for every kind of bad input.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const WINE = 'fixtures/tabular-mlp-wine';
const MODEL = `${WINE}/model.onnx`;
const DATA = `${WINE}/samples/samples.csv`;
const dir = mkdtempSync(path.join(tmpdir(), 'netlens-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const csvText = readFileSync(DATA, 'utf8');
const [header, ...lines] = csvText.trim().split('\n');

function writeCsv(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('table commands', () => {
  it('lime --query 7 prints the simple model; the same seed gives the same JSON, another seed other numbers', async () => {
    const text = await cli('lime', MODEL, DATA, '--query', '7', '--num-synthetic-data', '800');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^row 7: model (class_\d), simple linear model (not )?class_\d \(agreement [\d.]+%\)/,
    );
    const seeded = (seed: string) =>
      cli('--json', 'lime', MODEL, DATA, '--query', '7', '--num-synthetic-data', '800', '--seed', seed);
    const a = await seeded('5');
    const b = await seeded('5');
    const c = await seeded('6');
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    const json = JSON.parse(a.stdout) as {
      method: string;
      explanations: {
        query: string;
        coefficients: number[];
        importantPredictors: string[];
        task: string;
        blackboxFitted: string;
      }[];
    };
    expect(json.method).toBe('lime');
    expect(json.explanations[0].query).toBe('row 7');
    expect(json.explanations[0].importantPredictors.length).toBe(10);
    // A classifier gets a classification simple model: classes, not scores, at the query point.
    expect(json.explanations[0].task).toBe('classification');
    expect(json.explanations[0].blackboxFitted).toMatch(/^class_\d$/);
  });

  it('shapley --query 7 (and --method conditional) reports additivity; columns may come in any order', async () => {
    const cells = [header, ...lines].map((l) => l.split(','));
    const reordered = writeCsv('reordered.csv', cells.map((c) => [...c].reverse().join(',')).join('\n'));
    for (const [file, method] of [
      [DATA, 'interventional'],
      [reordered, 'conditional'],
    ] as const) {
      const r = await cli('--json', 'shapley', MODEL, file, '--query', '7', '--method', method);
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as {
        valueFunction: string;
        evaluation?: string;
        graphPath?: string;
        outputs: string[];
        baseValue: number[];
        explanations: { prediction: number[]; shapleyValues: number[]; additivityError: number }[];
      };
      expect(json.valueFunction).toBe(method);
      // Interventional values come from the coalition graph, which folds the wine model's first Gemm.
      expect([json.evaluation, json.graphPath]).toEqual(
        method === 'interventional' ? ['graph', 'first-layer'] : [undefined, undefined],
      );
      expect(json.outputs).toEqual(['class_0', 'class_1', 'class_2']);
      const e = json.explanations[0];
      for (let o = 0; o < 3; o++) {
        const sum = e.shapleyValues.slice(o * 13, (o + 1) * 13).reduce((s, v) => s + v, 0);
        expect(sum).toBeCloseTo(e.prediction[o] - json.baseValue[o], 5);
      }
    }
    // kernel-shap on a table model is the same interventional computation.
    const a = await cli('--json', 'shapley', MODEL, DATA, '--query', '3');
    const b = await cli('--json', 'kernel-shap', MODEL, DATA, '--query', '3');
    expect(b.stdout).toBe(a.stdout);
  });

  it('many query points write one summary folder; a single plot goes to .png or .svg', async () => {
    const out = path.join(dir, 'summary');
    const r = await cli('shapley', MODEL, DATA, '--query', '0-19', '--max-num-subsets', '128', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^20 query points, interventional Shapley values; mean \|φ\| for class_\d/);
    const files = readdirSync(out).sort();
    expect(files.length).toBe(4);
    expect(files.filter((f) => !f.startsWith('dependence-'))).toEqual([
      'beeswarm.png',
      'mean-abs.png',
      'shapley.json',
    ]);
    expect(files.some((f) => /^dependence-.+\.png$/.test(f))).toBe(true);
    const svg = path.join(dir, 'waterfall.svg');
    expect(
      (await cli('shapley', MODEL, DATA, '--query', '2', '--plot', 'waterfall', '--out', svg)).code,
    ).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    const png = path.join(dir, 'lime.png');
    expect(
      (await cli('lime', MODEL, DATA, '--query', '2', '--num-synthetic-data', '500', '--out', png)).code,
    ).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it('query points from a second CSV, background from the bundled samples', async () => {
    const queries = writeCsv('queries.csv', [header, lines[4], lines[9]].join('\n'));
    const r = await cli(
      '--json',
      'shapley',
      MODEL,
      DATA,
      '--query-csv',
      queries,
      '--background-samples',
      'tabular-mlp-wine',
      '--max-num-subsets',
      '64',
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { explanations: { query: string }[]; backgroundRows: number };
    expect(json.explanations.map((e) => e.query)).toEqual(['queries.csv row 0', 'queries.csv row 1']);
    expect(json.backgroundRows).toBe(53);
  });

  it('report on a table model writes one page with the table sections', async () => {
    const out = path.join(dir, 'report');
    const r = await cli('report', MODEL, DATA, '--out', out, '--limit', '12');
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const id of ['predictions', 'lime', 'shapley', 'shapley-summary'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('12 rows of samples.csv');
  });

  it('predict prints the scores of CSV rows', async () => {
    const r = await cli('predict', MODEL, DATA, '--query', '0,20', '--top', '2');
    expect(r.code).toBe(0);
    const printed = r.stdout.trim().split('\n');
    expect(printed.length).toBe(2);
    expect(printed[0]).toMatch(/^row 0: class_\d [\d.]+%, class_\d [\d.]+%$/);
  });

  it('the image commands keep working, and shapley says why it does not take images', async () => {
    const image = 'fixtures/shapes-cnn/samples/images/0001-square.png';
    expect((await cli('lime', 'fixtures/shapes-cnn/model.onnx', image, '--num-samples', '32')).code).toBe(0);
    const r = await cli('shapley', 'fixtures/shapes-cnn/model.onnx', image);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual([expect.stringMatching(/takes images: use kernel-shap \[UNSUPPORTED_MODEL\]$/)]);
  });
});

describe('table bad input: one line, typed, non-zero exit, no output file', () => {
  const bad: [string, () => string, string[], RegExp][] = [
    [
      'a missing column',
      () => writeCsv('missing.csv', csvText.replace('proline,', 'x,')),
      [],
      /missing\.csv has no column for feature 'proline' \[INVALID_INPUT\]$/,
    ],
    [
      'a misnamed column',
      () => writeCsv('misnamed.csv', csvText.replace('malic_acid', 'malic-acid')),
      [],
      /feature 'malic_acid' \(found 'malic-acid'\)/,
    ],
    [
      'an extra field in a row',
      () => writeCsv('extra.csv', [header, `${lines[0]},7`, ...lines.slice(1)].join('\n')),
      [],
      /extra\.csv: .*\[INVALID_INPUT\]/,
    ],
    [
      'a non-numeric cell',
      () => writeCsv('text.csv', [header, lines[0].replace(/^[^,]+/, 'abc'), ...lines.slice(1)].join('\n')),
      [],
      /line 2 column 'alcohol' is not a number: 'abc' \[INVALID_INPUT\]/,
    ],
    [
      'NaN',
      () => writeCsv('nan.csv', [header, lines[0], lines[1].replace(/^[^,]+/, 'NaN')].join('\n')),
      [],
      /line 3 column 'alcohol' is NaN/,
    ],
    ['an empty CSV', () => writeCsv('empty.csv', ''), [], /empty\.csv is empty/],
    [
      'a query row out of range',
      () => DATA,
      ['--query', '53'],
      /row 53 is out of range: the table has rows 0\.\.52 \[INVALID_INPUT\]/,
    ],
    [
      'an unknown categorical level',
      () => writeCsv('level.csv', [header, lines[0].replace(/^[^,]+/, 'high'), ...lines.slice(1)].join('\n')),
      ['--categorical', 'alcohol'],
      /column 'alcohol': categorical value 'high' is not a level code/,
    ],
    [
      'an unknown feature for --categorical',
      () => DATA,
      ['--categorical', 'colour'],
      /unknown feature 'colour'/,
    ],
    ['a malformed --query', () => DATA, ['--query', 'seven'], /--query must list row numbers/],
  ];
  for (const [what, file, extra, message] of bad) {
    it(what, async () => {
      for (const command of ['lime', 'shapley']) {
        const out = path.join(dir, `out-${command}-${what.replace(/\W+/g, '-')}.png`);
        const r = await cli(command, MODEL, file(), '--query', '1', ...extra, '--out', out);
        expect(r.code).toBe(1);
        expect(r.stderr.length).toBe(1);
        expect(r.stderr[0]).toMatch(message);
        expect(existsSync(out)).toBe(false);
      }
    });
  }
});
