/**
 * Rendering: colormaps, map scaling, overlays, montages, text, PNG output and plots. `png.ts` and
 * `plot.ts` use sharp (Node); everything else is pure JS over plain buffers and runs in the browser too.
 */
export * from './colormap.js';
export * from './scale.js';
export * from './font.js';
export * from './overlay.js';
export * from './montage.js';
export * from './png.js';
export * from './plot.js';
