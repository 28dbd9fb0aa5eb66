/**
 * CAM methods on 1-D feature maps [N, C, T] (conv1d-sequence): one value per time step, up-sampled to the
 * input length; Grad-CAM peaks inside the ground-truth window of the class pattern.
 */
import { describe, expect, it } from 'vitest';
import { loadSequenceSamples } from '../../../src/data/samples.js';
import { EXPLAINERS } from '../../../src/explainers/index.js';
import { explainSequences } from '../../../src/methods/sequence/explain.js';
import { loadModel } from '../../../src/node/load.js';

describe('Grad-CAM on conv1d-sequence', () => {
  it('peaks inside the ground-truth window for at least 90% of the samples', async () => {
    const model = await loadModel('fixtures/conv1d-sequence/model.onnx');
    const set = loadSequenceSamples('conv1d-sequence');
    const items = set.sequences.map((values, i) => ({ values, length: set.lengths[i] }));
    const gradcam = EXPLAINERS.find((e) => e.id === 'gradcam')!;
    const results = await explainSequences(model, gradcam, items, { target: Array.from(set.labels) });
    let inside = 0;
    results.forEach((r, i) => {
      expect(r.map.dims).toEqual([1, set.lengths[i], 1]);
      const map = Array.from(r.map.data);
      const peak = map.indexOf(Math.max(...map));
      const [first, last] = set.windows[i];
      if (peak >= first && peak <= last) inside++;
    });
    const rate = inside / set.count;
    expect(rate).toBeGreaterThanOrEqual(0.9);
    // Control: the same maps against the windows of other sequences (shifted by one) score far lower.
    let shifted = 0;
    results.forEach((r, i) => {
      const map = Array.from(r.map.data);
      const peak = map.indexOf(Math.max(...map));
      const [first, last] = set.windows[(i + 1) % set.count];
      if (peak >= first && peak <= last) shifted++;
    });
    expect(shifted / set.count).toBeLessThan(0.4);
    await model.dispose();
  });
});
