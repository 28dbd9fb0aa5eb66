/**
 * Realistic-size models for the bench beyond the fixtures: the nsfwjs MobileNetV2 converted from TF.js, and the
 * torchvision ResNet-18 / MobileNetV3-Small / EfficientNet-B0 graphs (random weights) that
 * `tools/bench/export_torchvision.py` writes to the git-ignored bench/models/ — skipped with a note when absent.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fixturesRoot } from '../data/manifest.js';
import { encodeModel } from '../onnx/proto.js';
import { convertNsfwjsModel } from '../tfjs/nsfwjs.js';

export const TORCHVISION_BENCH_MODELS = ['resnet-18', 'mobilenet-v3-small', 'efficientnet-b0'] as const;

export async function extraBenchModels(quick: boolean): Promise<{ name: string; bytes: Uint8Array }[]> {
  // Quick runs (smoke tests of the bench itself) stay on the small fixtures.
  if (quick) return [];
  const models = [{ name: 'mobilenet-v2', bytes: encodeModel(await convertNsfwjsModel('MobileNetV2')) }];
  const folder = path.join(path.dirname(fixturesRoot()), 'bench', 'models');
  const missing: string[] = [];
  for (const name of TORCHVISION_BENCH_MODELS) {
    const file = path.join(folder, `${name}.onnx`);
    if (existsSync(file)) models.push({ name, bytes: new Uint8Array(await readFile(file)) });
    else missing.push(name);
  }
  if (missing.length > 0) {
    process.stderr.write(
      `bench: skipping ${missing.join(', ')} (not exported; run /usr/bin/python3 tools/bench/export_torchvision.py)\n`,
    );
  }
  return models;
}
