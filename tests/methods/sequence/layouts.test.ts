/**
 * The sequence view reads NTC, TNC (read batch-first) and NCT models alike: the same network written for each layout gives the same
 * scores and the same attribution maps, batched by length.
 */
import { describe, expect, it } from 'vitest';
import { EXPLAINERS } from '../../../src/explainers/index.js';
import { explainSequences } from '../../../src/methods/sequence/explain.js';
import { fromModelLayout, toModelLayout } from '../../../src/methods/sequence/view.js';
import { loadModel } from '../../../src/node/load.js';
import { encodeModel, floatTensor, makeModel, makeNode, makeValueInfo } from '../../../src/onnx/proto.js';
import { seededValues } from '../../helpers/onnx-models.js';

/** y = mean over t of relu(x_t · w): [N, 2] scores from 3 channels, with the input in `layout`. */
function layoutModel(layout: 'NTC' | 'TNC' | 'NCT') {
  const perm = { NTC: undefined, TNC: [1, 0, 2], NCT: [0, 2, 1] }[layout];
  const shape = { NTC: ['N', 'T', 3], TNC: ['T', 'N', 3], NCT: ['N', 3, 'T'] }[layout];
  const first = perm ? [makeNode('Transpose', ['x'], ['ntc'], { perm })] : [];
  return makeModel({
    nodes: [
      ...first,
      makeNode('MatMul', [perm ? 'ntc' : 'x', 'w'], ['proj']),
      makeNode('Relu', ['proj'], ['h']),
      makeNode('ReduceMean', ['h'], ['y'], { axes: [1], keepdims: 0 }),
    ],
    inputs: [makeValueInfo('x', shape)],
    outputs: [makeValueInfo('y', ['N', 2])],
    initializers: [floatTensor('w', [3, 2], seededValues(6, 41))],
    metadata: { 'netlens.input': JSON.stringify({ kind: 'sequence', layout, channels: 3, maxLength: 8 }) },
  });
}

describe('sequence layouts', () => {
  it('layout conversions are inverse', () => {
    const x = { data: Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => i), dims: [2, 4, 3] };
    for (const layout of ['NTC', 'TNC', 'NCT'] as const) {
      const there = toModelLayout(x, layout);
      expect(Array.from(fromModelLayout(there, layout).data)).toEqual(Array.from(x.data));
    }
    expect(toModelLayout(x, 'TNC').data[3]).toBe(12); // step 0 of sequence 1
    expect(toModelLayout(x, 'NCT').data[1]).toBe(3); // channel 0, step 1 of sequence 0
  });

  it('NTC, TNC and NCT versions of one network give the same maps', async () => {
    const items = [5, 5, 7].map((length, k) => ({
      values: Float32Array.from(seededValues(length * 3, 10 + k), (v) => v * 2),
      length,
    }));
    const maps: Record<string, number[][]> = {};
    for (const layout of ['NTC', 'TNC', 'NCT'] as const) {
      const model = await loadModel(encodeModel(layoutModel(layout)));
      // A time-major input is read batch-first: the model takes [N, T, 3] and says so.
      expect(model.inputs[0].shape).toEqual(layout === 'NCT' ? ['N', 3, 'T'] : ['N', 'T', 3]);
      for (const id of ['input-x-gradient', 'occlusion']) {
        const explainer = EXPLAINERS.find((e) => e.id === id)!;
        const results = await explainSequences(model, explainer, items, {
          target: 1,
          maskSize: 2,
          stride: 1,
        });
        maps[`${layout} ${id}`] = results.map((r) => Array.from(r.map.data));
        expect(results.map((r) => r.map.dims)).toEqual(
          items.map((s) => [1, s.length, id === 'occlusion' ? 1 : 3]),
        );
      }
      await model.dispose();
    }
    for (const id of ['input-x-gradient', 'occlusion']) {
      const reference = maps[`NTC ${id}`];
      expect(reference.flat().some((v) => Math.abs(v) > 1e-4)).toBe(true);
      for (const layout of ['TNC', 'NCT']) {
        maps[`${layout} ${id}`].forEach((m, k) =>
          m.forEach((v, i) => expect(v).toBeCloseTo(reference[k][i], 5)),
        );
      }
    }
  });
});
