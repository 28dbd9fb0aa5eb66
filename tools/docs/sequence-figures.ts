// Figures and measured numbers of docs/sequence-models.md, from the sequence-lstm and conv1d-sequence fixtures:
// attribution over time against the ground-truth windows (every method), Grad-CAM on 1-D feature maps, t-SNE
// of last-step activations vs raw inputs, activations over time, extremes.
// Run: npx vite-node tools/docs/sequence-figures.ts   (writes docs/img/sequence/*.png, docs/sequence-figures.json)
import { writeFile } from 'node:fs/promises';
import { loadSequenceSamples, type SequenceSampleSet } from '../../src/data/samples.js';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { compareRawAndLayer, comparisonSpec } from '../../src/methods/dataset/embedding.js';
import { extremesFigure } from '../../src/methods/dataset/extremes-figure.js';
import { classExtremes } from '../../src/methods/dataset/extremes.js';
import { sequenceSource } from '../../src/methods/dataset/source.js';
import { sequenceActivations } from '../../src/methods/sequence/activations.js';
import { explainSequences } from '../../src/methods/sequence/explain.js';
import { attributionRows, sequenceFigureSpec } from '../../src/methods/sequence/figure.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { writePng } from '../../src/render/png.js';
import { renderPlotPng } from '../../src/render/plot.js';
import { writeFileAtomic } from '../../src/render/png.js';

const OUT = 'docs/img/sequence';
const SHOWN = 2; // sample drawn in the figures (a plateau, window 49–58)
const TSNE_DRAWN = 'last'; // reduction of the LSTM output drawn beside the raw inputs (MATLAB's last step)

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Deterministic shuffle (LCG) for the shuffled-time control. */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

async function correct(model: OnnxModel, set: SequenceSampleSet, indices: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const i of indices) {
    const scores = (await model.predict({ data: set.sequences[i], dims: [1, set.lengths[i], set.channels] }))
      .scores.data;
    if (argmax(scores) === set.labels[i]) out.push(i);
  }
  return out;
}

async function measure(
  model: OnnxModel,
  set: SequenceSampleSet,
  id: string,
  indices: number[],
  options: Record<string, unknown>,
) {
  const explainer = EXPLAINERS.find((e) => e.id === id)!;
  const items = indices.map((i) => ({ values: set.sequences[i], length: set.lengths[i] }));
  const start = Date.now();
  const results = await explainSequences(model, explainer, items, {
    ...options,
    target: indices.map((i) => set.labels[i]),
  });
  let inside = 0;
  let insideSummed = 0;
  let control = 0;
  let evidence = 0;
  let evidenceMass = 0;
  let totalMass = 0;
  let chance = 0;
  results.forEach((r, k) => {
    const i = indices[k];
    const [, steps, channels] = r.map.dims;
    // The step holding the map's largest |attribution| (the largest over its channels, as saliency takes the
    // largest over an image's channels), and, reported beside it, the step of the largest sum over channels.
    const perStep = new Float64Array(steps);
    const perStepSummed = new Float64Array(steps);
    let ev = 0;
    let total = 0;
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < channels; c++) {
        const v = Math.abs(r.map.data[t * channels + c]);
        perStep[t] = Math.max(perStep[t], v);
        perStepSummed[t] += v;
        total += v;
        if (set.evidenceChannels[set.labels[i]].includes(c)) ev += v;
      }
    }
    const [first, last] = set.windows[i];
    const peak = argmax(perStep);
    if (peak >= first && peak <= last) inside++;
    const summedPeak = argmax(perStepSummed);
    if (summedPeak >= first && summedPeak <= last) insideSummed++;
    const order = shuffled(steps, 7 + i);
    const shuffledPeak = argmax(order.map((t) => perStep[t]));
    if (shuffledPeak >= first && shuffledPeak <= last) control++;
    if (channels > 1 && ev / total > 0.5) evidence++;
    evidenceMass += ev;
    totalMass += total;
    chance += (last - first + 1) / set.lengths[i];
  });
  const n = indices.length;
  const figure = {
    method: id,
    options,
    sequences: n,
    peakInsideWindow: inside / n,
    peakInsideWindowChannelsSummed: insideSummed / n,
    evidenceChannelsMajority: results[0].map.dims[2] > 1 ? evidence / n : null,
    // The evidence channels' share of |attribution| summed over every sequence.
    evidenceChannelsMassShare: results[0].map.dims[2] > 1 ? evidenceMass / totalMass : null,
    shuffledTimeControl: control / n,
    chance: chance / n,
    seconds: (Date.now() - start) / 1000,
  };
  console.log(JSON.stringify(figure));
  return { figure, results };
}

async function main(): Promise<void> {
  const lstm = await loadModel('fixtures/sequence-lstm/model.onnx');
  const set = loadSequenceSamples('sequence-lstm');
  const all = await correct(
    lstm,
    set,
    Array.from({ length: set.count }, (_, i) => i),
  );
  const first80 = all.filter((i) => i < 80);
  // Integrated gradients in the test: sequences of the four most frequent lengths (one VJP graph per length).
  const frequent = [45, 59, 37, 51, 58, 61, 50, 49];
  const ofLengths = (count: number) => all.filter((i) => frequent.slice(0, count).includes(set.lengths[i]));
  const byLength = ofLengths(4);
  const runs: [string, number[], Record<string, unknown>][] = [
    ['occlusion', all, { maskSize: 12, stride: 1, score: 'logit' }],
    ['occlusion', all, { maskSize: 8, stride: 1, score: 'logit' }],
    ['occlusion', all, { maskSize: 4, stride: 1, score: 'logit' }],
    ['occlusion', all, {}],
    ['occlusion', all, { score: 'probability' }],
    ['occlusion', all, { stride: 'auto' }],
    ['kernel-shap', first80, { numFeatures: 16, numSamples: 512 }],
    ['lime', first80, { numFeatures: 16, numSamples: 512 }],
    ['integrated-gradients', byLength, { tolerance: 0.01, numSteps: 16 }],
    ['saliency', byLength, {}],
    ['input-x-gradient', byLength, {}],
    ['smoothgrad', byLength, {}],
    // Every method on every correctly classified sample (one VJP graph per length, ~49).
    ['kernel-shap', all, { numFeatures: 16, numSamples: 512 }],
    ['lime', all, { numFeatures: 16, numSamples: 512 }],
    ['lime', all, { numFeatures: 24, numSamples: 1024 }],
    ['integrated-gradients', all, { tolerance: 0.01, numSteps: 16 }],
    ['saliency', all, {}],
    ['input-x-gradient', all, {}],
    ['smoothgrad', all, {}],
  ];
  const figures = [];
  const drawn = [SHOWN];
  for (const [id, indices, options] of runs) {
    const { figure } = await measure(lstm, set, id, indices, options);
    figures.push(figure);
  }
  // Pictures of one sequence for a few methods.
  const shown = { values: set.sequences[SHOWN], length: set.lengths[SHOWN], channels: 12, name: 'sample 2' };
  for (const [id, options] of [
    ['occlusion', { maskSize: 12, stride: 1, score: 'logit' }],
    ['integrated-gradients', { tolerance: 0.01, numSteps: 16 }],
    ['kernel-shap', { numFeatures: 16, numSamples: 512 }],
    ['saliency', {}],
    ['input-x-gradient', {}],
    ['smoothgrad', {}],
  ] as const) {
    const explainer = EXPLAINERS.find((e) => e.id === id)!;
    const [r] = await explainSequences(lstm, explainer, [shown], { ...options, target: set.labels[SHOWN] });
    const [a, b] = set.windows[SHOWN];
    const title = `${explainer.title}, ${r.descriptions[0]} (pattern in steps ${a}–${b})`;
    const spec = sequenceFigureSpec(
      shown,
      attributionRows(r.map, shown, explainer.signed, explainer.title),
      title,
    );
    await writeFileAtomic(`${OUT}/lstm-${id}.png`, await renderPlotPng(spec, { scale: 1 }));
  }
  const acts = await sequenceActivations(lstm, shown, '/lstm/LSTM_output_0');
  const heat = {
    data: acts.matrix,
    rows: acts.units,
    rowNames: Array.from({ length: acts.units }, (_, u) => `unit ${u}`),
    rowTitle: 'unit',
    signed: true,
    legend: 'activation',
  };
  const actTitle = `LSTM hidden units over time; strongest units ${acts.strongest.slice(0, 5).join(', ')}`;
  await writeFileAtomic(
    `${OUT}/lstm-activations.png`,
    await renderPlotPng(sequenceFigureSpec(shown, heat, actTitle), { scale: 1 }),
  );
  const source = sequenceSource(set.sequences, 12, { labels: set.labels });
  // The last step (MATLAB's choice) and, since the readout pools per-step scores, the pooled activations.
  const agreements: Record<string, number> = {};
  let drawnComparison: Awaited<ReturnType<typeof compareRawAndLayer>> | undefined;
  for (const reduction of ['last', 'mean', 'max'] as const) {
    const compared = await compareRawAndLayer(lstm, source, {
      layer: '/lstm/LSTM_output_0',
      reduction,
      projection: { seed: 0 },
    });
    agreements.raw = compared.raw.agreement10;
    agreements[reduction] = compared.layer.agreement10;
    if (reduction === TSNE_DRAWN) drawnComparison = compared;
  }
  await writeFileAtomic(
    `${OUT}/lstm-tsne.png`,
    await renderPlotPng(comparisonSpec(drawnComparison!, { classNames: lstm.labels }), { scale: 1 }),
  );
  const extremes = await classExtremes(lstm, source, { k: 4, mistakes: 4 });
  await writePng(
    `${OUT}/lstm-extremes.png`,
    await extremesFigure(source, extremes, { classNames: lstm.labels }),
  );

  // Grad-CAM on 1-D feature maps.
  const conv = await loadModel('fixtures/conv1d-sequence/model.onnx');
  const convSet = loadSequenceSamples('conv1d-sequence');
  const camFigures = [];
  for (const id of ['gradcam', 'gradcampp', 'layercam', 'hirescam', 'xgradcam', 'scorecam', 'cam']) {
    const indices = Array.from({ length: convSet.count }, (_, i) => i);
    try {
      const { figure } = await measure(conv, convSet, id, indices, {});
      camFigures.push(figure);
    } catch (err) {
      camFigures.push({ method: id, error: (err as Error).message });
    }
  }
  const gradcam = EXPLAINERS.find((e) => e.id === 'gradcam')!;
  // conv1d-sequence has its own samples (the generator's first design: the pattern on its class's channels).
  const convShown = { ...shown, values: convSet.sequences[SHOWN], length: convSet.lengths[SHOWN] };
  const [cam] = await explainSequences(conv, gradcam, [convShown], { target: convSet.labels[SHOWN] });
  const [a, b] = convSet.windows[SHOWN];
  await writeFileAtomic(
    `${OUT}/conv1d-gradcam.png`,
    await renderPlotPng(
      sequenceFigureSpec(
        convShown,
        attributionRows(cam.map, convShown, false, 'Grad-CAM'),
        `Grad-CAM on conv1d-sequence (pattern in steps ${a}–${b})`,
      ),
      { scale: 1 },
    ),
  );
  const summary = {
    lstm: { correctlyClassified: all.length, of: set.count, methods: figures },
    conv1d: { methods: camFigures },
    tsne: {
      agreement10Raw: agreements.raw,
      agreement10LastStep: agreements.last,
      agreement10MeanOverTime: agreements.mean,
      agreement10MaxOverTime: agreements.max,
      drawn: TSNE_DRAWN,
      items: set.count,
    },
    drawn,
  };
  await writeFile('docs/sequence-figures.json', `${JSON.stringify(summary, null, 2)}\n`);
  await lstm.dispose();
  await conv.dispose();
}

await main();
