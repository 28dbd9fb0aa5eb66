/**
 * Node helpers around the importer: read a model.json and the weight shards its manifest lists (paths
 * relative to model.json), convert, and recognize TF.js model files for the model loader.
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError } from '../errors.js';
import { encodeModel, type ModelProto } from '../onnx/proto.js';
import { isTfjsModelJson, parseTfjsModelJson } from './detect.js';
import { fromTfjsLayers } from './import.js';
import type { TfjsImportOptions } from './metadata.js';
import type { TfjsModelJson } from './types.js';

async function readRequired(file: string, what: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new FileError('FILE_NOT_FOUND', `${what} ${file} does not exist`);
  }
  if (!info.isFile()) throw new FileError('NOT_A_FILE', `${what} ${file} is not a regular file`);
  return readFile(file);
}

/** model.json plus its shards concatenated in manifest order. */
export async function readTfjsModelFiles(
  modelJsonPath: string,
): Promise<{ modelJson: TfjsModelJson; weightData: Uint8Array }> {
  const modelJson = parseTfjsModelJson(await readRequired(modelJsonPath, 'TF.js model'), modelJsonPath);
  const dir = path.dirname(modelJsonPath);
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const shard of group.paths ?? []) {
      // Manifests hold URL paths relative to model.json.
      shards.push(await readRequired(path.join(dir, decodeURIComponent(shard)), 'weight shard'));
    }
  }
  return { modelJson, weightData: Buffer.concat(shards) };
}

/** Convert a TF.js LayersModel on disk to an in-memory ONNX model. */
export async function convertTfjsFileToProto(
  modelJsonPath: string,
  options: TfjsImportOptions = {},
): Promise<ModelProto> {
  const { modelJson, weightData } = await readTfjsModelFiles(modelJsonPath);
  return fromTfjsLayers(modelJson, weightData, options);
}

/** Convert a TF.js LayersModel on disk to ONNX model bytes. */
export async function convertTfjsFile(
  modelJsonPath: string,
  options: TfjsImportOptions = {},
): Promise<Uint8Array> {
  return encodeModel(await convertTfjsFileToProto(modelJsonPath, options));
}

/**
 * Whether `file` is a TF.js model.json. Reads only the first bytes of anything that does not start
 * like JSON, so it is cheap to call on large .onnx files.
 */
export async function isTfjsModelFile(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = head.subarray(0, bytesRead).toString('utf8').trimStart()[0];
    if (first !== '{') return false;
    return isTfjsModelJson(await handle.readFile());
  } finally {
    await handle.close();
  }
}
