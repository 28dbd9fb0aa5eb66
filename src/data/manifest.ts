/**
 * The committed fixture zoo: where it lives, which fixtures exist and what each manifest says.
 * A fixture is a folder `fixtures/<name>/` with `model.onnx`, `manifest.json` and `samples/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestNames, FileError } from '../errors.js';
import type { InputSpec } from '../types.js';
import { JsonFields, readJsonObject } from './files.js';

export type FixtureTask =
  | 'image-classification'
  | 'image-segmentation'
  | 'sequence-classification'
  | 'tabular-classification'
  | 'tabular-regression';

export const FIXTURE_TASKS: readonly FixtureTask[] = [
  'image-classification',
  'image-segmentation',
  'sequence-classification',
  'tabular-classification',
  'tabular-regression',
];

/** Input description of a sequence model: N x T x C, T dynamic. */
export interface SequenceInputSpec {
  kind: 'sequence';
  layout: 'NTC';
  channels: number;
  minLength: number;
  maxLength: number;
  normalization: null;
}

/** Input description of a table model: x = (raw - mean) / std per feature, in `features` order. */
export interface TableInputSpec {
  kind: 'table';
  features: string[];
  mean: number[];
  std: number[];
  normalization: string;
}

export type FixtureInputSpec = InputSpec | SequenceInputSpec | TableInputSpec;

export interface FixtureMetric {
  /** 'accuracy', 'mean-iou' or 'r2'. */
  name: string;
  /** Value on the full held-out test set. */
  test: number;
  testCount: number;
  /** Value on the committed sample set: what a re-measure must reproduce. */
  samples: number;
  definition?: string;
}

export interface FixtureManifest {
  name: string;
  task: FixtureTask;
  description: string;
  input: FixtureInputSpec;
  /** Class names in output index order (segment names for segmentation, ['target'] for regression). */
  labels: string[];
  output: {
    name: string;
    kind: 'logits' | 'probabilities' | 'regression';
    shape: (number | string)[];
    /** For a model ending in Softmax: the tensor feeding it. */
    preSoftmax?: string;
  };
  metric: FixtureMetric;
  dataset: string;
  command: string;
  seed: number;
  opset: number;
  opTypes: string[];
  /** File name of the model inside the fixture folder. */
  model: string;
  sha256: string;
  samples: { format: 'image-set' | 'sequence-set' | 'table'; index: string; count: number };
  reference?: { header: string; count: number; outputTensor: string };
  /** The raw JSON, for fields not typed here. */
  raw: Record<string, unknown>;
}

/**
 * The `fixtures/` folder of the package. Resolved from this file: `src/data/` under vitest and `dist/data/`
 * after the build both sit two levels below the package root.
 */
export function fixturesRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', 'fixtures');
}

/** Names of all fixtures (folders holding a manifest.json), sorted. */
export function listFixtures(): string[] {
  const root = fixturesRoot();
  if (!existsSync(root)) throw new FileError('FILE_NOT_FOUND', `fixtures folder not found: ${root}`);
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, 'manifest.json')))
    .map((entry) => entry.name)
    .sort();
}

/** Folder of one fixture; an unknown name fails with the closest existing names. */
export function fixtureDir(name: string): string {
  const dir = path.join(fixturesRoot(), name);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    const known = listFixtures();
    throw new FileError(
      'FILE_NOT_FOUND',
      `no fixture '${name}' in ${fixturesRoot()}; did you mean ${closestNames(name, known).join(', ')}?`,
    );
  }
  return dir;
}

export function loadManifest(name: string): FixtureManifest {
  const file = path.join(fixtureDir(name), 'manifest.json');
  const raw = readJsonObject(file, 'fixture manifest');
  const f = new JsonFields(raw, file);
  const task = f.string('task');
  if (!FIXTURE_TASKS.includes(task as FixtureTask)) {
    throw new FileError(
      'INVALID_INPUT',
      `${file}: unknown task '${task}'; expected ${FIXTURE_TASKS.join(', ')}`,
    );
  }
  const output = f.object('output');
  const kind = output.string('kind');
  if (kind !== 'logits' && kind !== 'probabilities' && kind !== 'regression') {
    throw new FileError(
      'INVALID_INPUT',
      `${file}: output.kind '${kind}' is not logits, probabilities or regression`,
    );
  }
  const metric = f.object('metric');
  const samples = f.object('samples');
  const format = samples.string('format');
  if (format !== 'image-set' && format !== 'sequence-set' && format !== 'table') {
    throw new FileError(
      'INVALID_INPUT',
      `${file}: samples.format '${format}' is not image-set, sequence-set or table`,
    );
  }
  f.object('input');
  const manifest: FixtureManifest = {
    name: f.string('name'),
    task: task as FixtureTask,
    description: f.string('description'),
    input: raw.input as FixtureInputSpec,
    labels: f.strings('labels'),
    output: {
      name: output.string('name'),
      kind,
      shape: output.raw('shape') as (number | string)[],
      ...(output.has('preSoftmax') ? { preSoftmax: output.string('preSoftmax') } : {}),
    },
    metric: {
      name: metric.string('name'),
      test: metric.number('test'),
      testCount: metric.integer('testCount'),
      samples: metric.number('samples'),
      ...(metric.has('definition') ? { definition: metric.string('definition') } : {}),
    },
    dataset: f.string('dataset'),
    command: f.string('command'),
    seed: f.integer('seed'),
    opset: f.integer('opset'),
    opTypes: f.strings('opTypes'),
    model: f.string('model'),
    sha256: f.string('sha256'),
    samples: { format, index: samples.string('index'), count: samples.integer('count') },
    raw,
  };
  if (f.has('reference')) {
    const ref = f.object('reference');
    manifest.reference = {
      header: ref.string('header'),
      count: ref.integer('count'),
      outputTensor: ref.string('outputTensor'),
    };
  }
  return manifest;
}

/** Absolute path of a fixture's ONNX model; FILE_NOT_FOUND when the manifest names a missing file. */
export function fixtureModelPath(name: string): string {
  const file = path.join(fixtureDir(name), loadManifest(name).model);
  if (!existsSync(file))
    throw new FileError('FILE_NOT_FOUND', `model of fixture '${name}' not found: ${file}`);
  return file;
}

export function isImageSpec(spec: FixtureInputSpec): spec is InputSpec {
  return !('kind' in spec);
}
