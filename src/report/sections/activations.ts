/** Report section: channel montage of the feature layer and the strongest channel, for the first image. */
import { activations } from '../../methods/activations.js';
import { activationPictures } from '../../methods/activation-figure.js';
import { encodePng } from '../../render/png.js';
import { escapeHtml, figure } from '../html.js';
import { featureLayerSkipReason, type ReportSection } from '../section.js';

export const activationsSection: ReportSection = {
  id: 'activations',
  title: 'Activations',
  skipReason: featureLayerSkipReason,
  async render(input) {
    const layer = await input.model.featureLayer();
    const first = {
      data: input.input.data.subarray(0, input.input.data.length / input.input.dims[0]),
      dims: [1, ...input.input.dims.slice(1)],
    };
    const acts = await activations(input.model, first, { layer, miniBatchSize: input.miniBatchSize });
    const pictures = activationPictures(acts, first, input.spec, { maxChannels: 64 });
    return (
      `<p>Channels of layer <code>${escapeHtml(layer)}</code> [${acts.layerDims.join('×')}] for <b>${escapeHtml(input.names[0])}</b> ` +
      `(${pictures.channels.length === acts.layerDims[1] ? 'every channel' : `the ${pictures.channels.length} channels with the largest activations`}; ` +
      `each tile scaled to its own range, white = strong), and the channel with the largest activation.</p>` +
      `<div class="row">${figure(await encodePng(pictures.montage), `channels of ${layer}`)}` +
      `${figure(await encodePng(pictures.strongest), `strongest channel ${pictures.strongestChannel}`)}</div>`
    );
  },
};
