/**
 * SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel Methods",
 * TPAMI 2012): k-means in (colour, x, y) space with each centre searching only a 2S x 2S window.
 *
 * Colour is CIELAB for RGB images and intensity (scaled to L's 0..100 range) for gray ones, so
 * `compactness` means the same thing for both. Seeds start on a regular grid and move to the lowest
 * gradient in their 3x3 neighbourhood; after the iterations, fragments cut off from their segment are
 * merged into an adjacent segment, so every returned segment is 4-connected.
 */
import { OptionError } from '../../errors.js';

export interface SlicOptions {
  /** Wanted number of segments (the result has about this many). */
  numSegments: number;
  /** Weight of spatial against colour distance; larger gives squarer segments (default 10). */
  compactness?: number;
  /** k-means iterations (default 10). */
  iterations?: number;
  /**
   * 'slic0' (default, as MATLAB's `superpixels`): `compactness` holds for the first iteration, then each
   * cluster's colour scale adapts to the largest colour distance inside it (Achanta's SLICO), which keeps
   * superpixels compact in textured regions. 'slic': `compactness` holds throughout.
   */
  method?: 'slic0' | 'slic';
}

/** A planar float image: `channels` planes of height x width, values in [0, 1]. */
export interface PlanarImage {
  data: Float32Array;
  height: number;
  width: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
}

export interface Segmentation {
  /** Segment id per pixel, row-major, ids 0..count-1. */
  labels: Int32Array;
  height: number;
  width: number;
  count: number;
}

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116;
}

/** sRGB in [0, 1] to CIELAB (D65 white), as three planes. */
export function rgbToLab(image: PlanarImage): Float32Array {
  const n = image.height * image.width;
  const out = new Float32Array(3 * n);
  const d = image.data;
  for (let p = 0; p < n; p++) {
    const r = srgbToLinear(d[p]);
    const g = srgbToLinear(d[n + p]);
    const b = srgbToLinear(d[2 * n + p]);
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
    const fx = labF(x);
    const fy = labF(y);
    const fz = labF(z);
    out[p] = 116 * fy - 16;
    out[n + p] = 500 * (fx - fy);
    out[2 * n + p] = 200 * (fy - fz);
  }
  return out;
}

/** The colour features SLIC clusters on: Lab for RGB, 100 x intensity for gray. */
function colourFeatures(image: PlanarImage): { features: Float32Array; dims: number } {
  if (image.channels === 3) return { features: rgbToLab(image), dims: 3 };
  if (image.channels === 1) {
    const features = new Float32Array(image.data.length);
    for (let i = 0; i < features.length; i++) features[i] = 100 * image.data[i];
    return { features, dims: 1 };
  }
  throw new OptionError(
    'INVALID_OPTION',
    `superpixels need a gray or RGB image, got ${image.channels} channels`,
  );
}

export function slic(image: PlanarImage, options: SlicOptions): Segmentation {
  const { height, width } = image;
  const n = height * width;
  const k = options.numSegments;
  const compactness = options.compactness ?? 10;
  const iterations = options.iterations ?? 10;
  const method = options.method ?? 'slic0';
  if (method !== 'slic0' && method !== 'slic') {
    throw new OptionError(
      'INVALID_OPTION',
      `superpixel method must be 'slic0' or 'slic', got ${String(method)}`,
    );
  }
  if (!Number.isInteger(k) || k < 1)
    throw new OptionError('INVALID_OPTION', `numSegments must be a positive integer, got ${k}`);
  if (!(compactness > 0))
    throw new OptionError('INVALID_OPTION', `compactness must be positive, got ${compactness}`);
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new OptionError('INVALID_OPTION', `iterations must be a positive integer, got ${iterations}`);
  }
  const { features, dims } = colourFeatures(image);

  // Seed grid: about k cells of side S, shaped like the image.
  const step = Math.sqrt(n / k);
  const gridRows = Math.max(1, Math.min(height, Math.round(height / step)));
  const gridCols = Math.max(1, Math.min(width, Math.round(width / step)));
  const centers = gridRows * gridCols;
  const cy = new Float64Array(centers);
  const cx = new Float64Array(centers);
  const cc = new Float64Array(centers * dims);

  const gradient = (y: number, x: number): number => {
    const xl = Math.max(x - 1, 0);
    const xr = Math.min(x + 1, width - 1);
    const yu = Math.max(y - 1, 0);
    const yd = Math.min(y + 1, height - 1);
    let g = 0;
    for (let d = 0; d < dims; d++) {
      const plane = d * n;
      const gx = features[plane + y * width + xr] - features[plane + y * width + xl];
      const gy = features[plane + yd * width + x] - features[plane + yu * width + x];
      g += gx * gx + gy * gy;
    }
    return g;
  };

  for (let i = 0; i < gridRows; i++) {
    for (let j = 0; j < gridCols; j++) {
      const y0 = Math.min(height - 1, Math.floor(((i + 0.5) * height) / gridRows));
      const x0 = Math.min(width - 1, Math.floor(((j + 0.5) * width) / gridCols));
      // Move off edges and noise: lowest gradient in the 3x3 neighbourhood.
      let by = y0;
      let bx = x0;
      let best = gradient(y0, x0);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const y = y0 + dy;
          const x = x0 + dx;
          if (y < 0 || y >= height || x < 0 || x >= width) continue;
          const g = gradient(y, x);
          if (g < best) {
            best = g;
            by = y;
            bx = x;
          }
        }
      }
      const c = i * gridCols + j;
      cy[c] = by;
      cx[c] = bx;
      for (let d = 0; d < dims; d++) cc[c * dims + d] = features[d * n + by * width + bx];
    }
  }

  const labels = new Int32Array(n).fill(-1);
  const distance = new Float64Array(n);
  const colourDistance = new Float64Array(n);
  // D = colour² / M_k + spatial² / S². SLIC: M_k = m² for every cluster (m = compactness). SLIC0: M_k starts
  // at m² and grows to the largest colour distance seen inside cluster k, so textured clusters stay compact.
  const colourScale = new Float64Array(centers).fill(compactness * compactness);
  const invArea = 1 / (step * step);
  const window = Math.ceil(step);
  const sums = new Float64Array(centers * (dims + 3));

  for (let it = 0; it < iterations; it++) {
    distance.fill(Infinity);
    for (let c = 0; c < centers; c++) {
      const y0 = Math.max(0, Math.floor(cy[c] - window));
      const y1 = Math.min(height - 1, Math.ceil(cy[c] + window));
      const x0 = Math.max(0, Math.floor(cx[c] - window));
      const x1 = Math.min(width - 1, Math.ceil(cx[c] + window));
      const invColour = 1 / colourScale[c];
      for (let y = y0; y <= y1; y++) {
        const dy = y - cy[c];
        for (let x = x0; x <= x1; x++) {
          const p = y * width + x;
          const dx = x - cx[c];
          let dc = 0;
          for (let d = 0; d < dims; d++) {
            const diff = features[d * n + p] - cc[c * dims + d];
            dc += diff * diff;
          }
          const dist = dc * invColour + (dx * dx + dy * dy) * invArea;
          if (dist < distance[p]) {
            distance[p] = dist;
            colourDistance[p] = dc;
            labels[p] = c;
          }
        }
      }
    }
    if (method === 'slic0') {
      for (let p = 0; p < n; p++) {
        const c = labels[p];
        if (c >= 0 && colourDistance[p] > colourScale[c]) colourScale[c] = colourDistance[p];
      }
    }
    // Move each centre to the mean of its pixels; a centre that lost all pixels stays put.
    sums.fill(0);
    const stride = dims + 3;
    for (let p = 0; p < n; p++) {
      const c = labels[p];
      if (c < 0) continue;
      const o = c * stride;
      sums[o] += 1;
      sums[o + 1] += Math.floor(p / width);
      sums[o + 2] += p % width;
      for (let d = 0; d < dims; d++) sums[o + 3 + d] += features[d * n + p];
    }
    for (let c = 0; c < centers; c++) {
      const o = c * stride;
      const count = sums[o];
      if (count === 0) continue;
      cy[c] = sums[o + 1] / count;
      cx[c] = sums[o + 2] / count;
      for (let d = 0; d < dims; d++) cc[c * dims + d] = sums[o + 3 + d] / count;
    }
  }
  // Pixels no window reached (only possible when windows do not overlap the image fully) take the
  // nearest centre in space.
  for (let p = 0; p < n; p++) {
    if (labels[p] >= 0) continue;
    const y = Math.floor(p / width);
    const x = p % width;
    let best = Infinity;
    for (let c = 0; c < centers; c++) {
      const d = (y - cy[c]) ** 2 + (x - cx[c]) ** 2;
      if (d < best) {
        best = d;
        labels[p] = c;
      }
    }
  }
  return enforceConnectivity(labels, height, width, Math.max(1, Math.round(n / centers / 4)));
}

/**
 * Makes every segment 4-connected. Each label keeps its largest connected piece (when it has at least
 * `minSize` pixels); every other piece — an orphaned fragment, or a piece too small to stand alone — is
 * merged into the adjacent segment it shares the longest border with. Merging only ever joins touching
 * pieces, so every final segment is connected. Ids come out as 0..count-1 in raster order.
 */
export function enforceConnectivity(
  labels: Int32Array,
  height: number,
  width: number,
  minSize: number,
): Segmentation {
  const n = height * width;
  const component = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  const sizes: number[] = [];
  const labelOf: number[] = [];
  for (let start = 0; start < n; start++) {
    if (component[start] >= 0) continue;
    const id = sizes.length;
    const original = labels[start];
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    component[start] = id;
    while (head < tail) {
      const p = queue[head++];
      const x = p % width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
      for (const q of neighbours) {
        if (q >= 0 && q < n && component[q] < 0 && labels[q] === original) {
          component[q] = id;
          queue[tail++] = q;
        }
      }
    }
    sizes.push(tail);
    labelOf.push(original);
  }
  const count = sizes.length;
  // The largest piece of each label stands on its own if big enough; everything else gets merged.
  const largest = new Map<number, number>();
  for (let c = 0; c < count; c++) {
    const best = largest.get(labelOf[c]);
    if (best === undefined || sizes[c] > sizes[best]) largest.set(labelOf[c], c);
  }
  const root = new Int32Array(count).fill(-1);
  for (const c of largest.values()) if (sizes[c] >= minSize) root[c] = c;

  // Shared border lengths of each piece still to merge.
  const borders = new Map<number, Map<number, number>>();
  const addBorder = (a: number, b: number) => {
    if (root[a] >= 0) return;
    let row = borders.get(a);
    if (!row) borders.set(a, (row = new Map()));
    row.set(b, (row.get(b) ?? 0) + 1);
  };
  for (let p = 0; p < n; p++) {
    const a = component[p];
    const right = p % width < width - 1 ? component[p + 1] : a;
    const below = p + width < n ? component[p + width] : a;
    if (right !== a) {
      addBorder(a, right);
      addBorder(right, a);
    }
    if (below !== a) {
      addBorder(a, below);
      addBorder(below, a);
    }
  }
  let pending = [...Array(count).keys()].filter((c) => root[c] < 0);
  while (pending.length > 0) {
    const still: number[] = [];
    for (const c of pending) {
      let target = -1;
      let longest = 0;
      for (const [other, length] of borders.get(c) ?? []) {
        if (root[other] >= 0 && (length > longest || (length === longest && root[other] < target))) {
          longest = length;
          target = root[other];
        }
      }
      if (target >= 0) root[c] = target;
      else still.push(c);
    }
    if (still.length === pending.length) {
      // Nothing settled borders these pieces yet (only possible when no piece was big enough): the largest
      // one stands on its own and the rest can merge into it.
      const biggest = still.reduce((a, b) => (sizes[b] > sizes[a] ? b : a));
      root[biggest] = biggest;
      pending = still.filter((c) => c !== biggest);
    } else {
      pending = still;
    }
  }
  const finalId = new Int32Array(count).fill(-1);
  const out = new Int32Array(n);
  let next = 0;
  for (let p = 0; p < n; p++) {
    const r = root[component[p]];
    if (finalId[r] < 0) finalId[r] = next++;
    out[p] = finalId[r];
  }
  return { labels: out, height, width, count: next };
}
