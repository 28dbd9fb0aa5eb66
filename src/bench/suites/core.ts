/** The floor (raw ORT batch forward) per model, and predict / activations overhead over it. */
import { rawForwardFloor } from '../floor.js';
import { measure } from '../timing.js';
import type { BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';

export const coreSuite: BenchSuite = {
  name: 'core',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const m of ctx.imageModels) {
      const batch = m.name.startsWith('mobilenet') ? 8 : 32;
      const input = ctx.batchFor(m.model, batch);
      const floor = await rawForwardFloor(m.bytes, m.model.inputName, input, ctx.repeats);
      rows.push({
        suite: 'core',
        model: m.name,
        what: 'raw ORT forward (floor)',
        batch,
        perItemMs: floor.perItemMs,
        ratio: 1,
        floor: 'floor',
      });
      const predict = await measure(() => m.model.predict(input, { miniBatchSize: batch }), ctx.repeats, 2);
      rows.push({
        suite: 'core',
        model: m.name,
        what: 'predict',
        batch,
        perItemMs: predict.medianMs / batch,
        ratio: predict.medianMs / floor.batchMs,
        floor: 'floor',
      });
      const layer = await m.model.featureLayer();
      const acts = await measure(
        () => m.model.activations(input, [layer], { miniBatchSize: batch }),
        ctx.repeats,
        2,
      );
      rows.push({
        suite: 'core',
        model: m.name,
        what: `activations(${layer})`,
        batch,
        perItemMs: acts.medianMs / batch,
        ratio: acts.medianMs / floor.batchMs,
        floor: 'floor',
      });
    }
    return rows;
  },
};
