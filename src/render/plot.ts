/**
 * Plots as vega-lite specs, rendered headless: to SVG by vega's SVG string renderer (no canvas), to PNG
 * by rasterising that SVG with sharp. Text uses a generic font family so any installed font (or none)
 * will do. Specs must carry their data inline: nothing is fetched while rendering.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { NetlensError, OptionError } from '../errors.js';

export type { TopLevelSpec } from 'vega-lite';

export const PLOT_FONT = 'sans-serif';

/** A loader that refuses every URL, so rendering never touches the network or the file system even if a
 * URL slips past the check in `renderSvg` (vega only logs failed loads). */
function inlineOnlyLoader(): ReturnType<typeof vega.loader> {
  const loader = vega.loader();
  const refuse = async (uri: string): Promise<never> => {
    throw new OptionError(
      'INVALID_OPTION',
      `plot specs must hold their data inline; refusing to load '${uri}'`,
    );
  };
  loader.load = refuse;
  loader.sanitize = refuse;
  return loader;
}

/** SVG text of a vega-lite spec. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let vegaSpec: vega.Spec;
  try {
    vegaSpec = compile(spec).spec;
  } catch (err) {
    throw new OptionError('INVALID_OPTION', `invalid vega-lite spec: ${firstLine(err)}`, { cause: err });
  }
  const url = findDataUrl(vegaSpec);
  if (url !== undefined) {
    throw new OptionError(
      'INVALID_OPTION',
      `plot specs must hold their data inline; the spec loads '${url}'`,
    );
  }
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', loader: inlineOnlyLoader() });
  try {
    return await view.toSVG();
  } catch (err) {
    if (err instanceof NetlensError) throw err;
    throw new OptionError('INVALID_OPTION', `plot could not be rendered: ${firstLine(err)}`, { cause: err });
  } finally {
    view.finalize();
  }
}

/** PNG bytes of a vega-lite spec, rasterised at `scale` × the spec's pixel size (default 2). */
export async function renderPlotPng(
  spec: TopLevelSpec,
  options: { scale?: number } = {},
): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 16))
    throw new OptionError('INVALID_OPTION', `plot scale ${scale} must be in (0, 16]`);
  const svg = await renderSvg(spec);
  const bytes = await sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Class (colour) of the point. */
  label: string;
  /** Image shown in interactive tooltips (URL or data: URL); not drawn in static renders. */
  image?: string;
  /** Extra fields shown in tooltips. */
  extra?: Record<string, string | number>;
}

export interface ScatterSpecOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  colorTitle?: string;
  width?: number;
  height?: number;
  /** Point area in square pixels (default 30). */
  pointSize?: number;
  /** Order of classes in the legend and colour scale (default: first appearance). */
  labelOrder?: readonly string[];
}

/** A scatter plot of 2-D points coloured by class, for embeddings such as t-SNE. */
export function scatterSpec(points: readonly ScatterPoint[], options: ScatterSpecOptions = {}): TopLevelSpec {
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new OptionError(
        'INVALID_OPTION',
        `scatter point ${i} has a non-finite coordinate (${p.x}, ${p.y})`,
      );
    }
  });
  const extraKeys = [...new Set(points.flatMap((p) => Object.keys(p.extra ?? {})))];
  const hasImages = points.some((p) => p.image !== undefined);
  const values = points.map((p) => ({
    ...p.extra,
    x: p.x,
    y: p.y,
    label: p.label,
    ...(p.image !== undefined ? { image: p.image } : {}),
  }));
  const domain = options.labelOrder ? [...options.labelOrder] : [...new Set(points.map((p) => p.label))];
  const colorTitle = options.colorTitle ?? 'class';
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 480,
    height: options.height ?? 480,
    background: 'white',
    data: { values },
    // Tooltip images would otherwise be copied into every point's aria-label in static SVGs.
    mark: { type: 'point', filled: true, size: options.pointSize ?? 30, opacity: 0.8, aria: !hasImages },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle ?? 'x', scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: options.yTitle ?? 'y', scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: colorTitle, scale: { domain } },
      tooltip: [
        { field: 'label', type: 'nominal', title: colorTitle },
        ...extraKeys.map((k) => ({ field: k, title: k })),
        // vega-tooltip shows a field named "image" as a picture.
        ...(hasImages ? [{ field: 'image', title: 'image' }] : []),
      ],
    },
    config: { font: PLOT_FONT },
  };
  return spec;
}

/** The first `url` of a data source anywhere in a (compiled) vega spec. */
function findDataUrl(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const url = findDataUrl(item);
      if (url !== undefined) return url;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as Record<string, unknown>;
  if (Array.isArray(record.data)) {
    for (const source of record.data) {
      const url = (source as { url?: unknown } | null)?.url;
      if (url !== undefined) return typeof url === 'string' ? url : JSON.stringify(url);
    }
  }
  return findDataUrl(Object.values(record).filter((v) => typeof v === 'object'));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
