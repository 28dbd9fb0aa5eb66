/**
 * Max/min activating items: the streaming top-k against a full sort, class and channel extremes on fashion-cnn
 * against scores computed in one shot and sorted, and confident mistakes against the full list of mistakes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { channelExtremes, classExtremes, confidentMistakes } from '../../src/methods/dataset/extremes.js';
import { extremesFigure } from '../../src/methods/dataset/extremes-figure.js';
import { sampleSetSource } from '../../src/methods/dataset/node-sources.js';
import type { DatasetSource } from '../../src/methods/dataset/source.js';
import { StreamingTopK } from '../../src/methods/dataset/top-k.js';
import { loadModel } from '../../src/node/load.js';
import type { Model, Prediction } from '../../src/types.js';
import { seededValues } from '../helpers/onnx-models.js';

/** Indices sorted by score (descending for 'highest'), ties by index: the full-sort reference. */
function fullSort(scores: ArrayLike<number>, items: number[], order: 'highest' | 'lowest'): number[] {
  const sign = order === 'highest' ? -1 : 1;
  return [...items].sort((a, b) => sign * (scores[a] - scores[b]) || a - b);
}

describe('StreamingTopK', () => {
  it('keeps exactly the k best of a stream with ties, in order, for every k', () => {
    // Values rounded to one decimal so many scores tie.
    const scores = Array.from(seededValues(300, 7), (v) => Math.round(v * 10) / 10);
    const all = scores.map((_, i) => i);
    for (const order of ['highest', 'lowest'] as const) {
      for (const k of [1, 2, 5, 37, 299, 300, 400]) {
        const heap = new StreamingTopK(k, order);
        scores.forEach((s, i) => heap.push(i, s));
        const got = heap.result();
        expect(got.map((g) => g.index)).toEqual(fullSort(scores, all, order).slice(0, k));
        expect(got.map((g) => g.score)).toEqual(got.map((g) => scores[g.index]));
      }
    }
  });

  it('never selects NaN and rejects a bad k', () => {
    const heap = new StreamingTopK(2, 'lowest');
    [NaN, 3, NaN, 1, 2].forEach((s, i) => heap.push(i, s));
    expect(heap.result()).toEqual([
      { index: 3, score: 1 },
      { index: 4, score: 2 },
    ]);
    expect(() => new StreamingTopK(0)).toThrow(/positive integer/);
  });
});

describe('extremes on fashion-cnn', () => {
  const count = 240;
  let model: Model;
  let source: DatasetSource;
  let prediction: Prediction;
  beforeAll(async () => {
    model = await loadModel('fixtures/fashion-cnn/model.onnx');
    source = sampleSetSource('fashion-cnn', model.inputSpec, { limit: count });
    prediction = await model.predict(await source.read([...Array(count).keys()]));
  });

  const column = (data: Float32Array, c: number) => Array.from({ length: count }, (_, i) => data[i * 10 + c]);

  it('per class, the top-k are the k highest probabilities and the bottom-k the lowest (full sort)', async () => {
    const k = 6;
    const labels = source.labels!;
    for (const among of ['all', 'class'] as const) {
      const result = await classExtremes(model, source, {
        k,
        among,
        miniBatchSize: 50,
        classes: [0, 'Coat', 9],
      });
      expect(result.sets.map((s) => s.class)).toEqual([0, 4, 9]);
      for (const set of result.sets) {
        const scores = column(prediction.probabilities.data, set.class!);
        const items = [...Array(count).keys()].filter((i) => among === 'all' || labels[i] === set.class);
        expect(set.ranked).toBe(items.length);
        const high = fullSort(scores, items, 'highest').slice(0, k);
        const low = fullSort(scores, items, 'lowest').slice(0, k);
        expect(set.highest.map((h) => h.index)).toEqual(high);
        expect(set.lowest.map((h) => h.index)).toEqual(low);
        for (const item of [...set.highest, ...set.lowest]) {
          expect(item.score).toBeCloseTo(scores[item.index], 6);
          expect(item.label).toBe(labels[item.index]);
        }
        // The k highest really are at least every other score.
        const rest = items.filter((i) => !high.includes(i)).map((i) => scores[i]);
        expect(Math.min(...high.map((i) => scores[i]))).toBeGreaterThanOrEqual(Math.max(...rest));
      }
    }
  });

  it("score 'logit' ranks by the pre-softmax scores", async () => {
    const result = await classExtremes(model, source, { k: 4, score: 'logit', among: 'all', classes: [3] });
    const logits = column(prediction.scores.data, 3);
    const all = [...Array(count).keys()];
    expect(result.sets[0].highest.map((h) => h.index)).toEqual(fullSort(logits, all, 'highest').slice(0, 4));
    expect(result.sets[0].lowest.map((h) => h.index)).toEqual(fullSort(logits, all, 'lowest').slice(0, 4));
  });

  it('the most confident mistakes are the mistakes sorted by the probability of the wrong class', async () => {
    const labels = source.labels!;
    const mistakes: { index: number; probability: number; predicted: number }[] = [];
    for (let i = 0; i < count; i++) {
      const row = Array.from(prediction.probabilities.data.subarray(i * 10, (i + 1) * 10));
      const predicted = row.indexOf(Math.max(...row));
      if (predicted !== labels[i]) mistakes.push({ index: i, probability: row[predicted], predicted });
    }
    expect(mistakes.length).toBeGreaterThan(8);
    mistakes.sort((a, b) => b.probability - a.probability || a.index - b.index);
    const got = await confidentMistakes(model, source, { k: 8, miniBatchSize: 64 });
    expect(got.map((m) => m.index)).toEqual(mistakes.slice(0, 8).map((m) => m.index));
    for (const m of got) {
      expect(m.predicted).not.toBe(m.label);
      expect(m.label).toBe(labels[m.index]);
    }
    const result = await classExtremes(model, source, { k: 3, mistakes: 5, classes: [1] });
    expect(result.accuracy).toBeCloseTo(1 - mistakes.length / count, 10);
    expect(result.mistakes!.map((m) => m.index)).toEqual(mistakes.slice(0, 5).map((m) => m.index));
  });

  it('a channel of any layer is ranked by its mean over space', async () => {
    const layer = '/features/features.1/features.1.2/Relu_output_0';
    const whole = (await model.activations(await source.read([...Array(count).keys()]), [layer]))[layer];
    expect(whole.dims).toEqual([count, 32, 14, 14]);
    const channel = 5;
    const means = Array.from({ length: count }, (_, i) => {
      const base = (i * 32 + channel) * 196;
      let sum = 0;
      for (let p = 0; p < 196; p++) sum += whole.data[base + p];
      return sum / 196;
    });
    const result = await channelExtremes(model, source, {
      layer,
      channels: [channel],
      k: 5,
      miniBatchSize: 100,
    });
    const all = [...Array(count).keys()];
    expect(result.sets[0].highest.map((h) => h.index)).toEqual(fullSort(means, all, 'highest').slice(0, 5));
    expect(result.sets[0].lowest.map((h) => h.index)).toEqual(fullSort(means, all, 'lowest').slice(0, 5));
    await expect(channelExtremes(model, source, { layer, channels: [32] })).rejects.toThrow(/0\.\.31/);
  });

  it('draws two rows per class plus the mistakes, tiles enlarged so labels fit', async () => {
    const result = await classExtremes(model, source, { k: 3, mistakes: 2, classes: ['Bag'] });
    const figure = await extremesFigure(source, result);
    // 28-pixel images enlarged 4x (112 >= default minimum side) or more for long mistake labels.
    expect(figure.width).toBeGreaterThanOrEqual(3 * 112);
    expect(figure.height).toBeGreaterThan(3 * 112);
    expect(figure.channels).toBe(3);
  });
});
