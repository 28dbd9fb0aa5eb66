/** OnnxModel.preparedRun: the same outputs as `run`, written into one reused buffer, with typed errors. */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../src/data/samples.js';
import { loadModel } from '../src/node/load.js';

describe('preparedRun', () => {
  it('gives what run gives, for full and shorter batches, in a buffer the next call reuses', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-wine'));
    try {
      const x = loadTableSamples('tabular-mlp-wine', { normalized: true }).values;
      const m = 13;
      const prepared = await model.preparedRun(20);
      if (!prepared) throw new Error('the wine model should have a prepared run');
      for (const count of [20, 7, 20]) {
        const rows = x.subarray(0, count * m);
        const expected = (await model.run({ data: rows, dims: [count, m] }, [model.outputName]))[
          model.outputName
        ];
        const got = await prepared(rows, count);
        expect(Array.from(got)).toEqual(Array.from(expected.data));
      }
      const first = await prepared(x.subarray(0, 2 * m), 2);
      const again = await prepared(x.subarray(m, 3 * m), 2);
      expect(again.buffer).toBe(first.buffer);
      await expect(prepared(x.subarray(0, 21 * m), 21)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(prepared(x.subarray(0, 5), 1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await model.dispose();
    }
  });
});
