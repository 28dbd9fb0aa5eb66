/** One report section per heat-map explainer: each image with the map over it. */
import { EXPLAINERS, type Explainer } from '../../explainers/index.js';
import { mapOverlay, mapScale, mapsPerImage } from '../../explainers/render.js';
import { audioMapFigure } from '../../methods/audio/present.js';
import { encodePng } from '../../render/png.js';
import { resizeForDisplay } from '../display.js';
import { escapeHtml, figure } from '../html.js';
import { metricCardHtml, metricCards } from '../metric-card.js';
import type { ReportSection } from '../section.js';

export function explainerSection(explainer: Explainer): ReportSection {
  return {
    id: explainer.id,
    title: explainer.title,
    async render(input) {
      const options = {
        ...(explainer.reportOptions ?? {}),
        ...(explainer.seeded ? { seed: input.seed } : {}),
        ...(input.miniBatchSize ? { miniBatchSize: input.miniBatchSize } : {}),
      };
      const run = await explainer.run(input.model, input.input, { ...options, onProgress: input.onProgress });
      const cards = input.noMetricCards ? undefined : await metricCards(input, explainer, run, options);
      const k = mapsPerImage(run, input.images.length);
      const figures: string[] = [];
      for (let m = 0; m < run.maps.dims[0]; m++) {
        const item = Math.floor(m / k);
        // Audio models: the map over the spectrogram with time and frequency axes and its top segments.
        const picture = input.audio
          ? audioMapFigure(
              input.model,
              input.audio.recipe,
              input.audio.windows[item],
              mapOverlay(explainer, run, m, input.images[item]),
              { run, m, options: explainer.reportOptions ?? {} },
            )
          : mapOverlay(explainer, run, m, resizeForDisplay(input.images[item]));
        const card = cards ? metricCardHtml(cards[m]) : '';
        figures.push(
          `<div>${figure(await encodePng(picture), `${input.names[Math.floor(m / k)]}: ${run.descriptions[m]}; ${mapScale(explainer, run, m).text}`)}${card}</div>`,
        );
      }
      const clipped = explainer.clipPercent
        ? ` The largest ${explainer.clipPercent} % of each map's magnitudes are clipped (shown saturated) so one extreme pixel cannot flatten the rest; each caption gives its scale.`
        : ' Each caption gives its scale.';
      const scale =
        (explainer.signed
          ? 'Signed map: red supports the class, blue opposes it (symmetric scale around zero).'
          : 'Map scaled from its minimum (blue) to its maximum (red).') + clipped;
      const summary = explainer.summarize ? ` ${escapeHtml(explainer.summarize(run))}` : '';
      return `<p>${escapeHtml(explainer.description)}. ${escapeHtml(scale)}${summary}</p><div class="row">${figures.join('\n')}</div>`;
    },
  };
}

export const EXPLAINER_SECTIONS: readonly ReportSection[] = EXPLAINERS.map(explainerSection);
