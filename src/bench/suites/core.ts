/**
 * The floor (raw ORT batch forward) per model, and predict / activations overhead over it. Activations are
 * measured at the feature layer and, as the worst case, over layers spread through the network (each request
 * gets a session pruned to what that layer needs, so an early layer costs less than the forward pass; the last
 * ones should cost no more than it).
 */
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
      const layers = await m.model.layers();
      const sampled = spread(
        layers.map((l) => l.name),
        ctx.quick ? 4 : 12,
      );
      let worst = { ratio: 0, layer: '', ms: 0 };
      for (const name of sampled) {
        const t = await measure(
          () => m.model.activations(input, [name], { miniBatchSize: batch }),
          Math.min(ctx.repeats, 5),
          1,
        );
        if (t.medianMs / floor.batchMs > worst.ratio)
          worst = { ratio: t.medianMs / floor.batchMs, layer: name, ms: t.medianMs };
      }
      rows.push({
        suite: 'core',
        model: m.name,
        what: `activations, worst of ${sampled.length} layers (${worst.layer})`,
        batch,
        perItemMs: worst.ms / batch,
        ratio: worst.ratio,
        floor: 'floor',
      });
    }
    return rows;
  },
};

/** Up to `count` names evenly spaced through `names`, the last one included. */
function spread(names: readonly string[], count: number): string[] {
  if (names.length <= count) return [...names];
  const out: string[] = [];
  for (let t = 1; t <= count; t++) out.push(names[Math.round((t * (names.length - 1)) / count)]);
  return [...new Set(out)];
}
