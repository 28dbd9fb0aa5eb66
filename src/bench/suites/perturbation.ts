/**
 * Occlusion sensitivity and image LIME against their floor: the same number of forward passes run as raw
 * ONNX Runtime batch calls of the methods' mini-batch size on a pre-built batch. Method and floor are
 * timed alternately in the same run, so load drifts on a shared machine hit both alike. A ratio of 1
 * means building the perturbed inputs and fitting the surrogate cost nothing beyond the passes.
 */
import * as ort from 'onnxruntime-node';
import { imageLime, type ImageLimeOptions } from '../../methods/lime/image-lime.js';
import { imageShap } from '../../methods/shapley/image-shap.js';
import { autoStride, occlusionSensitivity, type OcclusionOptions } from '../../methods/occlusion.js';
import type { TensorData } from '../../types.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../node/load.js';
import { repoRoot, type BenchModel, type BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';
import { median } from '../timing.js';

const MINI_BATCH = 128;

/** Classification models only: the methods explain one class score per image. */
function isClassifier(m: BenchModel): boolean {
  return m.model.outputs.find((o) => o.name === m.model.outputName)?.shape.length === 2;
}

/** `passes` forward passes as raw runs of up to `full.dims[0]` items; returns ms. */
async function rawPasses(session: ort.InferenceSession, inputName: string, full: TensorData, passes: number) {
  const batch = full.dims[0];
  const size = full.data.length / batch;
  const start = performance.now();
  for (let done = 0; done < passes; done += batch) {
    const count = Math.min(batch, passes - done);
    const data = count === batch ? full.data : full.data.subarray(0, count * size);
    await session.run({ [inputName]: new ort.Tensor('float32', data, [count, ...full.dims.slice(1)]) });
  }
  return performance.now() - start;
}

export const perturbationSuite: BenchSuite = {
  name: 'perturbation',
  async run(ctx) {
    const rows: BenchRow[] = [];
    // Each repeat runs the method and its floor; LIME on a 224 x 224 network is thousands of passes.
    const repeats = Math.min(ctx.repeats, 3);
    // The peer suite's graph (torchvision's MobileNetV2, where exported): occlusion only, with the peer's masks too.
    const peerFile = path.join(repoRoot(), 'bench', 'models', 'mobilenet-v2-torchvision.onnx');
    const peerGraph: (BenchModel & { occlusionOnly: true })[] = [];
    if (!ctx.quick && existsSync(peerFile)) {
      const bytes = new Uint8Array(await readFile(peerFile));
      const model = await loadModel(bytes, { source: peerFile });
      peerGraph.push({ name: 'mobilenet-v2-torchvision', bytes, model, occlusionOnly: true });
    }
    const models: (BenchModel & { occlusionOnly?: true })[] = [
      ...ctx.imageModels.filter(isClassifier),
      ...peerGraph,
    ];
    for (const m of models) {
      const session = await ort.InferenceSession.create(m.bytes, {
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      const full = ctx.batchFor(m.model, MINI_BATCH);
      const image = ctx.batchFor(m.model, 1);
      const spec = m.model.inputSpec;
      const halfStride: [number, number] = spec
        ? [Math.ceil(autoStride(spec.height) / 2), Math.ceil(autoStride(spec.width) / 2)]
        : [2, 2];
      const numSamples = ctx.quick ? 256 : 2048;
      const numSubsets = ctx.quick ? 256 : 1024;
      const lime = (extra: ImageLimeOptions) => async () =>
        (await imageLime(m.model, image, { miniBatchSize: MINI_BATCH, numSamples, ...extra })).forwardPasses;
      // The path occlusion took (incremental or full passes), for the row's note.
      let inferencePath = '';
      const occlusion = (extra: OcclusionOptions) => async () => {
        const result = await occlusionSensitivity(m.model, image, { miniBatchSize: MINI_BATCH, ...extra });
        inferencePath =
          result.inference.path === 'incremental'
            ? `incremental to '${result.inference.layers?.at(-1)}'`
            : 'full passes';
        return result.forwardPasses;
      };
      const cases: { what: string; run: () => Promise<number> }[] = [
        {
          what: 'occlusion (auto mask/stride)',
          run: occlusion({}),
        },
        {
          // The same masks as full passes, for the incremental path's gain in the same run.
          what: 'occlusion (auto mask/stride), full passes',
          run: occlusion({ inference: 'full' }),
        },
        {
          // About 4x the passes of the defaults, at any input size.
          what: 'occlusion (auto mask, half stride)',
          run: occlusion({ stride: halfStride }),
        },
        { what: `imageLIME superpixels linear (${numSamples} samples)`, run: lime({ model: 'linear' }) },
        {
          what: `imageLIME grid tree (${numSamples} samples)`,
          run: lime({ segmentation: 'grid', model: 'tree' }),
        },
        {
          what: `Kernel SHAP superpixels (${numSubsets} coalitions)`,
          run: async () =>
            (await imageShap(m.model, image, { miniBatchSize: MINI_BATCH, maxNumSubsets: numSubsets }))
              .forwardPasses,
        },
      ];
      if (m.occlusionOnly) {
        cases.splice(
          0,
          cases.length,
          ...cases.filter((c) => c.what.startsWith('occlusion')),
          {
            what: 'occlusion (45x45, stride 22: 81 masks, as the peer suite)',
            run: occlusion({ maskSize: 45, stride: 22, maskClipping: 'off', maskValue: 0 }),
          },
          {
            what: 'occlusion (45x45, stride 22: 81 masks, as the peer suite), full passes',
            run: occlusion({
              maskSize: 45,
              stride: 22,
              maskClipping: 'off',
              maskValue: 0,
              inference: 'full',
            }),
          },
        );
      }
      for (const c of cases) {
        inferencePath = '';
        const passes = await c.run(); // warm-up, and the pass count for the floor
        await rawPasses(session, m.model.inputName, full, passes);
        const methodMs: number[] = [];
        const floorMs: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const start = performance.now();
          await c.run();
          methodMs.push(performance.now() - start);
          floorMs.push(await rawPasses(session, m.model.inputName, full, passes));
        }
        rows.push({
          suite: 'perturbation',
          model: m.name,
          what: c.what,
          batch: MINI_BATCH,
          perItemMs: median(methodMs) / passes,
          ratio: median(methodMs) / median(floorMs),
          floor: `raw ORT x ${passes} passes`,
          ...(inferencePath ? { note: inferencePath } : {}),
        });
      }
      await session.release();
    }
    for (const m of peerGraph) await m.model.dispose();
    return rows;
  },
};
