/** Report section: each image with what the model predicts, read as its output kind says. */
import { formatSummary, summarizePrediction } from '../../methods/classify.js';
import { overlay } from '../../render/overlay.js';
import { encodePng } from '../../render/png.js';
import type { TensorData } from '../../types.js';
import { resizeForDisplay } from '../display.js';
import { escapeHtml, img } from '../html.js';
import type { ReportSection } from '../section.js';

/** The probability map of a one-channel dense output for image i, [1, H, W], or undefined. */
function foregroundMap(probabilities: TensorData, i: number): TensorData | undefined {
  const [n, k, h, w] = probabilities.dims;
  if (probabilities.dims.length !== 4 || k !== 1 || i >= n) return undefined;
  return { data: probabilities.data.subarray(i * h * w, (i + 1) * h * w), dims: [1, h, w] };
}

export const predictionsSection: ReportSection = {
  id: 'predictions',
  title: 'Predictions',
  async render(input) {
    const description = input.model.outputDescriptions?.[0];
    const kind = description?.kind ?? 'class-scores';
    const summaries = summarizePrediction(
      input.predictions,
      description ?? { kind: 'class-scores', classAxis: 1 },
      input.model.labels,
      3,
    );
    const cards: string[] = [];
    for (const [i, image] of input.images.entries()) {
      const png = await encodePng(resizeForDisplay(image));
      const summary = summaries[i];
      let body: string;
      if (summary.kind === 'class-scores') {
        body = `<table>${summary.top
          .map((c) => `<tr><td>${escapeHtml(c.label)}</td><td>${(100 * c.probability).toFixed(1)}%</td></tr>`)
          .join('')}</table>`;
      } else {
        body = `<p>${escapeHtml(formatSummary(summary))}</p>`;
      }
      const map = foregroundMap(input.predictions.probabilities, i);
      // A one-channel map is shown over the image on a fixed 0..1 scale (probability, not stretched).
      const shown = map
        ? img(
            await encodePng(resizeForDisplay(overlay(image, map, { scaling: { min: 0, max: 1 } }))),
            `${input.names[i]}: foreground probability`,
          )
        : '';
      cards.push(
        `<figure>${img(png, input.names[i])}${shown}<figcaption><b>${escapeHtml(input.names[i])}</b>${body}</figcaption></figure>`,
      );
    }
    const what: Record<string, string> = {
      'class-scores':
        input.model.outputKind === 'probabilities'
          ? 'top-3 classes per image (the model ends in Softmax / Sigmoid)'
          : 'top-3 classes per image (softmax of the model logits; sigmoid for one class)',
      'dense-map':
        description?.classes === 1
          ? 'share of pixels with foreground probability above 1/2; the map is drawn over the image on a fixed 0–1 scale (jet)'
          : 'share of pixels each class wins (arg max over the class axis)',
      sequence: `the decoded sequence (${description?.decoding === 'ctc' ? 'greedy CTC: repeats collapse, blanks drop' : 'arg max per step'})`,
      regression: 'the predicted values',
    };
    return `<p>${escapeHtml(what[kind])}.</p><div class="row">${cards.join('\n')}</div>`;
  },
};
