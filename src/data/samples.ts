/**
 * Loaders for the committed fixture sample sets (images with labels, boxes and masks; sequences with their
 * evidence windows; tables with their informative features) and the reference input gradients. Used by the
 * tests, the demo and the benchmarks. Everything is synchronous: the files are small and local.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { FileError, OptionError } from '../errors.js';
import type { TensorData } from '../types.js';
import { JsonFields, readFixtureFile, readFloat32, readJsonObject, readUint8 } from './files.js';
import { fixtureDir, loadManifest, type FixtureManifest, type TableInputSpec } from './manifest.js';

export {
  fixtureDir,
  fixtureModelPath,
  fixturesRoot,
  isImageSpec,
  listFixtures,
  loadManifest,
  type FixtureInputSpec,
  type FixtureManifest,
  type FixtureMetric,
  type FixtureTask,
  type SequenceInputSpec,
  type TableInputSpec,
} from './manifest.js';

/** [x0, y0, x1, y1], inclusive pixel coordinates. */
export type Box = [number, number, number, number];

export interface ImageSampleSet {
  name: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count x height x width x channels, HWC per image, 0..255. */
  pixels: Uint8Array;
  labels: Int32Array;
  classNames: string[];
  /** The object's (or spectrogram event's) box per image, where the fixture has ground-truth regions. */
  boxes?: Box[];
  /** count x height x width class ids (0 = background), for the shapes fixtures. */
  masks?: Uint8Array;
  /** Names of the mask ids ('background' first). */
  maskClassNames?: string[];
  /** spectro-cnn: the event's time span (s) and frequency span (Hz) per image. */
  regions?: { seconds: [number, number]; hertz: [number, number] }[];
}

export interface SequenceSampleSet {
  name: string;
  count: number;
  channels: number;
  lengths: number[];
  /** One T x C float32 array per sequence, time-major. */
  sequences: Float32Array[];
  labels: Int32Array;
  classNames: string[];
  /** [firstStep, lastStep] inclusive: the only steps that carry the class pattern. */
  windows: [number, number][];
  /** evidenceChannels[label]: the channels that carry that class's pattern. */
  evidenceChannels: number[][];
}

export interface TableSampleSet {
  name: string;
  count: number;
  features: string[];
  /** count x features, row-major: raw values as in the CSV, or standardised with `normalized: true`. */
  values: Float32Array;
  normalized: boolean;
  targetKind: 'class' | 'regression';
  /** Class index per row ('class' tables). */
  labels?: Int32Array;
  classNames?: string[];
  /** Target value per row ('regression' tables). */
  targets?: Float32Array;
  /** Features the target depends on (synthetic tables); null where it is not known (real data). */
  informative: string[] | null;
}

export interface TableLoadOptions {
  /** Apply the model's standardisation x = (raw - mean) / std from the input spec (default false). */
  normalized?: boolean;
}

export interface ReferenceGradients {
  name: string;
  count: number;
  /** Normalised model inputs, NCHW. */
  inputs: TensorData;
  /** d(seed · scores)/d(input) from PyTorch autograd in eval mode, same dims as inputs. */
  gradients: TensorData;
  /** The score tensor (pre-softmax) that was differentiated. */
  scores: TensorData;
  /** The seed dY when it is not one-hot on `targets` (segmentation masks). */
  seeds?: TensorData;
  /**
   * Per input element, how far the gradient may legitimately move when float32 rounding on another CPU flips
   * a ReLU, hard activation or max-pool window lying within rounding of its kink (0 where nothing can flip);
   * computed exactly in float64 by tools/fixtures/tie_bounds.py.
   */
  tieBounds?: TensorData;
  targets: number[];
  /** Rows of the sample set the inputs come from. */
  sampleIndices: number[];
  /** ONNX tensor name of the differentiated scores. */
  outputTensor: string;
  seedKind: string;
  description: string;
}

function samplesIndex(name: string, manifest: FixtureManifest, format: FixtureManifest['samples']['format']) {
  if (manifest.samples.format !== format) {
    throw new OptionError(
      'INVALID_OPTION',
      `fixture '${name}' holds ${manifest.samples.format} samples, not ${format}`,
    );
  }
  const file = path.join(fixtureDir(name), manifest.samples.index);
  return {
    file,
    dir: path.dirname(file),
    fields: new JsonFields(readJsonObject(file, 'sample index'), file),
  };
}

function labelArray(fields: JsonFields, key: string, count: number, classCount: number): Int32Array {
  const values = fields.numbers(key, count);
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v >= classCount)) {
    throw new FileError('INVALID_INPUT', `${key} must hold class indices below ${classCount}`);
  }
  return Int32Array.from(values);
}

export function loadImageSamples(name: string): ImageSampleSet {
  const { dir, fields } = samplesIndex(name, loadManifest(name), 'image-set');
  const count = fields.integer('count');
  const height = fields.integer('height');
  const width = fields.integer('width');
  const channels = fields.integer('channels');
  const classNames = fields.strings('classNames');
  const set: ImageSampleSet = {
    name,
    count,
    height,
    width,
    channels,
    pixels: readUint8(
      path.join(dir, fields.string('pixels')),
      'sample pixels',
      count * height * width * channels,
    ),
    labels: labelArray(fields, 'labels', count, classNames.length),
    classNames,
  };
  if (fields.has('boxes')) set.boxes = fields.tuples('boxes', count, 4) as Box[];
  if (fields.has('masks')) {
    set.masks = readUint8(path.join(dir, fields.string('masks')), 'sample masks', count * height * width);
  }
  if (fields.has('maskClassNames')) set.maskClassNames = fields.strings('maskClassNames');
  if (fields.has('regions')) {
    set.regions = fields.raw('regions') as ImageSampleSet['regions'];
  }
  return set;
}

/** The HWC pixels of image `i` (a view, not a copy). */
export function imagePixels(set: ImageSampleSet, i: number): Uint8Array {
  checkIndex(set.count, i);
  const size = set.height * set.width * set.channels;
  return set.pixels.subarray(i * size, (i + 1) * size);
}

/** The H x W mask of image `i` (a view), for sets with masks. */
export function imageMask(set: ImageSampleSet, i: number): Uint8Array {
  if (!set.masks) throw new OptionError('INVALID_OPTION', `sample set '${set.name}' has no masks`);
  checkIndex(set.count, i);
  const size = set.height * set.width;
  return set.masks.subarray(i * size, (i + 1) * size);
}

function checkIndex(count: number, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= count) {
    throw new OptionError('INVALID_OPTION', `sample index ${i} is out of range 0..${count - 1}`);
  }
}

export function loadSequenceSamples(name: string): SequenceSampleSet {
  const { dir, fields } = samplesIndex(name, loadManifest(name), 'sequence-set');
  const count = fields.integer('count');
  const channels = fields.integer('channels');
  const lengths = fields.numbers('lengths', count);
  const offsets = fields.numbers('offsets', count);
  const total = lengths.reduce((a, b) => a + b, 0) * channels;
  const values = readFloat32(path.join(dir, fields.string('values')), 'sequence values', total);
  const sequences = lengths.map((length, i) => {
    const start = offsets[i];
    if (start + length * channels > total) {
      throw new FileError('INVALID_INPUT', `sequence ${i} runs past the end of the values file`);
    }
    return values.slice(start, start + length * channels);
  });
  const classNames = fields.strings('classNames');
  return {
    name,
    count,
    channels,
    lengths,
    sequences,
    labels: labelArray(fields, 'labels', count, classNames.length),
    classNames,
    windows: fields.tuples('windows', count, 2) as [number, number][],
    evidenceChannels: fields.raw('evidenceChannels') as number[][],
  };
}

/** Sequence `i` as a batch of one, [1, T, C], ready for the model. */
export function sequenceTensor(set: SequenceSampleSet, i: number): TensorData {
  checkIndex(set.count, i);
  return { data: set.sequences[i].slice(), dims: [1, set.lengths[i], set.channels] };
}

/** Parse a CSV of plain fields (no quoting: the fixture tables never need it). */
function parseCsv(text: string, file: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) throw new FileError('INVALID_INPUT', `${file} is empty`);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new FileError(
        'INVALID_INPUT',
        `${file} line ${i + 2} has ${cells.length} fields, expected ${header.length}`,
      );
    }
    return cells;
  });
  return { header, rows };
}

export function loadTableSamples(name: string, options: TableLoadOptions = {}): TableSampleSet {
  const manifest = loadManifest(name);
  const { dir, fields } = samplesIndex(name, manifest, 'table');
  const csvFile = path.join(dir, fields.string('csv'));
  const { header, rows } = parseCsv(readFixtureFile(csvFile, 'sample table').toString('utf8'), csvFile);
  const features = fields.strings('features');
  const targetColumn = fields.string('target');
  const featureColumns = features.map((feature) => {
    const column = header.indexOf(feature);
    if (column < 0) throw new FileError('INVALID_INPUT', `${csvFile} has no column '${feature}'`);
    return column;
  });
  const targetIndex = header.indexOf(targetColumn);
  if (targetIndex < 0)
    throw new FileError('INVALID_INPUT', `${csvFile} has no target column '${targetColumn}'`);
  const count = rows.length;
  if (count !== fields.integer('count')) {
    throw new FileError(
      'INVALID_INPUT',
      `${csvFile} has ${count} rows, the index says ${fields.integer('count')}`,
    );
  }
  const spec = manifest.input as TableInputSpec;
  const normalized = options.normalized ?? false;
  const values = new Float32Array(count * features.length);
  rows.forEach((cells, r) => {
    featureColumns.forEach((column, j) => {
      const raw = Number(cells[column]);
      if (cells[column] === '' || !Number.isFinite(raw)) {
        throw new FileError(
          'INVALID_INPUT',
          `${csvFile} row ${r + 1} column '${features[j]}' is not a number`,
        );
      }
      values[r * features.length + j] = normalized ? (raw - spec.mean[j]) / spec.std[j] : raw;
    });
  });
  const targetKind = fields.string('targetKind');
  if (targetKind !== 'class' && targetKind !== 'regression') {
    throw new FileError('INVALID_INPUT', `${csvFile}: targetKind '${targetKind}' is not class or regression`);
  }
  const informative = fields.has('informative') ? fields.strings('informative') : null;
  const set: TableSampleSet = { name, count, features, values, normalized, targetKind, informative };
  if (targetKind === 'class') {
    const classNames = fields.strings('classNames');
    set.classNames = classNames;
    set.labels = Int32Array.from(
      rows.map((cells, r) => {
        const label = classNames.indexOf(cells[targetIndex]);
        if (label < 0)
          throw new FileError(
            'INVALID_INPUT',
            `${csvFile} row ${r + 1}: unknown class '${cells[targetIndex]}'`,
          );
        return label;
      }),
    );
  } else {
    set.targets = Float32Array.from(rows.map((cells) => Number(cells[targetIndex])));
  }
  return set;
}

export function loadReferenceGradients(name: string): ReferenceGradients {
  const manifest = loadManifest(name);
  if (!manifest.reference) {
    throw new FileError('FILE_NOT_FOUND', `fixture '${name}' has no reference gradients`);
  }
  const file = path.join(fixtureDir(name), manifest.reference.header);
  const dir = path.dirname(file);
  const fields = new JsonFields(readJsonObject(file, 'reference gradient header'), file);
  const dtype = fields.string('dtype');
  const byteOrder = fields.string('byteOrder');
  if (dtype !== 'float32' || byteOrder !== 'little') {
    throw new FileError(
      'INVALID_INPUT',
      `${file}: expected float32 little-endian, got ${dtype} ${byteOrder}`,
    );
  }
  const files = fields.object('files');
  const inputDims = fields.numbers('inputShape');
  const scoreDims = fields.numbers('scoreShape');
  const size = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);
  const tensor = (key: string, dims: number[]): TensorData => ({
    data: readFloat32(path.join(dir, files.string(key)), `reference ${key}`, size(dims)),
    dims: [...dims],
  });
  const count = fields.integer('count');
  const result: ReferenceGradients = {
    name,
    count,
    inputs: tensor('inputs', inputDims),
    gradients: tensor('gradients', inputDims),
    scores: tensor('scores', scoreDims),
    targets: fields.numbers('targets', count),
    sampleIndices: fields.numbers('sampleIndices', count),
    outputTensor: fields.string('outputTensor'),
    seedKind: fields.string('seedKind'),
    description: fields.string('description'),
  };
  if (files.has('seeds')) result.seeds = tensor('seeds', scoreDims);
  if (files.has('tieBounds')) result.tieBounds = tensor('tieBounds', inputDims);
  return result;
}

/** Absolute paths of the sample PNGs (`samples/images/*.png`), sorted by name. */
export function sampleImagePaths(name: string): string[] {
  const dir = path.join(fixtureDir(name), 'samples', 'images');
  if (!existsSync(dir))
    throw new FileError('FILE_NOT_FOUND', `fixture '${name}' has no sample images folder ${dir}`);
  return readdirSync(dir)
    .filter((file) => file.toLowerCase().endsWith('.png'))
    .sort()
    .map((file) => path.join(dir, file));
}
