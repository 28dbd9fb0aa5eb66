/**
 * A sequence as a small line plot (every channel one coloured line over time, on white), drawn directly into
 * pixels so that montages of sequences (extremes, reports) need no plotting library and run anywhere.
 */
import { createImage, type RawImage } from '../../image/types.js';

/** Tableau-like palette, cycled over the channels. */
const PALETTE: [number, number, number][] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
  [31, 119, 180],
  [214, 39, 40],
];

function drawLine(image: RawImage, x0: number, y0: number, x1: number, y1: number, rgb: number[]): void {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let s = 0; s <= steps; s++) {
    const x = Math.round(x0 + ((x1 - x0) * s) / steps);
    const y = Math.round(y0 + ((y1 - y0) * s) / steps);
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
    const at = (y * image.width + x) * 3;
    image.data[at] = rgb[0];
    image.data[at + 1] = rgb[1];
    image.data[at + 2] = rgb[2];
  }
}

/** T × C values (time-major) as a width × height RGB line plot; the value range is the sequence's own. */
export function sequenceThumbnail(values: Float32Array, channels: number, width = 96, height = 48): RawImage {
  const image = createImage(width, height, 3, 255);
  const steps = values.length / channels;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi > lo ? hi - lo : 1;
  const x = (t: number) => (steps > 1 ? (t * (width - 1)) / (steps - 1) : (width - 1) / 2);
  const y = (v: number) => height - 2 - ((v - lo) / span) * (height - 3);
  for (let c = 0; c < channels; c++) {
    const rgb = PALETTE[c % PALETTE.length];
    for (let t = 1; t < steps; t++) {
      drawLine(image, x(t - 1), y(values[(t - 1) * channels + c]), x(t), y(values[t * channels + c]), rgb);
    }
  }
  return image;
}
