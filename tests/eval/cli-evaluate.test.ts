/** `netlens evaluate`: the page and the JSON table, and one-line typed errors for bad input. */
import { mkdtemp, mkdir, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath } from '../../src/data/samples.js';
import { cli } from '../helpers/cli.js';

const shapes = fixtureModelPath('shapes-cnn');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-evaluate-'));
});

describe('netlens evaluate', () => {
  it('writes one page with the table, ranking and curves, and prints the same numbers as JSON', async () => {
    const out = path.join(dir, 'eval.html');
    const args = [
      'evaluate',
      shapes,
      '--samples',
      'shapes-cnn',
      '--limit',
      '3',
      '--methods',
      'gradcam,saliency',
      '--metrics',
      'deletion,insertion,randomization,localisation,complexity',
      '--steps',
      '8',
      '--max-layers',
      '2',
    ];
    const run = await cli('--json', ...args, '--out', out);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      methods: { method: string; summary: Record<string, { mean: number; low: number; high: number }> }[];
      ranking: { method: string }[];
      columns: { key: string }[];
    };
    expect(json.methods.map((m) => m.method)).toEqual(['gradcam', 'saliency']);
    expect(json.columns.map((c) => c.key)).toContain('relevance-mass');
    expect(json.ranking.map((r) => r.method).sort()).toEqual(['gradcam', 'saliency']);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('Deletion AUC');
    expect(html).toContain('Cascading randomisation');
    expect(html.match(/<svg/g)?.length).toBe(3);
    const mean = json.methods[0].summary.deletion.mean;
    expect(html).toContain(mean.toFixed(4));
    // Same seed, same numbers; the text table names every column.
    const again = await cli(...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('relevance-rank');
    expect(again.stdout).toContain(`${mean.toFixed(3)}`);
  });

  it('bad input: one line, a stable code, non-zero exit, no page written', async () => {
    const out = path.join(dir, 'never.html');
    const unknown = await cli(
      'evaluate',
      shapes,
      '--samples',
      'shapes-cnn',
      '--methods',
      'gradcan',
      '--out',
      out,
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toHaveLength(1);
    expect(unknown.stderr[0]).toMatch(/unknown method "gradcan": did you mean "gradcam".*\[INVALID_OPTION\]/);
    const images = path.join(path.dirname(shapes), 'samples', 'images');
    const noTruth = await cli(
      'evaluate',
      shapes,
      images,
      '--methods',
      'gradcam',
      '--metrics',
      'localisation',
    );
    expect(noTruth.code).not.toBe(0);
    expect(noTruth.stderr[0]).toMatch(/metric 'localisation' needs ground truth \(object boxes or masks\)/);
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const none = await cli('evaluate', shapes, empty, '--methods', 'gradcam');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toHaveLength(1);
    expect(none.stderr[0]).toMatch(/holds no PNG, JPEG or WebP images/);
    const noArgs = await cli('evaluate', shapes, '--methods', 'gradcam');
    expect(noArgs.stderr[0]).toMatch(/no images to evaluate.*\[INVALID_INPUT\]/);
    expect(noArgs.code).not.toBe(0);
    expect(await readdir(dir)).not.toContain('never.html');
  });
});
