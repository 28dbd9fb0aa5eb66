/**
 * Test setup: ONNX Runtime session options from the environment, so that the whole suite can be run under
 * other kernels and schedules as a check that no result depends on one kernel's rounding:
 *   NETLENS_GRAPH_OPT = disabled | basic | extended | all   (graph optimisation level)
 *   NETLENS_THREADS = n                                     (intra-op threads)
 * Every session created in the test process goes through InferenceSession.create, which is wrapped here;
 * CLI child processes read the same variables in src/onnx/runtime.ts.
 */
import * as ort from 'onnxruntime-node';
import { environmentSessionOverrides } from '../../src/onnx/runtime.js';

const overrides = environmentSessionOverrides();
if (Object.keys(overrides).length > 0) {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (
    model: Uint8Array | string,
    options?: ort.InferenceSession.SessionOptions,
  ) => Promise<ort.InferenceSession>;
  const wrapped = (model: Uint8Array | string, options?: ort.InferenceSession.SessionOptions) =>
    create(model, { ...options, ...overrides });
  Object.defineProperty(ort.InferenceSession, 'create', {
    value: wrapped,
    configurable: true,
    writable: true,
  });
}
