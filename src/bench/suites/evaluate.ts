/**
 * Trust metrics against the raw forward floor: each metric's time on Grad-CAM maps of a small batch,
 * divided by the time of one raw ONNX Runtime forward pass per image (batch 64, same run). The ratio is
 * the metric's cost per image in forward-pass equivalents; the ideal is its pass count (deletion with 16
 * steps: 17; ROAD with 9 fractions: 18 plus the imputation; randomisation: a model load and one map).
 */
import { relevanceGame } from '../../eval/deletion.js';
import { explainerFunction } from '../../eval/explain-fn.js';
import { faithfulnessCorrelation } from '../../eval/faithfulness-correlation.js';
import { infidelity } from '../../eval/infidelity.js';
import { road } from '../../eval/road.js';
import { modelRandomization, randomLogit } from '../../eval/sanity.js';
import { sensitivity } from '../../eval/sensitivity.js';
import { giniSparseness, mapEntropy } from '../../eval/complexity.js';
import { EXPLAINERS } from '../../explainers/index.js';
import { OnnxModel } from '../../model.js';
import { nodeRuntime } from '../../node/load.js';
import { argmaxRows } from '../../methods/target.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { BenchModel, BenchSuite } from '../context.js';
import { rawForwardFloor } from '../floor.js';
import type { BenchRow } from '../report.js';
import { measure } from '../timing.js';

function isClassifier(m: BenchModel): boolean {
  return m.model.outputs.find((o) => o.name === m.model.outputName)?.shape.length === 2;
}

export const evaluateSuite: BenchSuite = {
  name: 'evaluate',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const repeats = Math.min(ctx.repeats, 3);
    const gradcam = EXPLAINERS.find((e) => e.id === 'gradcam')!;
    const explain = explainerFunction(gradcam);
    for (const m of ctx.imageModels.filter(isClassifier)) {
      const n = ctx.quick || m.name.startsWith('mobilenet') ? 4 : 8;
      const input = ctx.batchFor(m.model, n);
      const classes = argmaxRows((await m.model.predict(input)).scores);
      const batch = { maps: await explain(m.model, input, classes), classes };
      const floor = await rawForwardFloor(m.bytes, m.model.inputName, ctx.batchFor(m.model, 64), ctx.repeats);
      const source = { proto: m.model.proto, open: (p: ModelProto) => OnnxModel.create(p, nodeRuntime) };
      const samples = 16;
      const cases: { what: string; run: () => Promise<unknown> }[] = [
        {
          what: 'deletion (16 steps, blur)',
          run: () => relevanceGame('deletion', m.model, input, batch, { steps: 16 }),
        },
        {
          what: 'insertion (16 steps, blur)',
          run: () => relevanceGame('insertion', m.model, input, batch, { steps: 16 }),
        },
        { what: 'ROAD (9 fractions x 2 orders)', run: () => road(m.model, input, batch) },
        {
          what: `faithfulness correlation (${samples} subsets)`,
          run: () => faithfulnessCorrelation(m.model, input, batch, { numSamples: samples }),
        },
        {
          what: `infidelity (${samples} perturbations)`,
          run: () => infidelity(m.model, input, batch, { numSamples: samples }),
        },
        {
          what: 'sensitivity (8 noisy Grad-CAMs)',
          run: () => sensitivity(m.model, input, batch, explain, { numSamples: 8 }),
        },
        {
          what: 'randomisation (full cascade, 1 model)',
          run: () => modelRandomization(source, input, batch, explain, { checkpoints: 1 }),
        },
        { what: 'random logit (1 Grad-CAM)', run: () => randomLogit(m.model, input, batch, explain) },
        {
          what: 'complexity (Gini, entropy)',
          run: async () => [giniSparseness(batch.maps), mapEntropy(batch.maps)],
        },
      ];
      for (const c of cases) {
        const timing = await measure(c.run, repeats, 1);
        const perImage = timing.medianMs / n;
        rows.push({
          suite: 'evaluate',
          model: m.name,
          what: c.what,
          batch: n,
          perItemMs: perImage,
          ratio: perImage / floor.perItemMs,
          floor: 'raw ORT forward per image (batch 64)',
        });
      }
    }
    return rows;
  },
};
