import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/autodiff/context.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import { makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { runFeeds, session } from './harness.js';

/** The opset-dependent helpers emit forms ORT accepts at that opset and compute what they say. */
describe('RuleContext helpers across opsets', () => {
  for (const opset of [11, 12, 13, 17, 18, 21]) {
    it(`opset ${opset}`, async () => {
      const base = makeModel({
        nodes: [makeNode('Identity', ['x'], ['y'])],
        inputs: [makeValueInfo('x', ['N', 2, 3])],
        outputs: [makeValueInfo('y', ['N', 2, 3])],
        opset,
      });
      const emitter = new Emitter(new GraphIndex(base), opset, 'gradient', { x: [-1, 2, 3], y: [-1, 2, 3] });
      const outputs = {
        sum: emitter.reduceSum('x', [0, 2], false),
        max: emitter.reduce('ReduceMax', 'x', [1], true),
        unsqueezed: emitter.unsqueeze('x', [1]),
        squeezed: emitter.squeeze(emitter.unsqueeze('x', [3]), [3]),
        clipped: emitter.clip('x', -0.5, 1),
        floored: emitter.clip('x', 0),
        reduced: emitter.reduceToShape('x', [-1, 2, 3], [2, 1]),
        zeros: emitter.zerosLike('x'),
      };
      const [first, second] = emitter.split('x', 2, [1, 2]);
      const model = makeModel({
        nodes: [...base.graph!.node!, ...emitter.nodes],
        inputs: base.graph!.input!,
        outputs: [...Object.values(outputs), first, second].map((o) => makeValueInfo(o, undefined)),
        initializers: emitter.initializers,
        opset,
      });
      const xs = [0.5, -1, 2, 3, -0.25, 0, 1.5, -2, 0.75, 4, -3, 1];
      const s = await session(model);
      const out = await runFeeds(s, { x: { data: Float32Array.from(xs), dims: [2, 2, 3] } });
      await s.release();
      const at = (n: number, r: number, c: number) => xs[n * 6 + r * 3 + c];
      // Sum over batch and columns: one value per row.
      const rowSums = [0, 1].map((r) =>
        [0, 1].reduce((t, n) => t + [0, 1, 2].reduce((u, c) => u + at(n, r, c), 0), 0),
      );
      expect(Array.from(out[outputs.sum].data)).toEqual(rowSums);
      expect(out[outputs.max].dims).toEqual([2, 1, 3]);
      expect(Array.from(out[outputs.max].data)).toEqual(
        [0, 1].flatMap((n) => [0, 1, 2].map((c) => Math.max(at(n, 0, c), at(n, 1, c)))),
      );
      expect(out[outputs.unsqueezed].dims).toEqual([2, 1, 2, 3]);
      expect(out[outputs.squeezed].dims).toEqual([2, 2, 3]);
      expect(Array.from(out[outputs.clipped].data)).toEqual(xs.map((v) => Math.min(1, Math.max(-0.5, v))));
      expect(Array.from(out[outputs.floored].data)).toEqual(xs.map((v) => Math.max(0, v)));
      expect(out[outputs.reduced].dims).toEqual([2, 1]);
      expect(Array.from(out[outputs.reduced].data)).toEqual(rowSums);
      expect(Array.from(out[outputs.zeros].data)).toEqual(new Array(12).fill(0));
      expect(out[first].dims).toEqual([2, 2, 1]);
      expect(out[second].dims).toEqual([2, 2, 2]);
      expect(Array.from(out[second].data)).toEqual(
        [0, 1].flatMap((n) => [0, 1].flatMap((r) => [at(n, r, 1), at(n, r, 2)])),
      );
    });
  }
});
