/**
 * Report section: for each class, the items of the data set with the highest and the lowest class probability
 * (among the items of that class when labels are known), and the most confident mistakes, as in MATLAB's
 * "Visualize Image Classifications Using Maximal and Minimal Activating Images" example.
 */
import { classExtremes } from '../../methods/dataset/extremes.js';
import { extremeSetFigure, mistakesFigure } from '../../methods/dataset/extremes-figure.js';
import { encodePng } from '../../render/png.js';
import { escapeHtml, img } from '../html.js';
import type { ReportSection } from '../section.js';
import { datasetSkipReason, reportDataset } from './dataset.js';

const K = 6;

export const extremesSection: ReportSection = {
  id: 'extremes',
  title: 'Maximal and minimal activating images',
  async skipReason(input) {
    const reason = datasetSkipReason(input, 2);
    if (reason) return reason;
    const output = input.model.outputs.find((o) => o.name === input.model.outputName);
    return output?.shape.length === 2 ? undefined : 'the model has no [N, classes] classification output';
  },
  async render(input) {
    const source = reportDataset(input);
    const result = await classExtremes(input.model, source, {
      k: K,
      mistakes: K,
      miniBatchSize: input.miniBatchSize,
    });
    const options = { classNames: input.model.labels };
    const name = (c: number) => input.model.labels?.[c] ?? `class ${c}`;
    // One picture per class (and one for the mistakes), so they wrap side by side on wide screens.
    const pictures: string[] = [];
    for (const set of result.sets) {
      if (set.highest.length === 0) continue;
      const picture = await extremeSetFigure(source, set, result, options);
      pictures.push(
        img(await encodePng(picture), `highest and lowest ${name(set.class ?? 0)} probabilities`),
      );
    }
    if (result.mistakes && result.mistakes.length > 0) {
      const picture = await mistakesFigure(source, result.mistakes, options);
      pictures.push(img(await encodePng(picture), 'most confident mistakes'));
    }
    const among = source.labels
      ? 'among the items of that class'
      : 'among all items (the data set has no labels)';
    const accuracy =
      result.accuracy !== undefined
        ? ` Accuracy on the data set: ${(100 * result.accuracy).toFixed(1)}%.`
        : '';
    const mistakes = result.mistakes
      ? ` The last picture holds the ${result.mistakes.length} most confident mistakes (probability, true class > predicted class).`
      : '';
    return (
      `<p>For each class, the ${K} items with the highest (top row) and the ${K} with the lowest (bottom row) class ` +
      `probability ${escapeHtml(among)}, over ${result.count} items; each tile shows the probability and the ` +
      `${source.labels ? 'true' : 'predicted'} class.${accuracy}${mistakes}</p>` +
      `<div class="row">${pictures.join('')}</div>`
    );
  },
};
