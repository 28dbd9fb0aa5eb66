/**
 * The pretrained models the npm package `nsfwjs` ships (Keras MobileNetV2 224² and InceptionV3 299²,
 * classes Drawing/Hentai/Neutral/Porn/Sexy) read straight from its files. The package bundles each
 * model.json and weight shard as a browserify module (`module.exports = {...}` / `= "<base64>"`); the
 * literals are parsed, never executed. Node only; used by tests, benchmarks and the demo.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FileError, ModelError } from '../errors.js';
import type { ModelProto } from '../onnx/proto.js';
import type { InputSpec } from '../types.js';
import { isObject } from './config.js';
import { fromTfjsLayers } from './import.js';
import { parseJsLiteral } from './js-literal.js';
import type { TfjsModelJson } from './types.js';
import { weightSpecsOf } from './weights.js';

export type NsfwjsModelName = 'MobileNetV2' | 'InceptionV3';

const MODEL_DIRS: Record<NsfwjsModelName, string> = {
  MobileNetV2: 'mobilenet_v2',
  InceptionV3: 'inception_v3',
};

/**
 * nsfwjs feeds `pixels / 255` (RGB, NHWC, bilinearly resized with align_corners to the model size);
 * no mean/std. Size comes from the model's own input shape.
 */
export const NSFWJS_INPUT_SPEC: Partial<InputSpec> = {
  layout: 'NHWC',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};

/** The package's `dist` folder; a typed error when nsfwjs is not installed. */
export function nsfwjsDistDir(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('nsfwjs');
  } catch {
    throw new FileError(
      'FILE_NOT_FOUND',
      'the npm package nsfwjs is not installed (npm install --save-dev nsfwjs); it ships the MobileNetV2/InceptionV3 models',
    );
  }
  // entry is dist/cjs/index.js
  return path.resolve(path.dirname(entry), '..');
}

async function readPackageFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new FileError('FILE_NOT_FOUND', `nsfwjs file ${file} is missing; reinstall the nsfwjs package`);
  }
}

/** The literal a browserify bundle assigns to `module.exports` (the first object/string assignment). */
export function bundledLiteral(source: string, file: string): unknown {
  const match = /[\w$]+\.exports\s*=\s*(?=[{"'])/.exec(source);
  if (!match) throw new ModelError('INVALID_MODEL', `${file} does not look like an nsfwjs model bundle`);
  return parseJsLiteral(source, match.index + match[0].length, file).value;
}

/** model.json and the concatenated weight bytes of one nsfwjs model. */
export async function readNsfwjsModel(
  name: NsfwjsModelName,
): Promise<{ modelJson: TfjsModelJson; weightData: Uint8Array }> {
  const dir = path.join(nsfwjsDistDir(), 'models', MODEL_DIRS[name]);
  const modelFile = path.join(dir, 'model.min.js');
  const modelJson = bundledLiteral(await readPackageFile(modelFile), modelFile);
  if (
    !isObject(modelJson) ||
    !isObject(modelJson.modelTopology) ||
    !Array.isArray(modelJson.weightsManifest)
  ) {
    throw new ModelError('INVALID_MODEL', `${modelFile} holds no TF.js model.json`);
  }
  const json = modelJson as unknown as TfjsModelJson;
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const shardPath of group.paths) {
      const file = path.join(dir, `${shardPath}.min.js`);
      const base64 = bundledLiteral(await readPackageFile(file), file);
      if (typeof base64 !== 'string')
        throw new ModelError('INVALID_MODEL', `${file} holds no base64 weight shard`);
      shards.push(Buffer.from(base64, 'base64'));
    }
  }
  const weightData = concat(shards);
  const expected = weightSpecsOf(json).reduce((sum, spec) => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : 4;
    return sum + count * bytes;
  }, 0);
  if (weightData.byteLength !== expected) {
    throw new ModelError(
      'INVALID_MODEL',
      `nsfwjs ${name}: shards hold ${weightData.byteLength} bytes, the manifest needs ${expected}`,
    );
  }
  return { modelJson: json, weightData };
}

/** Class names in output order, read from the package's own sources (nsfw_classes.js). */
export async function nsfwjsLabels(): Promise<string[]> {
  const file = path.join(nsfwjsDistDir(), 'esm', 'nsfw_classes.js');
  const source = await readPackageFile(file);
  const match = /NSFW_CLASSES\s*=\s*(?=\{)/.exec(source);
  const classes = match ? parseJsLiteral(source, match.index + match[0].length, file).value : undefined;
  if (!isObject(classes)) throw new ModelError('INVALID_MODEL', `${file} has no NSFW_CLASSES table`);
  return Object.keys(classes)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String(classes[k]));
}

/** Convert one nsfwjs model to ONNX with its labels, task and input spec as metadata. */
export async function convertNsfwjsModel(name: NsfwjsModelName): Promise<ModelProto> {
  const [{ modelJson, weightData }, labels] = await Promise.all([readNsfwjsModel(name), nsfwjsLabels()]);
  return fromTfjsLayers(modelJson, weightData, {
    inputSpec: NSFWJS_INPUT_SPEC,
    labels,
    task: 'classification',
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
