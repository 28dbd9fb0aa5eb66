/**
 * Occlusion sensitivity and image LIME against the floor for the same number of forward passes (raw ORT
 * batch forward at the methods' mini-batch size): a ratio of 1 means building the perturbed inputs and
 * fitting the surrogate cost nothing beyond the passes.
 */
import { imageLime, type ImageLimeOptions } from '../../methods/lime/image-lime.js';
import { occlusionSensitivity } from '../../methods/occlusion.js';
import type { BenchModel, BenchSuite } from '../context.js';
import { rawForwardFloor } from '../floor.js';
import type { BenchRow } from '../report.js';
import { measure } from '../timing.js';

const MINI_BATCH = 128;

/** Classification models only: the methods explain one class score per image. */
function isClassifier(m: BenchModel): boolean {
  return m.model.outputs.find((o) => o.name === m.model.outputName)?.shape.length === 2;
}

export const perturbationSuite: BenchSuite = {
  name: 'perturbation',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const m of ctx.imageModels.filter(isClassifier)) {
      const floorBatch = ctx.quick ? 32 : MINI_BATCH;
      const floor = await rawForwardFloor(
        m.bytes,
        m.model.inputName,
        ctx.batchFor(m.model, floorBatch),
        ctx.repeats,
      );
      const image = ctx.batchFor(m.model, 1);
      const numSamples = ctx.quick ? 256 : 2048;
      const lime = (extra: ImageLimeOptions) => async () =>
        (await imageLime(m.model, image, { miniBatchSize: MINI_BATCH, numSamples, ...extra })).forwardPasses;
      const cases: { what: string; run: () => Promise<number> }[] = [
        {
          what: 'occlusion (auto mask/stride)',
          run: async () =>
            (await occlusionSensitivity(m.model, image, { miniBatchSize: MINI_BATCH })).forwardPasses,
        },
        { what: `imageLIME superpixels linear (${numSamples} samples)`, run: lime({}) },
        {
          what: `imageLIME grid tree (${numSamples} samples)`,
          run: lime({ segmentation: 'grid', model: 'tree' }),
        },
      ];
      for (const c of cases) {
        const passes = await c.run();
        const timing = await measure(c.run, Math.min(ctx.repeats, 3), 0);
        rows.push({
          suite: 'perturbation',
          model: m.name,
          what: c.what,
          batch: MINI_BATCH,
          perItemMs: timing.medianMs / passes,
          ratio: timing.medianMs / (passes * floor.perItemMs),
          floor: `floor x ${passes} passes`,
        });
      }
    }
    return rows;
  },
};
