/**
 * Gradient methods against the VJP floor: the time of one vector–Jacobian product of the class score with
 * respect to the input, per image, at the same batch, measured in the same run. Grad-CAM should cost about
 * one such VJP (plus one forward); integrated gradients with n steps about n; Score-CAM and Ablation-CAM are
 * forward passes (C per image) and are also given against the raw forward floor.
 */
import { encodeModel } from '../../onnx/proto.js';
import { loadModel } from '../../node/load.js';
import { convertNsfwjsModel } from '../../tfjs/nsfwjs.js';
import {
  integratedGradients,
  noiseTunnel,
  saliency,
  guidedBackprop,
  guidedGradCam,
  inputXGradient,
} from '../../methods/attribution/index.js';
import { CAM_VARIANTS, runCam, type CamMethodName } from '../../methods/cam/index.js';
import { deepDream } from '../../methods/dream/index.js';
import { argmaxRows } from '../../methods/target.js';
import type { TensorData } from '../../types.js';
import type { BenchContext, BenchModel, BenchSuite } from '../context.js';
import { rawForwardFloor } from '../floor.js';
import type { BenchRow } from '../report.js';
import { measure } from '../timing.js';

function isClassifier(m: BenchModel): boolean {
  return m.model.outputs.find((o) => o.name === m.model.outputName)?.shape.length === 2;
}

/** The converted nsfwjs MobileNetV2, unless the context already has it. */
async function mobileNet(ctx: BenchContext): Promise<BenchModel | undefined> {
  if (ctx.quick || ctx.imageModels.some((m) => m.name.startsWith('mobilenet'))) return undefined;
  const bytes = encodeModel(await convertNsfwjsModel('MobileNetV2'));
  return { name: 'mobilenet-v2', bytes, model: await loadModel(bytes, { source: 'mobilenet-v2' }) };
}

interface Case {
  what: string;
  /** Images the run explains. */
  images: number;
  run: () => Promise<unknown>;
  /** What an ideal implementation costs, in VJPs per image. */
  ideal: string;
  /** Forward passes per image, for the methods whose cost is forward passes. */
  forwardPasses?: number;
}

async function modelRows(ctx: BenchContext, m: BenchModel): Promise<BenchRow[]> {
  const big = m.name.startsWith('mobilenet');
  const batch = ctx.quick ? 4 : big ? 8 : 16;
  const repeats = Math.min(ctx.repeats, big ? 3 : 5);
  const input = ctx.batchFor(m.model, batch);
  const one: TensorData = {
    data: input.data.slice(0, input.data.length / batch),
    dims: [1, ...input.dims.slice(1)],
  };
  const reduction = await m.model.reductionLayer();
  const scores = (await m.model.run(input, [reduction]))[reduction];
  const target = argmaxRows(scores);
  const classes = scores.dims[1];
  const seed = new Float32Array(batch * classes);
  target.forEach((c, i) => (seed[i * classes + c] = 1));
  const vjp = await m.model.vjp({ output: reduction, wrt: [m.model.inputName] });
  const unit = await measure(
    () => vjp(input, { data: seed, dims: [batch, classes] }, { miniBatchSize: batch }),
    repeats,
    1,
  );
  const vjpPerImage = unit.medianMs / batch;
  const floor = await rawForwardFloor(m.bytes, m.model.inputName, input, repeats);
  const layer = await m.model.featureLayer();
  const channels = (await m.model.checkLayer(layer)).shape[1];
  const steps = ctx.quick ? 8 : 32;
  const samples = ctx.quick ? 4 : 10;

  const cases: Case[] = [];
  const camNames: CamMethodName[] = [
    'gradcam',
    'hirescam',
    'gradcam++',
    'xgradcam',
    'layercam',
    'eigengradcam',
    'eigencam',
  ];
  try {
    await m.model.linearHead?.(layer);
    camNames.unshift('cam');
  } catch {
    // Not a GAP + linear network: CAM does not apply.
  }
  for (const name of camNames) {
    cases.push({
      what: CAM_VARIANTS[name].title,
      images: batch,
      run: () => runCam(CAM_VARIANTS[name], m.model, input, { target, miniBatchSize: batch }),
      ideal: CAM_VARIANTS[name].needsGradients ? '1 VJP + 1 fwd' : '1 fwd',
    });
  }
  // Gradient-free CAMs: C passes per image; on MobileNetV2 Score-CAM (1280 full passes) runs on one image.
  cases.push({
    what: 'Ablation-CAM',
    images: batch,
    run: () => runCam(CAM_VARIANTS.ablationcam, m.model, input, { target, miniBatchSize: 128 }),
    ideal: `${channels} tail passes`,
  });
  if (!ctx.quick) {
    cases.push({
      what: 'Score-CAM',
      images: big ? 1 : batch,
      run: () =>
        runCam(CAM_VARIANTS.scorecam, m.model, big ? one : input, {
          target: big ? target[0] : target,
          miniBatchSize: big ? 32 : 128,
        }),
      ideal: `${channels} fwd`,
      forwardPasses: channels + 1,
    });
  }
  const attribution = [
    ['saliency', saliency],
    ['input × gradient', inputXGradient],
    ['guided backprop', guidedBackprop],
  ] as const;
  for (const [what, fn] of attribution) {
    cases.push({
      what,
      images: batch,
      run: () => fn(m.model, input, { target, miniBatchSize: batch }),
      ideal: '1 VJP + 1 fwd',
    });
  }
  cases.push({
    what: 'guided Grad-CAM',
    images: batch,
    run: () => guidedGradCam(m.model, input, { target, miniBatchSize: batch }),
    ideal: '2 VJP + 2 fwd',
  });
  cases.push({
    what: `integrated gradients (${steps} steps)`,
    images: big ? 1 : batch,
    run: () =>
      integratedGradients(m.model, big ? one : input, {
        target: big ? target[0] : target,
        numSteps: steps,
        miniBatchSize: batch,
      }),
    ideal: `${steps} VJP`,
  });
  cases.push({
    what: `integrated gradients (from ${steps} steps, tolerance 1 %)`,
    images: big ? 1 : batch,
    run: () =>
      integratedGradients(m.model, big ? one : input, {
        target: big ? target[0] : target,
        numSteps: steps,
        tolerance: 0.01,
        miniBatchSize: batch,
      }),
    ideal: `${steps} VJP or more where the path needs it`,
  });
  cases.push({
    what: `SmoothGrad (${samples} samples)`,
    images: big ? 1 : batch,
    run: () =>
      noiseTunnel(saliency, m.model, big ? one : input, {
        target: big ? target[0] : target,
        numSamples: samples,
        miniBatchSize: batch,
      }),
    ideal: `${samples} VJP`,
  });
  const dreamIterations = ctx.quick ? 2 : 10;
  cases.push({
    what: `deepDream (3 octaves x ${dreamIterations} steps, 4 channels)`,
    images: 4,
    run: () => deepDream(m.model, layer, [0, 1, 2, 3], { numIterations: dreamIterations, seed: 0 }),
    ideal: `${3 * dreamIterations} VJP`,
  });

  const rows: BenchRow[] = [
    {
      suite: 'gradient',
      model: m.name,
      what: 'VJP of the class score wrt the input (unit)',
      batch,
      perItemMs: vjpPerImage,
      ratio: 1,
      floor: 'VJP',
      note: `raw ORT forward ${floor.perItemMs.toFixed(2)} ms/image`,
    },
  ];
  for (const c of cases) {
    const timing = await measure(c.run, c.images === 1 || big ? 1 : repeats, 1);
    const perImage = timing.medianMs / c.images;
    rows.push({
      suite: 'gradient',
      model: m.name,
      what: c.what,
      batch: c.images,
      perItemMs: perImage,
      ratio: perImage / vjpPerImage,
      floor: 'VJP',
      note:
        `ideal ${c.ideal}` +
        (c.forwardPasses
          ? `; ${(perImage / (c.forwardPasses * floor.perItemMs)).toFixed(2)}x the raw forward floor`
          : ''),
    });
  }
  return rows;
}

export const gradientSuite: BenchSuite = {
  name: 'gradient',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const extra = await mobileNet(ctx);
    const models = [...ctx.imageModels.filter(isClassifier), ...(extra ? [extra] : [])];
    try {
      for (const m of models) rows.push(...(await modelRows(ctx, m)));
    } finally {
      await extra?.model.dispose();
    }
    return rows;
  },
};
