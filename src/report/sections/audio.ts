/**
 * Audio models: LIME over the time × frequency grid, occlusion and Grad-CAM drawn over each window's
 * spectrogram with time and frequency axes and the top segments outlined, with players for the audio of
 * those segments and of the rest.
 */
import { encodeWav } from '../../audio/wav-encode.js';
import { EXPLAINERS } from '../../explainers/index.js';
import { mapOverlay, mapScale } from '../../explainers/render.js';
import { audioMapFigure, audioMapSound } from '../../methods/audio/present.js';
import { encodePng } from '../../render/png.js';
import { escapeHtml, img } from '../html.js';
import type { ReportSection } from '../section.js';

const METHODS = ['lime', 'occlusion', 'gradcam'];

function player(bytes: Uint8Array, label: string): string {
  const src = `data:audio/wav;base64,${Buffer.from(bytes).toString('base64')}`;
  return `<div>${escapeHtml(label)}<br><audio controls preload="none" src="${src}"></audio></div>`;
}

export const audioSection: ReportSection = {
  id: 'audio',
  title: 'Listening to the explanations (time × frequency)',
  async skipReason(input) {
    return input.audio
      ? undefined
      : 'the model is not an audio model (netlens.input kind audio) or no WAV files were given';
  },
  async render(input) {
    const audio = input.audio!;
    const rows: string[] = [];
    for (const id of METHODS) {
      const explainer = EXPLAINERS.find((e) => e.id === id);
      if (!explainer) continue;
      const options = {
        ...(explainer.reportOptions ?? {}),
        ...(explainer.seeded ? { seed: input.seed } : {}),
        ...(input.miniBatchSize ? { miniBatchSize: input.miniBatchSize } : {}),
      };
      const run = await explainer.run(input.model, input.input, { ...options, onProgress: input.onProgress });
      // One map per window here: the predicted class.
      for (let m = 0; m < run.maps.dims[0]; m++) {
        const window = audio.windows[m];
        const request = { run, m, options };
        const overlay = mapOverlay(explainer, run, m, input.images[m]);
        const picture = audioMapFigure(input.model, audio.recipe, window, overlay, request);
        const sound = audioMapSound(input.model, audio.recipe, window, request);
        const caption = `${input.names[m]}: ${explainer.title}, ${run.descriptions[m]}; ${mapScale(explainer, run, m).text}`;
        rows.push(
          `<figure>${img(await encodePng(picture), caption)}<figcaption>${escapeHtml(caption)}</figcaption>` +
            player(encodeWav(sound.kept, audio.recipe.sampleRate), 'top segments (outlined)') +
            player(encodeWav(sound.rest, audio.recipe.sampleRate), 'everything else') +
            `</figure>`,
        );
      }
    }
    const intro =
      'Each window of each clip with the map over its spectrogram (mel-spaced frequency axis in Hz, time in seconds). ' +
      'The outlined cells are the most important time × frequency segments; the players play the audio of those ' +
      'segments alone (the STFT masked to them, back to a waveform by overlap-add) and of everything else.';
    return `<p>${escapeHtml(intro)}</p><div class="row">${rows.join('\n')}</div>`;
  },
};
