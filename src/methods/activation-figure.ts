/**
 * The picture of MATLAB's "Visualize Activations" example: every channel of a layer tiled in a montage,
 * and beside it the input next to its strongest channel, up-sampled to the input size.
 */
import { tensorToImage } from '../image/normalize.js';
import { resizeImage } from '../image/resize.js';
import type { RawImage } from '../image/types.js';
import { upsample } from '../image/upsample.js';
import { checkColormap } from '../render/colormap.js';
import { colorize } from '../render/overlay.js';
import { channelMaps, montage, sideBySide } from '../render/montage.js';
import type { InputSpec, TensorData } from '../types.js';
import { channelStats } from './activations.js';

export interface ActivationFigureOptions {
  colormap?: string;
  /** Which observation of the batch (default 0). */
  index?: number;
  /** Smallest on-screen size of a tile, in pixels (small feature maps are enlarged; default 48). */
  minTileSize?: number;
  /** Show at most this many channels: the ones with the largest activations, in channel order (default all). */
  maxChannels?: number;
}

export interface ActivationFigure {
  montage: RawImage;
  strongest: RawImage;
  figure: RawImage;
  strongestChannel: number;
  /** The channels shown in the montage, in tile order. */
  channels: number[];
}

/** Montage of all channels plus input | strongest channel, as separate images and combined. */
export function activationPictures(
  acts: TensorData,
  input: TensorData,
  spec: InputSpec,
  options: ActivationFigureOptions = {},
): ActivationFigure {
  const index = options.index ?? 0;
  const colormap = checkColormap(options.colormap ?? 'gray');
  const all = channelMaps(acts, { index });
  const stats = channelStats(acts, index);
  const channels = strongestChannels(stats.max, options.maxChannels ?? all.length);
  const maps = channels.map((c) => all[c]);
  const { width, height } = maps[0];
  const grow = Math.max(1, Math.ceil((options.minTileSize ?? 48) / Math.max(width, height)));
  const tiles = montage(maps, {
    colormap,
    thumbnailSize: { width: width * grow, height: height * grow },
    resizeMethod: 'nearest',
    labels: channels.map(String),
    labelPosition: 'below',
    borderSize: 2,
  });
  const seen = tensorToImage(input, spec, index);
  const shown = Math.max(seen.width, 160);
  const inputPanel = resizeImage(seen, shown, Math.round((seen.height * shown) / seen.width), {
    method: 'nearest',
  });
  // `stats.strongest` is a channel number of the layer, not a position in the shown subset.
  const strongestMap = upsample(
    all[stats.strongest],
    { width: inputPanel.width, height: inputPanel.height },
    'bilinear',
  );
  const strongest = colorize(strongestMap, { colormap, scaling: 'minmax' });
  const panels = sideBySide([
    { image: inputPanel, caption: 'input' },
    { image: strongest, caption: `strongest: channel ${stats.strongest}` },
  ]);
  const caption =
    channels.length === all.length
      ? `all ${all.length} channels`
      : `${channels.length} strongest of ${all.length} channels`;
  const figure = sideBySide([{ image: tiles, caption }, { image: panels }]);
  return { montage: tiles, strongest, figure, strongestChannel: stats.strongest, channels };
}

/** Indices of the `count` largest entries of `max`, returned in ascending channel order. */
function strongestChannels(max: Float32Array, count: number): number[] {
  const order = Array.from(max.keys()).sort((a, b) => max[b] - max[a] || a - b);
  return order.slice(0, Math.max(1, Math.min(count, max.length))).sort((a, b) => a - b);
}

export function activationFigure(
  acts: TensorData,
  input: TensorData,
  spec: InputSpec,
  options: ActivationFigureOptions = {},
): RawImage {
  return activationPictures(acts, input, spec, options).figure;
}
