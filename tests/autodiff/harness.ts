/**
 * Test harness for VJP rules: build the VJP graph, run it with onnxruntime-node, and compare it with central
 * finite differences of ⟨output, dY⟩.
 */
import { expect } from 'vitest';
import type { ModelProto } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { compareVjpWithFd, type FdOptions, type FdReport } from './fd.js';

export * from './probe.js';
export type { FdOptions, FdReport } from './fd.js';

/**
 * Checks ⟨VJP, v⟩ against (f(x+εv) − f(x−εv)) / 2ε for f(x) = ⟨output(x), dY⟩ along the gradient's own
 * direction, along random directions, and (on small inputs) element by element (see `compareVjpWithFd`).
 */
export async function expectVjpMatchesFd(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  options: FdOptions = {},
): Promise<FdReport> {
  const report = await compareVjpWithFd(model, inputs, options);
  expect(report.failures, report.failures.slice(0, 3).join('\n')).toEqual([]);
  return report;
}
