import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/load.js';
import { footprint, receptiveRange } from '../../src/onnx/local-prefix.js';
import { encodeModel } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { mobileLikeModel } from '../helpers/local-graphs.js';
import { cnnModel, seededValues } from '../helpers/onnx-models.js';

const [H, W] = [13, 11];

async function smoothModel(): Promise<OnnxModel> {
  return OnnxModel.create(encodeModel(mobileLikeModel({ height: H, width: W, smooth: true })), nodeRuntime);
}

/** Cells (y, x) of a [1, C, h, w] map where any channel differs. */
function changedCells(a: TensorData, b: TensorData): Set<string> {
  const [, c, h, w] = a.dims;
  const out = new Set<string>();
  for (let k = 0; k < c; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (k * h + y) * w + x;
        if (a.data[i] !== b.data[i]) out.add(`${y},${x}`);
      }
  return out;
}

function rectangle([y0, y1]: [number, number], [x0, x1]: [number, number]): Set<string> {
  const out = new Set<string>();
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.add(`${y},${x}`);
  return out;
}

describe('local prefix', () => {
  it('stops at the first op that mixes space and keeps only cuts that everything after reads through', async () => {
    const model = await smoothModel();
    const prefix = await model.localPrefix();
    expect(prefix?.endsAt).toMatch(/^GlobalAveragePool/);
    const layers = prefix!.cuts.map((c) => c.layer);
    // Inside the residual block nothing is a cut: the Add also reads the stem.
    expect(layers).toContain('stem');
    expect(layers).toContain('b1');
    expect(layers).not.toContain('b1.expand.act');
    expect(layers).toContain('features');
    expect(prefix!.cuts.find((c) => c.layer === 'b2')!.rows.stride).toBe(4);
  });

  it('ends at the global pool of the small test CNN', async () => {
    const model = await OnnxModel.create(encodeModel(cnnModel()), nodeRuntime);
    const prefix = await model.localPrefix();
    // conv → relu are local; the pool mixes space.
    expect(prefix?.cuts.map((c) => c.layer)).toEqual(['conv1', 'relu1']);
  });

  it('footprint = the cells that change when one input pixel changes (brute force, every pixel, every cut)', async () => {
    const model = await smoothModel();
    const prefix = (await model.localPrefix())!;
    const x: TensorData = { data: seededValues(3 * H * W, 5), dims: [1, 3, H, W] };
    const layers = prefix.cuts.map((c) => c.layer);
    const base = await model.run(x, layers);
    let checked = 0;
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        const moved = { data: Float32Array.from(x.data), dims: x.dims };
        moved.data[1 * H * W + y * W + xx] += 0.5;
        const out = await model.run(moved, layers);
        for (const cut of prefix.cuts) {
          const expected = rectangle(footprint(cut.rows, y, y + 1), footprint(cut.cols, xx, xx + 1));
          expect(changedCells(base[cut.layer], out[cut.layer]), `${cut.layer} at (${y}, ${xx})`).toEqual(
            expected,
          );
          checked++;
        }
      }
    }
    expect(checked).toBe(H * W * layers.length);
  });

  it("a cut's geometry over an earlier cut matches running the piece between them (brute force)", async () => {
    const model = await smoothModel();
    const prefix = (await model.localPrefix())!;
    const x: TensorData = { data: seededValues(3 * H * W, 6), dims: [1, 3, H, W] };
    const from = 'stem';
    const to = prefix.cuts.find((c) => c.layer === 'features')!;
    const g = to.from[from];
    const base = (await model.run(x, [from]))[from];
    const baseOut = await model.runLocal(from, to.layer, base);
    const [, , h, w] = base.dims;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const moved = { data: Float32Array.from(base.data), dims: base.dims };
        moved.data[3 * h * w + y * w + xx] += 0.5;
        const out = await model.runLocal(from, to.layer, moved);
        expect(changedCells(baseOut, out)).toEqual(
          rectangle(footprint(g.rows, y, y + 1), footprint(g.cols, xx, xx + 1)),
        );
      }
    }
  });

  it('receptiveRange is the input range the footprint cells read, cut to the image', () => {
    const g = { stride: 4, start: -5, extent: 11, size: 10 };
    expect(receptiveRange(g, [0, 2], 40)).toEqual([0, 14]);
    expect(receptiveRange(g, [8, 9], 40)).toEqual([27, 40]);
    // A pixel is read by exactly the cells of its footprint.
    for (let p = 0; p < 40; p++) {
      const [a, b] = footprint(g, p, p + 1);
      for (let j = 0; j < g.size; j++) {
        const reads = g.start + j * g.stride <= p && p < g.start + j * g.stride + g.extent;
        expect(j >= a && j <= b).toBe(reads);
      }
    }
  });
});
