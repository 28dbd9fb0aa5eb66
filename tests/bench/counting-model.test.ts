/** The bench's pass counter counts what the model is asked to run, and changes nothing it returns. */
import { describe, expect, it } from 'vitest';
import { countingModel, type PassCounts } from '../../src/bench/counting-model.js';
import { road } from '../../src/eval/road.js';
import { fixtureModelPath } from '../../src/data/samples.js';
import { loadModel } from '../../src/node/load.js';
import { argmaxRows } from '../../src/methods/target.js';
import { saliency } from '../../src/methods/attribution/index.js';

describe('countingModel', () => {
  it('counts forward items and VJP items; results are those of the model itself', async () => {
    const model = await loadModel(fixtureModelPath('fashion-cnn'));
    const spec = model.inputSpec!;
    const n = 3;
    const size = spec.channels * spec.height * spec.width;
    const input = {
      data: Float32Array.from({ length: n * size }, (_, i) => Math.sin(i * 0.37)),
      dims: [n, spec.channels, spec.height, spec.width],
    };
    const counts: PassCounts = { forward: 0, vjp: 0 };
    const counted = countingModel(model, counts);
    const plain = await model.predict(input);
    expect((await counted.predict(input)).scores).toEqual(plain.scores);
    expect(counts).toEqual({ forward: n, vjp: 0 });

    const classes = argmaxRows(plain.scores);
    const direct = await saliency(model, input, { target: classes });
    counts.forward = 0;
    const viaCounter = await saliency(counted, input, { target: classes });
    expect(viaCounter.map.data).toEqual(direct.map.data);
    expect(counts.vjp).toBe(n);

    // ROAD scores every copy once: 2 orders x 3 fractions per image, plus nothing else.
    counts.forward = 0;
    counts.vjp = 0;
    const maps = { data: direct.map.data, dims: [n, spec.height, spec.width] };
    await road(counted, input, { maps, classes }, { fractions: [0.2, 0.5, 0.8] });
    expect(counts).toEqual({ forward: n * 2 * 3, vjp: 0 });
    await model.dispose();
  });
});
