/** `evaluateExplainers`: the method × metric table, its ranking, reproducibility and its input errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { evaluateExplainers, rankMethods, type MethodEvaluation } from '../../src/eval/evaluate.js';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import type { ProgressEvent, TensorData } from '../../src/types.js';

const pick = (...ids: string[]) => ids.map((id) => EXPLAINERS.find((e) => e.id === id)!);

let model: OnnxModel;
let input: TensorData;
const set = loadImageSamples('shapes-cnn');
const N = 3;
beforeAll(async () => {
  model = await loadModel(fixtureModelPath('shapes-cnn'));
  const images = Array.from({ length: N }, (_, i) => ({
    data: imagePixels(set, i),
    width: 64,
    height: 64,
    channels: 3 as const,
  }));
  input = imagesToTensor(images, model.inputSpec!);
});
afterAll(async () => model.dispose());

describe('evaluateExplainers', () => {
  const options = {
    metrics: [
      'deletion',
      'road',
      'faithfulness-correlation',
      'infidelity',
      'sensitivity',
      'localisation',
      'complexity',
    ] as const,
    groundTruth: { boxes: set.boxes!.slice(0, N) },
    replacement: 'noise' as const,
    steps: 8,
    numSamples: 4,
    methodOptions: { smoothgrad: { numSamples: 4 } },
  };

  it('same seed → identical numbers; another seed changes the random parts', async () => {
    const events: ProgressEvent[] = [];
    const a = await evaluateExplainers(model, input, pick('gradcam', 'smoothgrad'), {
      ...options,
      seed: 5,
      onProgress: (e) => events.push(e),
    });
    const b = await evaluateExplainers(model, input, pick('gradcam', 'smoothgrad'), { ...options, seed: 5 });
    const c = await evaluateExplainers(model, input, pick('gradcam', 'smoothgrad'), {
      ...options,
      metrics: ['infidelity'],
      seed: 6,
    });
    const numbers = (r: typeof a) =>
      r.methods.map((m) => ({ values: m.values, summary: m.summary, maps: [...m.maps.data] }));
    expect(numbers(b)).toEqual(numbers(a));
    expect(a.ranking).toEqual(b.ranking);
    expect(numbers(c)[0].values.infidelity).not.toEqual(numbers(a)[0].values.infidelity);
    expect(numbers(c)[1].maps).not.toEqual(numbers(a)[1].maps);
    // Every column has one number per image and an interval around its mean.
    for (const m of a.methods) {
      for (const column of a.columns) {
        expect(m.values[column.key]).toHaveLength(N);
        const s = m.summary[column.key];
        if (Number.isFinite(s.mean)) expect(s.low <= s.mean && s.mean <= s.high).toBe(true);
      }
      expect(m.curves.deletion!.mean).toHaveLength(9);
    }
    expect(events.at(-1)).toMatchObject({ done: 2 * 8, total: 2 * 8 });
  });

  it('ranks by mean rank over columns, respecting which way is better', () => {
    const method = (name: string, deletion: number, insertion: number): MethodEvaluation => ({
      method: name,
      title: name,
      values: {},
      curves: {},
      maps: { data: new Float32Array(0), dims: [0, 0, 0] },
      summary: {
        deletion: { mean: deletion, low: deletion, high: deletion, count: 1 },
        insertion: { mean: insertion, low: insertion, high: insertion, count: 1 },
      },
    });
    const columns = [
      { key: 'deletion', title: 'Deletion', better: 'lower' as const },
      { key: 'insertion', title: 'Insertion', better: 'higher' as const },
    ];
    const ranking = rankMethods(
      [method('a', 0.5, 0.5), method('b', 0.2, 0.9), method('c', 0.2, 0.1)],
      columns,
    );
    expect(ranking).toEqual([
      { method: 'b', meanRank: 1.25 },
      { method: 'c', meanRank: 2.25 },
      { method: 'a', meanRank: 2.5 },
    ]);
  });

  it('names what is missing: ground truth, the model graph, images; suggests metric names', async () => {
    await expect(
      evaluateExplainers(model, input, pick('gradcam'), { metrics: ['localisation'] }),
    ).rejects.toThrow(/metric 'localisation' needs ground truth \(object boxes or masks\)/);
    await expect(
      evaluateExplainers(model, input, pick('gradcam'), { metrics: ['randomization'] }),
    ).rejects.toThrow(/needs the model's ONNX graph/);
    await expect(
      evaluateExplainers(model, input, pick('gradcam'), { metrics: ['delition' as never] }),
    ).rejects.toThrow(/unknown metric "delition": did you mean "deletion"/);
    await expect(
      evaluateExplainers(model, { data: new Float32Array(0), dims: [0, 3, 64, 64] }, pick('gradcam')),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // Without an explicit list, metrics whose needs are not met are left out with the reason.
    const one = { data: input.data.subarray(0, 3 * 64 * 64), dims: [1, 3, 64, 64] };
    const r = await evaluateExplainers(model, one, pick('gradcam'), { steps: 4, numSamples: 2 });
    expect(r.skipped.map((s) => s.metric)).toEqual([
      'randomization',
      'independent-randomization',
      'localisation',
    ]);
  });
});
