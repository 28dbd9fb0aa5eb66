/** What every bench suite gets: the image models to measure and helpers to make inputs. */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fixturesRoot } from '../data/manifest.js';
import { loadModel } from '../node/load.js';
import type { OnnxModel } from '../model.js';
import type { TensorData } from '../types.js';
import { inputDims } from '../image/normalize.js';
import type { BenchRow } from './report.js';

export interface BenchModel {
  name: string;
  bytes: Uint8Array;
  model: OnnxModel;
}

export interface BenchContext {
  /** Fewer repeats and smaller sizes (for a smoke run). */
  quick: boolean;
  /** Also the 70 000-point projection rows and the peak memory of `netlens embed` (tens of minutes). */
  large?: boolean;
  imageModels: BenchModel[];
  /** A deterministic batch in the model's input layout (values as normalised pixels would be). */
  batchFor(model: OnnxModel, batch: number): TensorData;
  repeats: number;
}

export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export function repoRoot(): string {
  return path.dirname(fixturesRoot());
}

/** The fixture image models that exist in this checkout, plus any extra image models given. */
export async function loadImageModels(
  extra: { name: string; bytes: Uint8Array }[] = [],
): Promise<BenchModel[]> {
  const root = repoRoot();
  const out: BenchModel[] = [];
  for (const name of ['fashion-cnn', 'shapes-cnn', 'shapes-modern', 'shapes-seg']) {
    const file = path.join(root, 'fixtures', name, 'model.onnx');
    if (!existsSync(file)) continue;
    const bytes = new Uint8Array(await readFile(file));
    out.push({ name, bytes, model: await loadModel(bytes, { source: file }) });
  }
  for (const e of extra)
    out.push({ name: e.name, bytes: e.bytes, model: await loadModel(e.bytes, { source: e.name }) });
  return out;
}

export function deterministicBatch(model: OnnxModel, batch: number): TensorData {
  const spec = model.inputSpec;
  if (!spec) throw new Error(`bench model ${model.inputName} has no input spec`);
  const dims = inputDims(spec, batch);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let state = 12345;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = (state / 2 ** 32) * 2 - 1;
  }
  return { data, dims };
}
