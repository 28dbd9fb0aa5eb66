/**
 * Pictures of maximal / minimal activating items: per class or channel a two-row montage (top row: highest
 * scores, bottom row: lowest), each tile labelled with its score and true class; the confident mistakes as
 * one row labelled "probability true>predicted". Small inputs are enlarged so the labels fit.
 */
import { OptionError, UnsupportedError } from '../../errors.js';
import type { RawImage } from '../../image/types.js';
import { measureText } from '../../render/font.js';
import { montage, sideBySide } from '../../render/montage.js';
import type { ExtremeItem, ExtremeSet, ExtremesResult, MistakeItem } from './extremes.js';
import type { DatasetSource } from './source.js';

export interface ExtremesFigureOptions {
  /** Class names for labels (default: the source's, else class indices). */
  classNames?: readonly string[];
  /** Smallest tile side in pixels; inputs are enlarged by an integer factor to reach it (default 112). */
  minTileSide?: number;
}

const WHITE: [number, number, number] = [255, 255, 255];
const BLACK: [number, number, number] = [0, 0, 0];

function className(c: number | undefined, names: readonly string[] | undefined): string {
  if (c === undefined) return '?';
  return names?.[c] ?? String(c);
}

function formatScore(value: number, kind: ExtremesResult['score']): string {
  if (kind === 'probability')
    return value >= 0.001 || value === 0 ? value.toFixed(3) : value.toExponential(0);
  return value.toPrecision(3);
}

async function pictures(source: DatasetSource, items: readonly number[]): Promise<RawImage[]> {
  const picture = source.picture?.bind(source);
  if (!picture) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      'the data set has no pictures (not images), so there is nothing to show',
    );
  }
  const out: RawImage[] = [];
  for (const i of items) out.push(await picture(i));
  return out;
}

/** Enlarged by an integer factor so each side reaches `minSide` and the longest label fits under a tile. */
function tileMontage(
  images: RawImage[],
  labels: string[],
  rows: number,
  cols: number,
  minSide: number,
): RawImage {
  const first = images[0];
  const labelWidth = measureText(labels.reduce((a, b) => (b.length > a.length ? b : a), '')).width;
  const factor = Math.max(
    1,
    Math.ceil(minSide / Math.max(first.width, first.height)),
    Math.ceil((labelWidth + 2) / first.width),
  );
  return montage(images, {
    thumbnailSize: { width: first.width * factor, height: first.height * factor },
    resizeMethod: factor > 1 ? 'nearest' : 'bilinear',
    gridSize: [rows, cols],
    labels,
    labelPosition: 'below',
    borderSize: 2,
    backgroundColor: WHITE,
    labelColor: BLACK,
  });
}

/** Title of a set, e.g. "Coat (probability)" or "channel 3 of layer L". */
export function setTitle(set: ExtremeSet, result: ExtremesResult, classNames?: readonly string[]): string {
  if (set.kind === 'class') return `${className(set.class, classNames)} (${result.score})`;
  return `channel ${set.channel} of ${set.layer} (mean activation)`;
}

/** Two rows for one class or channel: highest scores on top, lowest below. */
export async function extremeSetFigure(
  source: DatasetSource,
  set: ExtremeSet,
  result: ExtremesResult,
  options: ExtremesFigureOptions = {},
): Promise<RawImage> {
  const names = options.classNames ?? source.classNames;
  const items: ExtremeItem[] = [...set.highest, ...set.lowest];
  if (items.length === 0)
    throw new OptionError('INVALID_INPUT', `no items were ranked for ${setTitle(set, result, names)}`);
  const cols = Math.max(set.highest.length, set.lowest.length);
  // Pad the shorter row so the lowest scores always start a new row.
  const tiles = [
    ...set.highest,
    ...new Array<ExtremeItem | null>(cols - set.highest.length).fill(null),
    ...set.lowest,
  ];
  const shown = tiles.filter((t): t is ExtremeItem => t !== null);
  const images = await pictures(
    source,
    shown.map((t) => t.index),
  );
  const blank: RawImage = { ...images[0], data: new Uint8Array(images[0].data.length).fill(255) };
  let next = 0;
  const tileImages = tiles.map((t) => (t === null ? blank : images[next++]));
  const labels = tiles.map((t) =>
    t === null ? '' : `${formatScore(t.score, result.score)} ${className(t.label ?? t.predicted, names)}`,
  );
  const grid = tileMontage(tileImages, labels, 2, cols, options.minTileSide ?? 112);
  const among =
    set.kind === 'class' && set.ranked < result.count ? ` among the ${set.ranked} items of the class` : '';
  const tileClass = set.highest[0]?.label !== undefined ? 'true class' : 'predicted class';
  const caption = `${setTitle(set, result, names)}: top row highest, bottom row lowest${among}; tiles: score, ${tileClass}`;
  return sideBySide([{ image: grid, caption }], { backgroundColor: WHITE });
}

/** The most confident mistakes in one row, labelled "probability true>predicted". */
export async function mistakesFigure(
  source: DatasetSource,
  mistakes: readonly MistakeItem[],
  options: ExtremesFigureOptions = {},
): Promise<RawImage> {
  if (mistakes.length === 0)
    throw new OptionError('INVALID_INPUT', 'the model made no mistakes on the data set');
  const names = options.classNames ?? source.classNames;
  const images = await pictures(
    source,
    mistakes.map((m) => m.index),
  );
  const labels = mistakes.map(
    (m) => `${m.probability.toFixed(2)} ${className(m.label, names)}>${className(m.predicted, names)}`,
  );
  const grid = tileMontage(images, labels, 1, mistakes.length, options.minTileSide ?? 112);
  return sideBySide(
    [{ image: grid, caption: 'most confident mistakes: probability, true class > predicted class' }],
    {
      backgroundColor: WHITE,
    },
  );
}

/** Images one under another, left-aligned on white. */
export function stackVertically(images: readonly RawImage[], gap = 8): RawImage {
  const width = Math.max(...images.map((i) => i.width));
  const height = images.reduce((h, i) => h + i.height, 0) + gap * (images.length - 1);
  const out: RawImage = { data: new Uint8Array(width * height * 3).fill(255), width, height, channels: 3 };
  let y = 0;
  for (const image of images) {
    const rgb = image.channels === 3 ? image : montage([image], { borderSize: 0 });
    for (let row = 0; row < rgb.height; row++) {
      out.data.set(rgb.data.subarray(row * rgb.width * 3, (row + 1) * rgb.width * 3), (y + row) * width * 3);
    }
    y += image.height + gap;
  }
  return out;
}

/** Every set of `result` (and its mistakes, when listed and `withMistakes`), stacked. */
export async function extremesFigure(
  source: DatasetSource,
  result: ExtremesResult,
  options: ExtremesFigureOptions & { withMistakes?: boolean } = {},
): Promise<RawImage> {
  const parts: RawImage[] = [];
  for (const set of result.sets) {
    if (set.highest.length + set.lowest.length > 0)
      parts.push(await extremeSetFigure(source, set, result, options));
  }
  if ((options.withMistakes ?? true) && result.mistakes && result.mistakes.length > 0) {
    parts.push(await mistakesFigure(source, result.mistakes, options));
  }
  if (parts.length === 0) throw new OptionError('INVALID_INPUT', 'nothing to show: no items were ranked');
  return stackVertically(parts);
}
