/**
 * Trust metrics against the raw forward floor: each metric's time on Grad-CAM maps of a small batch,
 * divided by the time of one raw ONNX Runtime forward pass per image (batch 64, same run). The ratio is
 * the metric's cost per image in forward-pass equivalents; beside it stand the model passes per image the
 * metric actually makes, counted in a separate untimed run (deletion with 16 steps: 17; ROAD with 9
 * fractions: 18, its ratio above that is the imputation's sparse solves; randomisation: a model load and
 * one map). Where the ratio far exceeds the passes, the cost is outside ONNX Runtime.
 */
import { relevanceGame } from '../../eval/deletion.js';
import { explainerFunction } from '../../eval/explain-fn.js';
import { faithfulnessCorrelation } from '../../eval/faithfulness-correlation.js';
import { infidelity } from '../../eval/infidelity.js';
import { road } from '../../eval/road.js';
import { modelRandomization, randomLogit, type RandomizationSource } from '../../eval/sanity.js';
import { sensitivity } from '../../eval/sensitivity.js';
import { giniSparseness, mapEntropy } from '../../eval/complexity.js';
import { EXPLAINERS } from '../../explainers/index.js';
import { OnnxModel } from '../../model.js';
import { nodeRuntime } from '../../node/load.js';
import { argmaxRows } from '../../methods/target.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Model } from '../../types.js';
import { countingModel, type PassCounts } from '../counting-model.js';
import type { BenchModel, BenchSuite } from '../context.js';
import { rawForwardFloor } from '../floor.js';
import type { BenchRow } from '../report.js';
import { measure } from '../timing.js';

function isClassifier(m: BenchModel): boolean {
  return m.model.outputs.find((o) => o.name === m.model.outputName)?.shape.length === 2;
}

/** The randomisation source of a model: its graph, re-opened (and counted, when counts are given). */
function randomizable(model: OnnxModel, counts?: PassCounts): RandomizationSource {
  return {
    proto: model.proto,
    open: async (p: ModelProto): Promise<Model> => {
      const opened = await OnnxModel.create(p, nodeRuntime);
      return counts ? countingModel(opened, counts) : opened;
    },
  };
}

/** Per image: forward passes, and VJP items as '+ N f+b' where the metric differentiates. */
function passesPerImage(counts: PassCounts, n: number): string {
  const forward = Number((counts.forward / n).toFixed(1));
  const vjp = Number((counts.vjp / n).toFixed(1));
  return vjp > 0 ? `${forward} + ${vjp} f+b` : `${forward}`;
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
      const samples = 16;
      // Each case runs on a model it is given, so the same case can be counted and timed.
      const cases: { what: string; run: (model: Model, counts?: PassCounts) => Promise<unknown> }[] = [
        {
          what: 'deletion (16 steps, blur)',
          run: (model) => relevanceGame('deletion', model, input, batch, { steps: 16 }),
        },
        {
          what: 'insertion (16 steps, blur)',
          run: (model) => relevanceGame('insertion', model, input, batch, { steps: 16 }),
        },
        { what: 'ROAD (9 fractions x 2 orders)', run: (model) => road(model, input, batch) },
        {
          what: `faithfulness correlation (${samples} subsets)`,
          run: (model) => faithfulnessCorrelation(model, input, batch, { numSamples: samples }),
        },
        {
          what: `infidelity (${samples} perturbations)`,
          run: (model) => infidelity(model, input, batch, { numSamples: samples }),
        },
        {
          what: 'sensitivity (8 noisy Grad-CAMs)',
          run: (model) => sensitivity(model, input, batch, explain, { numSamples: 8 }),
        },
        {
          what: 'randomisation (full cascade, 1 model)',
          run: (_model, counts) =>
            modelRandomization(randomizable(m.model, counts), input, batch, explain, { checkpoints: 1 }),
        },
        { what: 'random logit (1 Grad-CAM)', run: (model) => randomLogit(model, input, batch, explain) },
        {
          what: 'complexity (Gini, entropy)',
          run: async () => [giniSparseness(batch.maps), mapEntropy(batch.maps)],
        },
      ];
      for (const c of cases) {
        const counts: PassCounts = { forward: 0, vjp: 0 };
        await c.run(countingModel(m.model, counts), counts);
        const timing = await measure(() => c.run(m.model), repeats, 1);
        const perImage = timing.medianMs / n;
        rows.push({
          suite: 'evaluate',
          model: m.name,
          what: c.what,
          batch: n,
          perItemMs: perImage,
          ratio: perImage / floor.perItemMs,
          passes: passesPerImage(counts, n),
          floor: 'raw ORT forward per image (batch 64)',
        });
      }
    }
    return rows;
  },
};
