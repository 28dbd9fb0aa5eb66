/** The metric card under each map of `netlens report`: the map's deletion / insertion AUC and the sanity verdict. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, sampleImagePaths } from '../../src/data/samples.js';
import { relevanceGame } from '../../src/eval/deletion.js';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { formatNumber } from '../../src/report/html.js';
import { loadModel } from '../../src/node/load.js';
import { cli } from '../helpers/cli.js';

describe('report metric cards', () => {
  it('show the deletion and insertion AUC of each Grad-CAM map and the method sanity verdict', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-card-'));
    const modelPath = fixtureModelPath('shapes-cnn');
    const images = sampleImagePaths('shapes-cnn').slice(0, 2);
    const run = await cli('report', modelPath, ...images, '--sections', 'gradcam', '--out', dir);
    expect(run.code).toBe(0);
    const html = await readFile(path.join(dir, 'index.html'), 'utf8');
    const cards = [...html.matchAll(/<div class="card">([^<]*)<\/div>/g)].map((m) => m[1]);
    expect(cards).toHaveLength(2);
    // The same numbers straight from the library.
    const model = await loadModel(modelPath);
    try {
      const { input } = await loadImagesForModel(images, model.inputSpec!);
      const gradcam = EXPLAINERS.find((e) => e.id === 'gradcam')!;
      const maps = await gradcam.run(model, input, {});
      const batch = { maps: maps.maps, classes: maps.classes as number[] };
      const del = await relevanceGame('deletion', model, input, batch, { steps: 16 });
      const ins = await relevanceGame('insertion', model, input, batch, { steps: 16 });
      for (let i = 0; i < 2; i++) {
        expect(cards[i]).toContain(`deletion ${formatNumber(del.auc[i])}`);
        expect(cards[i]).toContain(`insertion ${formatNumber(ins.auc[i])}`);
        expect(cards[i]).toMatch(
          /method sanity (passes|fails) \(ρ -?[0-9.]+ with maps of the randomised model, 2 images\)/,
        );
      }
      // Grad-CAM depends on the learned weights.
      expect(cards[0]).toContain('method sanity passes');
    } finally {
      await model.dispose();
    }
    const plain = await cli(
      'report',
      modelPath,
      ...images,
      '--sections',
      'gradcam',
      '--out',
      dir,
      '--no-metric-cards',
    );
    expect(plain.code).toBe(0);
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).not.toContain('class="card"');
  });
});
