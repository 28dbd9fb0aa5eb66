/**
 * Report section: the data set embedded with t-SNE, from the feature layer's channel means (interactive:
 * hovering a point shows its image) and, beside it, from the raw pixels, as in MATLAB's "View Network Behavior
 * Using tsne" example.
 */
import type { RawImage } from '../../image/types.js';
import { resizeImage } from '../../image/resize.js';
import {
  compareRawAndLayer,
  comparisonSpec,
  embedDataset,
  type EmbeddingView,
} from '../../methods/dataset/embedding.js';
import { renderSvg } from '../../render/plot.js';
import { escapeHtml } from '../html.js';
import { interactiveScatter } from '../interactive-scatter.js';
import { featureLayerSkipReason, type ReportSection } from '../section.js';
import { datasetSkipReason, reportDataset } from './dataset.js';

/** Largest input (values per item) whose raw t-SNE the report also shows: 64×64 RGB. */
const MAX_RAW_FEATURES = 64 * 64 * 3;
const THUMBNAIL_SIDE = 32;

/** Shrunk to the sprite's tile size at once, so the report never holds every full-size picture. */
function thumbnail(image: RawImage): RawImage {
  const scale = THUMBNAIL_SIDE / Math.max(image.width, image.height);
  if (scale >= 1) return image;
  return resizeImage(
    image,
    Math.max(1, Math.round(image.width * scale)),
    Math.max(1, Math.round(image.height * scale)),
  );
}

export const embeddingSection: ReportSection = {
  id: 'embedding',
  title: 'Embedding of the data set (t-SNE)',
  async skipReason(input) {
    const reason = datasetSkipReason(input, 20);
    return reason ?? featureLayerSkipReason(input);
  },
  async render(input) {
    const source = reportDataset(input);
    const layer = await input.model.featureLayer();
    const options = {
      layer,
      reduction: 'mean' as const,
      predictions: true,
      miniBatchSize: input.miniBatchSize,
      projection: { seed: input.seed },
    };
    // The raw-pixel t-SNE searches neighbours over every input value: affordable for small images only.
    const inputSize = input.dataset!.input.data.length / source.count;
    const compared =
      inputSize <= MAX_RAW_FEATURES ? await compareRawAndLayer(input.model, source, options) : undefined;
    const view = compared?.layer ?? (await embedDataset(input.model, source, options));
    const classNames = input.model.labels;
    const name = (c: number) => classNames?.[c] ?? String(c);
    const labels = source.labels;
    const predicted = view.predicted!;
    const titles: string[] = [];
    const thumbnails: RawImage[] = [];
    for (let i = 0; i < source.count; i++) {
      const item = source.names?.[i] ?? `item ${i}`;
      const truth = labels ? `${name(labels[i])}` : '';
      const guess = !labels || predicted[i] !== labels[i] ? `predicted ${name(predicted[i])}` : '';
      titles.push([item, truth, guess].filter(Boolean).join(' · '));
      thumbnails.push(thumbnail(await source.picture!(i)));
    }
    const scatter = await interactiveScatter(view.projection.embedding, {
      id: 'embedding-scatter',
      classes: labels ?? predicted,
      classNames,
      titles,
      thumbnails,
      spriteSide: THUMBNAIL_SIDE,
      ariaLabel: `t-SNE of ${layer}; hover a point to see its image`,
    });
    const agreement = (v: EmbeddingView) => (v.agreement10 !== undefined ? v.agreement10.toFixed(3) : 'n/a');
    const seconds = (v: EmbeddingView) => (v.seconds.activations + v.seconds.projection).toFixed(1);
    const intro =
      `<p>${source.count} items, each the mean over space of every channel of <code>${escapeHtml(layer)}</code> ` +
      `(${view.features} values), embedded with t-SNE (MATLAB defaults, seed ${input.seed}); colour = ` +
      `${labels ? 'true class' : 'predicted class'}. Hover a point to see its image.</p>` +
      `<div class="row">${scatter}</div>`;
    if (!compared) {
      return (
        intro +
        `<p>Share of each item's 10 nearest embedded neighbours in its own class: ${agreement(view)} ` +
        `(${seconds(view)} s). The raw-pixel comparison is left out: ${inputSize} values per item are too many ` +
        `for a quick t-SNE.</p>`
      );
    }
    const comparison = await renderSvg(comparisonSpec(compared, { classNames }));
    return (
      intro +
      `<p>Share of each item's 10 nearest embedded neighbours in its own class: raw pixels ${agreement(compared.raw)}, ` +
      `layer activations ${agreement(view)} (${seconds(compared.raw)} s and ${seconds(view)} s).</p>` +
      `<figure>${comparison}<figcaption>raw pixels (left) and layer activations (right), embedded the same way</figcaption></figure>`
    );
  },
};
