/**
 * Tiled montages (like MATLAB's imtile) and side-by-side panels with captions.
 *
 * Montage geometry: tiles of one size in a rows × cols grid, in row-major order, separated and
 * surrounded by `borderSize`-pixel lines of the background colour. With labels, each cell gains a label
 * strip (above or below its tile) of 7·labelScale + 2·labelScale pixels, text centred and cut to fit.
 */
import { ImageError, OptionError } from '../errors.js';
import { convertChannels } from '../image/channels.js';
import { resizeImage } from '../image/resize.js';
import type { ResizeMethod } from '../image/resample.js';
import type { FloatMap, RawImage } from '../image/types.js';
import { checkImage, checkMap } from '../image/types.js';
import { upsample } from '../image/upsample.js';
import type { TensorData } from '../types.js';
import { applyColormap, checkColormap, type ColormapName, type Rgb } from './colormap.js';
import { charsThatFit, drawText, GLYPH_HEIGHT, measureText } from './font.js';
import { checkScaleMode, mapRange, scaleValues, type ScaleMode, type ScaleRange } from './scale.js';

/** A float map (scaled and coloured) or an image (pasted as is). */
export type Tile = FloatMap | RawImage;

export interface MontageLayoutOptions {
  /** [rows, cols]; give one (the other null) or neither for an automatic near-square grid. */
  gridSize?: [number | null, number | null];
  /** Width of the lines between and around tiles (default 1). */
  borderSize?: number;
  /** Whether cells carry a label strip, and where (default none). */
  labelPosition?: 'below' | 'above' | 'none';
  /** Integer scale of the label font (default 1). */
  labelScale?: number;
}

export interface MontageOptions extends Omit<MontageLayoutOptions, 'labelPosition'> {
  /** Size every tile is resized to (default: the first tile's size). */
  thumbnailSize?: { width: number; height: number };
  resizeMethod?: ResizeMethod;
  /** Colour of borders, empty cells and label strips (default black). */
  backgroundColor?: Rgb;
  /** Colormap for float tiles (default 'gray'). */
  colormap?: ColormapName;
  /** Scaling of float tiles (default 'minmax'). */
  scaling?: ScaleMode;
  /** Scale each float tile on its own range (default) or all on one shared range. */
  scalePer?: 'tile' | 'global';
  /** One label per tile (shorter lists label the first tiles). */
  labels?: readonly string[];
  labelPosition?: 'below' | 'above';
  labelColor?: Rgb;
}

export interface MontageLayout {
  rows: number;
  cols: number;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  /** Height of each cell's label strip (0 without labels). */
  labelHeight: number;
  /** Top-left corner of each tile's pixels. */
  tiles: { x: number; y: number }[];
  /** Top-left corner of each tile's label strip (same width as the tile). */
  labels: { x: number; y: number }[];
}

function positiveInt(value: number, name: string, allowZero = false): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new OptionError(
      'INVALID_OPTION',
      `${name} ${value} must be a ${allowZero ? 'non-negative' : 'positive'} integer`,
    );
  }
  return value;
}

/** Rows × cols for `count` tiles: as given, or near-square in pixels when left open. */
export function gridFor(
  count: number,
  tileWidth: number,
  tileHeight: number,
  gridSize?: [number | null, number | null],
) {
  const [rows, cols] = gridSize ?? [null, null];
  if (rows != null && cols != null) {
    positiveInt(rows, 'grid rows');
    positiveInt(cols, 'grid cols');
    if (rows * cols < count) {
      throw new OptionError(
        'INVALID_OPTION',
        `a ${rows}×${cols} grid holds ${rows * cols} tiles, fewer than the ${count} given`,
      );
    }
    return { rows, cols };
  }
  if (rows != null)
    return { rows: positiveInt(rows, 'grid rows'), cols: Math.max(1, Math.ceil(count / rows)) };
  if (cols != null)
    return { rows: Math.max(1, Math.ceil(count / cols)), cols: positiveInt(cols, 'grid cols') };
  // cols · w ≈ rows · h with rows = count / cols  ⇒  cols ≈ sqrt(count · h / w).
  const auto = Math.min(
    Math.max(1, count),
    Math.max(1, Math.ceil(Math.sqrt((count * tileHeight) / tileWidth))),
  );
  return { rows: Math.max(1, Math.ceil(count / auto)), cols: auto };
}

/** Where everything goes in a montage of `count` tiles of tileWidth × tileHeight. */
export function montageLayout(
  count: number,
  tileWidth: number,
  tileHeight: number,
  options: MontageLayoutOptions = {},
): MontageLayout {
  positiveInt(count, 'tile count');
  positiveInt(tileWidth, 'tile width');
  positiveInt(tileHeight, 'tile height');
  const border = positiveInt(options.borderSize ?? 1, 'borderSize', true);
  const labelScale = positiveInt(options.labelScale ?? 1, 'labelScale');
  const position = options.labelPosition ?? 'none';
  const labelHeight = position === 'none' ? 0 : (GLYPH_HEIGHT + 2) * labelScale;
  const { rows, cols } = gridFor(count, tileWidth, tileHeight, options.gridSize);
  const cellHeight = tileHeight + labelHeight;
  const tiles: { x: number; y: number }[] = [];
  const labels: { x: number; y: number }[] = [];
  for (let i = 0; i < count; i++) {
    const x = border + (i % cols) * (tileWidth + border);
    const top = border + Math.floor(i / cols) * (cellHeight + border);
    tiles.push({ x, y: position === 'above' ? top + labelHeight : top });
    labels.push({ x, y: position === 'above' ? top : top + tileHeight });
  }
  return {
    rows,
    cols,
    width: cols * tileWidth + (cols + 1) * border,
    height: rows * cellHeight + (rows + 1) * border,
    tileWidth,
    tileHeight,
    labelHeight,
    tiles,
    labels,
  };
}

function isFloatMap(tile: Tile): tile is FloatMap {
  return tile.data instanceof Float32Array;
}

/**
 * The channels of one item of an activation tensor as maps: dims [N,C,H,W] / [C,H,W] (NCHW, default)
 * or [N,H,W,C] / [H,W,C] (NHWC).
 */
export function channelMaps(
  tensor: TensorData,
  options: { layout?: 'NCHW' | 'NHWC'; index?: number } = {},
): FloatMap[] {
  const layout = options.layout ?? 'NCHW';
  const index = options.index ?? 0;
  const dims = tensor.dims.length === 3 ? [1, ...tensor.dims] : tensor.dims;
  if (dims.length !== 4) {
    throw new ImageError(
      'INVALID_INPUT',
      `activation tensor has dims [${tensor.dims.join(',')}], expected 3 or 4 dims`,
    );
  }
  const [n, c, h, w] = layout === 'NCHW' ? dims : [dims[0], dims[3], dims[1], dims[2]];
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new ImageError('INVALID_INPUT', `batch index ${index} is out of range for a batch of ${n}`);
  }
  const plane = h * w;
  const base = index * c * plane;
  const maps: FloatMap[] = [];
  for (let k = 0; k < c; k++) {
    const data = new Float32Array(plane);
    if (layout === 'NCHW') data.set(tensor.data.subarray(base + k * plane, base + (k + 1) * plane));
    else for (let p = 0; p < plane; p++) data[p] = tensor.data[base + p * c + k];
    maps.push({ data, width: w, height: h });
  }
  return maps;
}

function fill(image: RawImage, color: Rgb): void {
  for (let p = 0; p < image.width * image.height; p++) image.data.set(color, p * 3);
}

function paste(target: RawImage, source: RawImage, x: number, y: number): void {
  const rgb = convertChannels(source, 3);
  for (let row = 0; row < rgb.height; row++) {
    const from = row * rgb.width * 3;
    target.data.set(rgb.data.subarray(from, from + rgb.width * 3), ((y + row) * target.width + x) * 3);
  }
}

/** A montage of tiles (float maps and/or images) as one RGB image. */
export function montage(tiles: readonly Tile[], options: MontageOptions = {}): RawImage {
  if (tiles.length === 0) throw new ImageError('INVALID_INPUT', 'montage needs at least one tile');
  tiles.forEach((t, i) => (isFloatMap(t) ? checkMap(t, `tile ${i}`) : checkImage(t, `tile ${i}`)));
  const size = options.thumbnailSize ?? { width: tiles[0].width, height: tiles[0].height };
  const colormap = checkColormap(options.colormap ?? 'gray');
  const scaling = checkScaleMode(options.scaling ?? 'minmax');
  const method = options.resizeMethod ?? 'bilinear';
  const labels = options.labels ?? [];
  const labelScale = options.labelScale ?? 1;
  const layout = montageLayout(tiles.length, size.width, size.height, {
    gridSize: options.gridSize,
    borderSize: options.borderSize,
    labelScale,
    labelPosition: labels.length > 0 ? (options.labelPosition ?? 'below') : 'none',
  });
  const resized = tiles.map((t) => {
    if (t.width === size.width && t.height === size.height) return t;
    return isFloatMap(t) ? upsample(t, size, method) : resizeImage(t, size.width, size.height, { method });
  });
  const floats = resized.filter(isFloatMap);
  let shared: ScaleRange | undefined;
  if (options.scalePer === 'global' && floats.length > 0) {
    const all = new Float32Array(floats.reduce((n, m) => n + m.data.length, 0));
    floats.reduce((offset, m) => (all.set(m.data, offset), offset + m.data.length), 0);
    shared = mapRange(all, scaling);
  }
  const out: RawImage = {
    data: new Uint8Array(layout.width * layout.height * 3),
    width: layout.width,
    height: layout.height,
    channels: 3,
  };
  const background = options.backgroundColor ?? [0, 0, 0];
  fill(out, background);
  resized.forEach((tile, i) => {
    const image = isFloatMap(tile)
      ? applyColormap({ ...tile, data: scaleValues(tile.data, scaling, shared) }, colormap, background)
      : tile;
    paste(out, image, layout.tiles[i].x, layout.tiles[i].y);
  });
  const fit = charsThatFit(size.width, labelScale);
  labels.slice(0, tiles.length).forEach((label, i) => {
    const text = [...label].slice(0, fit).join('');
    const { width } = measureText(text, labelScale);
    const { x, y } = layout.labels[i];
    drawText(out, text, x + Math.floor((size.width - width) / 2), y + labelScale, {
      color: options.labelColor ?? [255, 255, 255],
      scale: labelScale,
    });
  });
  return out;
}

export interface Panel {
  image: RawImage;
  caption?: string;
}

export interface SideBySideOptions {
  /** Pixels between panels (default 8). */
  gap?: number;
  /** Pixels around everything (default 8). */
  padding?: number;
  backgroundColor?: Rgb;
  captionColor?: Rgb;
  captionScale?: number;
}

/** Images in a row, top-aligned, each centred in its column with its caption centred below. */
export function sideBySide(panels: readonly Panel[], options: SideBySideOptions = {}): RawImage {
  if (panels.length === 0) throw new ImageError('INVALID_INPUT', 'sideBySide needs at least one panel');
  panels.forEach((p, i) => checkImage(p.image, `panel ${i}`));
  const gap = positiveInt(options.gap ?? 8, 'gap', true);
  const padding = positiveInt(options.padding ?? 8, 'padding', true);
  const scale = positiveInt(options.captionScale ?? 1, 'captionScale');
  const captioned = panels.some((p) => p.caption);
  const textHeight = measureText('', scale).height;
  const columns = panels.map((p) => Math.max(p.image.width, measureText(p.caption ?? '', scale).width));
  const imageHeight = Math.max(...panels.map((p) => p.image.height));
  const captionTop = padding + imageHeight + (captioned ? 2 * scale : 0);
  const out: RawImage = {
    data: new Uint8Array(0),
    width: 2 * padding + columns.reduce((a, b) => a + b, 0) + gap * (panels.length - 1),
    height: captionTop + (captioned ? textHeight : 0) + padding,
    channels: 3,
  };
  out.data = new Uint8Array(out.width * out.height * 3);
  fill(out, options.backgroundColor ?? [255, 255, 255]);
  let x = padding;
  panels.forEach((panel, i) => {
    paste(out, panel.image, x + Math.floor((columns[i] - panel.image.width) / 2), padding);
    if (panel.caption) {
      const { width } = measureText(panel.caption, scale);
      drawText(out, panel.caption, x + Math.floor((columns[i] - width) / 2), captionTop, {
        color: options.captionColor ?? [0, 0, 0],
        scale,
      });
    }
    x += columns[i] + gap;
  });
  return out;
}
