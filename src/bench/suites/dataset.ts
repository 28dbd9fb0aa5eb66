/**
 * Dataset passes against the floor (raw ORT batch forward for the same number of items): streaming a data set
 * through the model and keeping one row per item (channel means, or the whole layer) should cost little beyond
 * the forward passes. (Projections of data sets are measured by the projection suite.)
 */
import { datasetActivations } from '../../methods/dataset/activations.js';
import { sampleSetSource } from '../../methods/dataset/node-sources.js';
import { batchSource, type DatasetSource } from '../../methods/dataset/source.js';
import type { DatasetReduction } from '../../methods/dataset/layer-layout.js';
import type { BenchModel, BenchSuite } from '../context.js';
import { rawForwardFloor } from '../floor.js';
import type { BenchRow } from '../report.js';
import { measure } from '../timing.js';

const MINI_BATCH = 128;

function itemsFor(m: BenchModel, quick: boolean): number {
  if (m.name.startsWith('mobilenet')) return quick ? 16 : 64;
  return quick ? 256 : 1024;
}

export const datasetSuite: BenchSuite = {
  name: 'dataset',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const m of ctx.imageModels) {
      const items = itemsFor(m, ctx.quick);
      const batch = Math.min(items, MINI_BATCH);
      const floor = await rawForwardFloor(
        m.bytes,
        m.model.inputName,
        ctx.batchFor(m.model, batch),
        ctx.repeats,
      );
      const layer = await m.model.featureLayer();
      const sources: { what: string; source: DatasetSource }[] = [
        { what: 'in-memory batch', source: batchSource(ctx.batchFor(m.model, items)) },
      ];
      if (m.name === 'fashion-cnn') {
        sources.push({
          what: 'sample set (uint8 → normalised)',
          source: sampleSetSource('fashion-cnn', m.model.inputSpec, { limit: items }),
        });
      }
      for (const { what, source } of sources) {
        for (const reduction of ['mean', 'flatten'] as DatasetReduction[]) {
          const run = () => datasetActivations(m.model, source, { layer, reduction, miniBatchSize: batch });
          const timing = await measure(run, Math.min(ctx.repeats, 3), 1);
          rows.push({
            suite: 'dataset',
            model: m.name,
            what: `dataset activations ${reduction} (${what}, ${items} items)`,
            batch,
            perItemMs: timing.medianMs / items,
            ratio: timing.medianMs / (items * floor.perItemMs),
            floor: `floor x ${items} items`,
          });
        }
      }
    }
    return rows;
  },
};
