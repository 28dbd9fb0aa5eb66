/**
 * An inline SVG scatter plot for the HTML report whose points show their item's thumbnail on hover. Every
 * thumbnail sits in one sprite sheet (a PNG data URI shown as a CSS background), so the page stays one file
 * with no external assets; a few lines of inline script move the tooltip. Colours follow vega's default
 * categorical scheme, so classes match the static plots.
 */
import { OptionError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { montage } from '../render/montage.js';
import { encodePng } from '../render/png.js';
import { escapeHtml, pngDataUri } from './html.js';

/** vega's "tableau10", then "tableau20"'s light tones for classes beyond ten. */
const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
  '#9ecae9',
  '#ffbf79',
  '#ff9d98',
  '#88d27a',
  '#f2cf5b',
  '#d6a5c9',
  '#fcbfd2',
  '#d8b5a5',
  '#79706e',
  '#83bcb6',
];

export function classColor(c: number): string {
  return PALETTE[((c % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export interface InteractiveScatterOptions {
  /** Unique element id on the page. */
  id: string;
  /** Class of each point (colour and legend). */
  classes: ArrayLike<number>;
  classNames?: readonly string[];
  /** Tooltip text per point (e.g. file name and class). */
  titles: readonly string[];
  /** Thumbnail per point, shown on hover. */
  thumbnails: readonly RawImage[];
  /** Side of a thumbnail in the sprite (default 32) and on screen (default 96). */
  spriteSide?: number;
  shownSide?: number;
  width?: number;
  height?: number;
  ariaLabel?: string;
}

function round(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** The scatter's HTML: SVG, tooltip element, scoped style and script. `xy` is n × 2 (row-major). */
export async function interactiveScatter(
  xy: ArrayLike<number>,
  options: InteractiveScatterOptions,
): Promise<string> {
  const n = options.titles.length;
  if (n === 0 || options.thumbnails.length !== n || options.classes.length !== n || xy.length < 2 * n) {
    throw new OptionError(
      'INVALID_INPUT',
      `interactive scatter needs one position, class, title and thumbnail per point (${n} titles, ${options.thumbnails.length} thumbnails, ${options.classes.length} classes, ${xy.length / 2} positions)`,
    );
  }
  const width = options.width ?? 560;
  const height = options.height ?? 480;
  const legendWidth = 150;
  const pad = 12;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, xy[2 * i]);
    maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]);
    maxY = Math.max(maxY, xy[2 * i + 1]);
  }
  const plotW = width - legendWidth - 2 * pad;
  const plotH = height - 2 * pad;
  const sx = (x: number) => pad + ((x - minX) / (maxX - minX || 1)) * plotW;
  // SVG y grows downwards; the embedding's y grows upwards.
  const sy = (y: number) => pad + plotH - ((y - minY) / (maxY - minY || 1)) * plotH;

  // Sprite tiles keep the first thumbnail's aspect ratio, the longer side `spriteSide` pixels.
  const side = options.spriteSide ?? 32;
  const first = options.thumbnails[0];
  const tileW =
    first.width >= first.height ? side : Math.max(1, Math.round((side * first.width) / first.height));
  const tileH =
    first.height >= first.width ? side : Math.max(1, Math.round((side * first.height) / first.width));
  const scale = (options.shownSide ?? 96) / side;
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const sprite = montage(options.thumbnails, {
    thumbnailSize: { width: tileW, height: tileH },
    gridSize: [null, cols],
    borderSize: 0,
  });
  const spriteUri = pngDataUri(await encodePng(sprite));
  const shownW = round(tileW * scale);
  const shownH = round(tileH * scale);

  const circles: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = options.classes[i];
    circles.push(
      `<circle cx="${round(sx(xy[2 * i]))}" cy="${round(sy(xy[2 * i + 1]))}" r="3.2" fill="${classColor(c)}" data-i="${i}"><title>${escapeHtml(options.titles[i])}</title></circle>`,
    );
  }
  const present = [...new Set(Array.from(options.classes))].sort((a, b) => a - b);
  const legend = present
    .map((c, k) => {
      const y = pad + 14 + k * 18;
      const name = options.classNames?.[c] ?? String(c);
      return `<circle cx="${width - legendWidth + 8}" cy="${y - 4}" r="5" fill="${classColor(c)}"/><text x="${width - legendWidth + 18}" y="${y}">${escapeHtml(name)}</text>`;
    })
    .join('');
  const id = escapeHtml(options.id);
  const label = escapeHtml(
    options.ariaLabel ?? 'scatter plot of an embedding; hover a point to see its image',
  );
  const style =
    `#${id}{position:relative;display:inline-block}#${id} svg{background:#fff;border:1px solid #ccc;font:12px sans-serif}` +
    `#${id} circle[data-i]{cursor:pointer;stroke:#fff;stroke-width:.4}#${id} circle[data-i]:hover{stroke:#000;stroke-width:1.5}` +
    `#${id} .nl-tip{position:absolute;pointer-events:none;background:#fff;border:1px solid #888;padding:4px;font:12px sans-serif;box-shadow:0 2px 6px rgba(0,0,0,.25)}` +
    `#${id} .nl-thumb{width:${shownW}px;height:${shownH}px;background-image:url(${spriteUri});` +
    `background-size:${round(sprite.width * scale)}px ${round(sprite.height * scale)}px;image-rendering:pixelated}`;
  // Hover shows the tile of the sprite for the point under the pointer, next to it.
  const script =
    `(function(){var root=document.getElementById(${JSON.stringify(options.id)});` +
    `var tip=root.querySelector('.nl-tip'),thumb=root.querySelector('.nl-thumb'),text=root.querySelector('.nl-text');` +
    `root.querySelector('svg').addEventListener('mouseover',function(e){var t=e.target;if(!t.hasAttribute||!t.hasAttribute('data-i'))return;` +
    `var i=+t.getAttribute('data-i');thumb.style.backgroundPosition=(-(i%${cols})*${shownW})+'px '+(-Math.floor(i/${cols})*${shownH})+'px';` +
    `text.textContent=t.querySelector('title').textContent;var b=root.getBoundingClientRect(),p=t.getBoundingClientRect();` +
    `tip.style.left=(p.left-b.left+10)+'px';tip.style.top=(p.top-b.top+10)+'px';tip.hidden=false;});` +
    `root.querySelector('svg').addEventListener('mouseout',function(e){if(e.target.hasAttribute&&e.target.hasAttribute('data-i'))tip.hidden=true;});})();`;
  return (
    `<div class="nl-scatter" id="${id}"><style>${style}</style>` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}">` +
    `<g>${circles.join('')}</g><g>${legend}</g></svg>` +
    `<div class="nl-tip" hidden><div class="nl-thumb"></div><div class="nl-text"></div></div>` +
    `<script>${script}</script></div>`
  );
}
