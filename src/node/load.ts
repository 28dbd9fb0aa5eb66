/**
 * Loading a model in Node: read the file with typed errors, merge the sidecar JSON and labels file, and
 * inject `onnxruntime-node` as the runtime.
 */
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { FileError, ModelError, NetlensError, OptionError } from '../errors.js';
import { OnnxModel, type OnnxModelOptions } from '../model.js';
import { convertTfjsFile } from '../tfjs/node.js';
import { checkLabels } from '../onnx/metadata.js';
import type { OnnxRuntime } from '../onnx/runtime.js';
import type { InputSpec } from '../types.js';
import { WorkerPool } from './session-workers.js';

export interface LoadOptions extends OnnxModelOptions {
  /** A text file with one class label per line; overrides labels from the model and the sidecar. */
  labelsFile?: string;
  /** Read `<model>.json` next to the model file (default true). */
  sidecar?: boolean;
}

/** Keys a sidecar `<model>.json` may hold. */
export interface Sidecar {
  labels?: string[];
  input?: Partial<InputSpec>;
  task?: string;
}

export const nodeRuntime: OnnxRuntime = {
  InferenceSession: ort.InferenceSession,
  Tensor: ort.Tensor,
  // Each run's outputs are new ArrayBuffers (tests/model.test.ts checks that later runs leave them alone).
  freshOutputs: true,
  preallocatedOutputs: true,
  workerPool: (count) => new WorkerPool(count),
  cores: availableParallelism(),
};

function describeFsError(err: unknown, file: string, what: string): NetlensError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new FileError('FILE_NOT_FOUND', `${what} not found: ${file}`);
  if (code === 'EACCES' || code === 'EPERM')
    return new FileError('NOT_A_FILE', `${what} is not readable: ${file}`);
  return new FileError('NOT_A_FILE', `${what} cannot be read: ${file} (${code ?? String(err)})`);
}

/** Read a regular file, with FILE_NOT_FOUND / NOT_A_FILE errors instead of raw fs errors. */
export async function readRegularFile(file: string, what: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw describeFsError(err, file, what);
  }
  if (!info.isFile()) {
    throw new FileError(
      'NOT_A_FILE',
      `${what} ${file} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}`,
    );
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw describeFsError(err, file, what);
  }
}

function isTfjsModelJson(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && ('modelTopology' in value || 'weightsManifest' in value)
  );
}

/** A TF.js LayersModel `model.json` (with its weight shards beside it) converted to ONNX bytes in memory. */
export async function convertTfjsModel(modelJsonPath: string): Promise<Uint8Array> {
  return convertTfjsFile(modelJsonPath);
}

/** A `.json` model path: a TF.js model.json goes to the importer; any other JSON is not a model. */
async function loadJsonModel(file: string, bytes: Buffer): Promise<Uint8Array> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelError('INVALID_MODEL', `${file} is neither an ONNX model nor valid JSON`);
  }
  if (!isTfjsModelJson(value)) {
    throw new ModelError(
      'INVALID_MODEL',
      `${file} is a JSON file but not a TF.js model.json (no modelTopology/weightsManifest) nor an ONNX model`,
    );
  }
  return convertTfjsModel(file);
}

/** Candidate sidecar paths for a model file: `<name>.json` beside it, then `<name>.<ext>.json`. */
export function sidecarPaths(modelPath: string): string[] {
  const parsed = path.parse(modelPath);
  const paths = [path.join(parsed.dir, `${parsed.name}.json`), `${modelPath}.json`];
  return [...new Set(paths)].filter((p) => p !== modelPath);
}

/** The first sidecar found beside `modelPath`, validated; undefined when there is none. */
export async function readSidecar(modelPath: string): Promise<Sidecar | undefined> {
  for (const file of sidecarPaths(modelPath)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') continue;
      throw describeFsError(err, file, 'sidecar file');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new OptionError('INVALID_OPTION', `sidecar ${file} is not valid JSON`);
    }
    // A TF.js model.json may sit beside a converted model.onnx: it describes another model, not this one.
    if (isTfjsModelJson(value)) continue;
    return checkSidecar(value, file);
  }
  return undefined;
}

function checkSidecar(value: unknown, file: string): Sidecar {
  const fail = (message: string): OptionError =>
    new OptionError('INVALID_OPTION', `sidecar ${file}: ${message}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('must be a JSON object');
  const record = value as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => !['labels', 'input', 'task'].includes(k));
  if (unknownKeys.length > 0)
    throw fail(`unknown key(s) ${unknownKeys.join(', ')}; expected labels, input, task`);
  const sidecar: Sidecar = {};
  if (record.labels !== undefined) sidecar.labels = checkLabels(record.labels, "'labels'", fail);
  if (record.input !== undefined) {
    if (typeof record.input !== 'object' || record.input === null || Array.isArray(record.input)) {
      throw fail("'input' must be an object");
    }
    sidecar.input = record.input as Partial<InputSpec>;
  }
  if (record.task !== undefined) {
    if (typeof record.task !== 'string') throw fail("'task' must be a string");
    sidecar.task = record.task;
  }
  return sidecar;
}

/** Labels file: one label per line; surrounding blank lines are dropped, inner ones are an error. */
export async function readLabelsFile(file: string): Promise<string[]> {
  const text = (await readRegularFile(file, 'labels file')).toString('utf8');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  while (lines.length > 0 && lines[0] === '') lines.shift();
  if (lines.length === 0) throw new OptionError('INVALID_OPTION', `labels file ${file} has no labels`);
  const blank = lines.indexOf('');
  if (blank >= 0)
    throw new OptionError('INVALID_OPTION', `labels file ${file} has an empty label on line ${blank + 1}`);
  return lines;
}

/**
 * Load an ONNX model from a path or bytes. Labels and input spec come from, in rising priority: the model's
 * metadata, the sidecar `<model>.json`, `labelsFile`, and the options themselves.
 */
export async function loadModel(source: string | Uint8Array, options: LoadOptions = {}): Promise<OnnxModel> {
  const { labelsFile, sidecar: useSidecar = true, ...modelOptions } = options;
  let bytes: Uint8Array;
  let sidecar: Sidecar | undefined;
  let name = modelOptions.source ?? 'model';
  if (typeof source === 'string') {
    name = modelOptions.source ?? source;
    const raw = await readRegularFile(source, 'model file');
    bytes = source.toLowerCase().endsWith('.json') ? await loadJsonModel(source, raw) : new Uint8Array(raw);
    if (useSidecar) sidecar = await readSidecar(source);
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw new OptionError('INVALID_OPTION', 'loadModel takes a file path or the model bytes (Uint8Array)');
  }
  const labels = modelOptions.labels ?? (labelsFile ? await readLabelsFile(labelsFile) : sidecar?.labels);
  const inputSpec =
    sidecar?.input || modelOptions.inputSpec ? { ...sidecar?.input, ...modelOptions.inputSpec } : undefined;
  return OnnxModel.create(bytes, nodeRuntime, {
    ...modelOptions,
    source: name,
    labels,
    inputSpec,
    task: modelOptions.task ?? sidecar?.task,
  });
}
