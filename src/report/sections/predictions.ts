/** Report section: each image with its top classes. */
import { encodePng } from '../../render/png.js';
import { resizeForDisplay } from '../display.js';
import { topK } from '../../methods/classify.js';
import { escapeHtml, img } from '../html.js';
import type { ReportSection } from '../section.js';

export const predictionsSection: ReportSection = {
  id: 'predictions',
  title: 'Predictions',
  async render(input) {
    const best = topK(input.predictions, 3, input.model.labels);
    const cards: string[] = [];
    for (const [i, image] of input.images.entries()) {
      const png = await encodePng(resizeForDisplay(image));
      const rows = best[i]
        .map((c) => `<tr><td>${escapeHtml(c.label)}</td><td>${(100 * c.probability).toFixed(1)}%</td></tr>`)
        .join('');
      cards.push(
        `<figure>${img(png, input.names[i])}<figcaption><b>${escapeHtml(input.names[i])}</b><table>${rows}</table></figcaption></figure>`,
      );
    }
    const kind =
      input.model.outputKind === 'probabilities'
        ? 'the model ends in Softmax'
        : 'softmax of the model logits';
    return `<p>Top-3 classes per image (${escapeHtml(kind)}).</p><div class="row">${cards.join('\n')}</div>`;
  },
};
