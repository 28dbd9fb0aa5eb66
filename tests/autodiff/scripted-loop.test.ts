/**
 * An LSTM cell stepped by a scripted Python loop, as torch.onnx writes it: a Loop whose trip count is the
 * input's time length (Shape → Gather) and whose body reads the input from the outer scope and holds an LSTM
 * of one step. Through Model's gradient API (one VJP graph per time length, the batch free) against PyTorch
 * autograd; files from tools/autodiff/scripted_loop_reference.py.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { loadModel } from '../../src/node/load.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { probeShapes } from './probe.js';

const dir = fileURLToPath(new URL('./data/scripted-loop/', import.meta.url));
const [N, T, C, K] = [2, 7, 3, 4];
const size = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);
const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('a scripted loop (ONNX Loop) through Model.vjp', () => {
  it('output and input gradient within 1e-4 of PyTorch autograd', async () => {
    const bytes = readFileSync(`${dir}reference.bin`);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let at = 0;
    const take = (dims: number[]) => {
      const data = all.slice(at, at + size(dims));
      at += size(dims);
      return { data, dims };
    };
    const x = take([N, T, C]);
    const seed = take([N, K]);
    const output = take([N, K]);
    const gradient = take([N, T, C]);
    expect(at).toBe(all.length);
    const model = await loadModel(`${dir}model.onnx`);
    expect(model.proto.graph!.node!.some((n) => n.opType === 'Loop')).toBe(true);
    const vjp = await model.vjp({ output: model.outputName, wrt: [model.inputName] });
    const run = await vjp(x, seed);
    expect(maxDiff(run.output.data, output.data)).toBeLessThanOrEqual(1e-4 * maxAbs(output.data));
    expect(maxAbs(gradient.data)).toBeGreaterThan(0);
    expect(maxDiff(run.grads[0].data, gradient.data)).toBeLessThanOrEqual(1e-4 * maxAbs(gradient.data));
    // Another time length: another unrolled graph, the same model.
    const shorter = { data: x.data.slice(0, N * 4 * C), dims: [N, 4, C] };
    const again = await vjp(shorter, seed);
    expect(again.grads[0].dims).toEqual([N, 4, C]);
    await model.dispose();
  });

  it('the weight slicing the body repeats at every step is computed once', async () => {
    const proto = decodeModel(readFileSync(`${dir}model.onnx`));
    // A fixed time length (the probe gives free dims the batch size, which would make the count vary).
    proto.graph!.input![0].type!.tensorType!.shape!.dim![1] = { dimValue: T };
    const shapes = await probeShapes(proto);
    const built = buildVjpGraph(proto, { output: 'scores', wrt: ['x'], rule: 'gradient', shapes });
    const types = (built.model.graph!.node ?? []).map((n) => n.opType);
    expect(types).not.toContain('Loop');
    // One LSTM step per time step; its weights sliced from each of the four parameters three times, once.
    const weightSlices = (built.model.graph!.node ?? []).filter(
      (n) => n.opType === 'Slice' && (n.input?.[0] ?? '').startsWith('cell.'),
    );
    expect(weightSlices).toHaveLength(12);
  });
});
