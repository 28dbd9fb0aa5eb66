/**
 * Report section: the data set embedded with t-SNE, from the feature layer's channel means (interactive:
 * hovering a point shows its image) and, beside it, from the raw pixels, as in MATLAB's "View Network Behavior
 * Using tsne" example.
 */
import { compareRawAndLayer, comparisonSpec } from '../../methods/dataset/embedding.js';
import { renderSvg } from '../../render/plot.js';
import { escapeHtml } from '../html.js';
import { interactiveScatter } from '../interactive-scatter.js';
import type { ReportSection } from '../section.js';
import { datasetSkipReason, reportDataset } from './dataset.js';

export const embeddingSection: ReportSection = {
  id: 'embedding',
  title: 'Embedding of the data set (t-SNE)',
  async skipReason(input) {
    const reason = datasetSkipReason(input, 20);
    if (reason) return reason;
    try {
      await input.model.featureLayer();
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  },
  async render(input) {
    const source = reportDataset(input);
    const layer = await input.model.featureLayer();
    const result = await compareRawAndLayer(input.model, source, {
      layer,
      reduction: 'mean',
      predictions: true,
      miniBatchSize: input.miniBatchSize,
      projection: { seed: input.seed },
    });
    const view = result.layer;
    const classNames = input.model.labels;
    const name = (c: number) => classNames?.[c] ?? String(c);
    const labels = source.labels;
    const predicted = view.predicted!;
    const classes = labels ?? predicted;
    const titles: string[] = [];
    const thumbnails = [];
    for (let i = 0; i < source.count; i++) {
      const item = source.names?.[i] ?? `item ${i}`;
      const truth = labels ? `${name(labels[i])}` : '';
      const guess = !labels || predicted[i] !== labels[i] ? `predicted ${name(predicted[i])}` : '';
      titles.push([item, truth, guess].filter(Boolean).join(' · '));
      thumbnails.push(await source.picture!(i));
    }
    const scatter = await interactiveScatter(view.projection.embedding, {
      id: 'embedding-scatter',
      classes,
      classNames,
      titles,
      thumbnails,
      ariaLabel: `t-SNE of ${layer}; hover a point to see its image`,
    });
    const comparison = await renderSvg(comparisonSpec(result, { classNames }));
    const agreement = (v: { agreement10?: number }) =>
      v.agreement10 !== undefined ? v.agreement10.toFixed(3) : 'n/a';
    const seconds = (v: { seconds: { activations: number; projection: number } }) =>
      (v.seconds.activations + v.seconds.projection).toFixed(1);
    return (
      `<p>${source.count} items, each the mean over space of every channel of <code>${escapeHtml(layer)}</code> ` +
      `(${view.features} values), embedded with t-SNE (MATLAB defaults, seed ${input.seed}); colour = ` +
      `${labels ? 'true class' : 'predicted class'}. Hover a point to see its image.</p>` +
      `<div class="row">${scatter}</div>` +
      `<p>Share of each item's 10 nearest embedded neighbours in its own class: raw pixels ${agreement(result.raw)}, ` +
      `layer activations ${agreement(view)} (${seconds(result.raw)} s and ${seconds(view)} s).</p>` +
      `<figure>${comparison}<figcaption>raw pixels (left) and layer activations (right), embedded the same way</figcaption></figure>`
    );
  },
};
