/**
 * Report sections for activation maximisation: Deep Dream on the channels of the feature layer that the
 * report's images excite most, and class-score maximisation for the classes the images were given.
 */
import { classMaximization, deepDream, dreamFigure } from '../../methods/dream/index.js';
import { encodePng } from '../../render/png.js';
import { escapeHtml, figure } from '../html.js';
import { featureLayerSkipReason, type ReportSection } from '../section.js';

/** The `count` channels with the largest mean activation over the batch (channel axis 1). */
function strongestChannels(data: Float32Array, dims: number[], count: number): number[] {
  const [n, c] = dims;
  const inner = data.length / (n * c);
  const means = new Array<number>(c).fill(0);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < inner; p++) means[ch] += data[(i * c + ch) * inner + p];
  return means
    .map((m, ch) => ({ m, ch }))
    .sort((a, b) => b.m - a.m)
    .slice(0, count)
    .map((x) => x.ch);
}

export const deepDreamSection: ReportSection = {
  id: 'deepdream',
  title: 'Deep Dream',
  skipReason: featureLayerSkipReason,
  async render(input) {
    const layer = await input.model.featureLayer();
    const acts = (
      await input.model.activations(input.input, [layer], { miniBatchSize: input.miniBatchSize })
    )[layer];
    const channels = strongestChannels(acts.data, acts.dims, 4);
    const result = await deepDream(input.model, layer, channels, {
      seed: input.seed,
      onProgress: input.onProgress,
    });
    const picture = dreamFigure(
      result.pictures!,
      channels.map((c) => `ch ${c}`),
    );
    const gains = result.channels
      .map((g, i) => {
        const first = result.objective[0][i][0];
        const last = result.objective[result.objective.length - 1][i];
        return `${g[0]}: ${first.toFixed(3)} → ${last[last.length - 1].toFixed(3)}`;
      })
      .join(', ');
    return (
      `<p>Images that raise the mean activation of the four channels of <code>${escapeHtml(layer)}</code> the report's ` +
      `images excite most (MATLAB deepDreamImage defaults: 3 octaves, scale 1.4, 10 steps each). ` +
      `Mean activation, start → end: ${escapeHtml(gains)}.</p>` +
      `<div class="row">${figure(await encodePng(picture), `deep dream, ${layer}`)}</div>`
    );
  },
};

export const classMaxSection: ReportSection = {
  id: 'class-max',
  title: 'Class-score maximisation',
  async skipReason(input) {
    const scores = await input.model.reductionLayer();
    const shape = input.model.outputs.find((o) => o.name === input.model.outputName)?.shape ?? [];
    return shape.length === 2
      ? undefined
      : `the scores '${scores}' are not one per class (output shape [${shape}])`;
  },
  async render(input) {
    const classes = [...new Set(input.predicted)].slice(0, 8);
    const result = await classMaximization(input.model, classes, {
      numIterations: 60,
      seed: input.seed,
      onProgress: input.onProgress,
    });
    const labels = result.classes.map((c) => input.model.labels?.[c] ?? `class ${c}`);
    const picture = dreamFigure(result.pictures!, labels);
    return (
      `<p>For each predicted class, an image grown from gray noise by gradient ascent on the class score ` +
      `(before softmax), with random jitter, a slight blur every 4 steps and decay towards the mean pixel.</p>` +
      `<div class="row">${figure(await encodePng(picture), 'class-score maximisation')}</div>`
    );
  },
};
