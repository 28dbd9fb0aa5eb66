/**
 * Files and bytes: model.json + sharded weights on disk, detection of TF.js model files, quantized weight
 * decoding against TF.js's own decoder, weight-name resolution, and the JS-literal reader.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError, ModelError } from '../../src/errors.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import { fromTfjsLayers, isTfjsModelJson } from '../../src/tfjs/index.js';
import { parseJsLiteral } from '../../src/tfjs/js-literal.js';
import { bundledLiteral } from '../../src/tfjs/nsfwjs.js';
import { convertTfjsFile, isTfjsModelFile, readTfjsModelFiles } from '../../src/tfjs/node.js';
import type { TfjsWeightSpec } from '../../src/tfjs/types.js';
import { decodeWeights, WeightStore } from '../../src/tfjs/weights.js';
import {
  maxAbsDiff,
  randomArray,
  randomizeWeights,
  runOnnx,
  saveToJson,
  seededRandom,
  tf,
  useWasmBackend,
} from './harness.js';

describe('model.json and shards on disk', () => {
  let dir: string;
  let model: tf.LayersModel;
  beforeAll(async () => {
    await useWasmBackend();
    dir = await mkdtemp(path.join(os.tmpdir(), 'netlens-tfjs-'));
    model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 3],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeWeights(model, 11);
    const { modelJson, weightData } = await saveToJson(model);
    // Two shards, split mid-weight, one of them in a sub folder with a space (URL-encoded in the manifest).
    const cut = 101;
    const json = {
      ...modelJson,
      weightsManifest: [
        {
          paths: ['shard1.bin', 'sub%20dir/shard2.bin'],
          weights: modelJson.weightsManifest?.[0].weights ?? [],
        },
      ],
    };
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(path.join(dir, 'shard1.bin'), weightData.subarray(0, cut));
    await mkdir(path.join(dir, 'sub dir'));
    await writeFile(path.join(dir, 'sub dir', 'shard2.bin'), weightData.subarray(cut));
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ hello: 'world' }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('convertTfjsFile reads the shards and matches TF.js', async () => {
    const bytes = await convertTfjsFile(path.join(dir, 'model.json'));
    const onnx = decodeModel(bytes);
    const x = randomArray(2 * 6 * 6 * 3, seededRandom(12));
    const name = onnx.graph?.input?.[0].name ?? '';
    const got = Object.values(await runOnnx(onnx, { [name]: { data: x, dims: [2, 6, 6, 3] } }))[0];
    const expected = (await (model.predict(tf.tensor(x, [2, 6, 6, 3])) as tf.Tensor).data()) as Float32Array;
    expect(maxAbsDiff(got.data, expected)).toBeLessThan(1e-4);
  });

  it('recognizes TF.js model files and nothing else', async () => {
    expect(await isTfjsModelFile(path.join(dir, 'model.json'))).toBe(true);
    expect(await isTfjsModelFile(path.join(dir, 'other.json'))).toBe(false);
    expect(await isTfjsModelFile(path.join(dir, 'shard1.bin'))).toBe(false);
    expect(await isTfjsModelFile(path.join(dir, 'missing.json'))).toBe(false);
    const onnxPath = path.join(dir, 'model.onnx');
    await writeFile(onnxPath, await convertTfjsFile(path.join(dir, 'model.json')));
    expect(await isTfjsModelFile(onnxPath)).toBe(false);
    expect(isTfjsModelJson(new TextEncoder().encode('  {"modelTopology": {}, "weightsManifest": []}'))).toBe(
      true,
    );
    expect(isTfjsModelJson(new TextEncoder().encode('{"modelTopology": 1}'))).toBe(false);
    expect(isTfjsModelJson(new TextEncoder().encode('{ not json'))).toBe(false);
  });

  it('a missing shard or model.json is a FileError', async () => {
    await writeFile(
      path.join(dir, 'broken.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['nope.bin'], weights: [] }] }),
    );
    await expect(readTfjsModelFiles(path.join(dir, 'broken.json'))).rejects.toThrow(FileError);
    await expect(readTfjsModelFiles(path.join(dir, 'absent.json'))).rejects.toThrow(/does not exist/);
    await expect(readTfjsModelFiles(path.join(dir, 'sub dir'))).rejects.toThrow(/not a regular file/);
    await writeFile(path.join(dir, 'bad.json'), '{"modelTopology": ');
    await expect(readTfjsModelFiles(path.join(dir, 'bad.json'))).rejects.toThrow(ModelError);
  });

  it('round-trips through encodeModel', async () => {
    const { modelJson, weightData } = await saveToJson(model);
    const bytes = encodeModel(fromTfjsLayers(modelJson, weightData));
    expect(decodeModel(bytes).graph?.node?.length).toBeGreaterThan(0);
  });
});

describe('weight decoding', () => {
  beforeAll(useWasmBackend);

  it('uint8 / uint16 / float16 quantized weights decode exactly as TF.js decodes them', async () => {
    const random = seededRandom(21);
    const specs: TfjsWeightSpec[] = [
      {
        name: 'a/kernel',
        shape: [3, 4],
        dtype: 'float32',
        quantization: { dtype: 'uint8', min: -0.7, scale: 0.0061 },
      },
      {
        name: 'b/kernel',
        shape: [5],
        dtype: 'float32',
        quantization: { dtype: 'uint16', min: -1.3, scale: 3.1e-5 },
      },
      { name: 'c/kernel', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'd/kernel', shape: [3], dtype: 'float32' },
      { name: 'e/kernel', shape: [2], dtype: 'int32' },
    ];
    const parts = [
      Uint8Array.from({ length: 12 }, () => Math.floor(random() * 256)),
      new Uint8Array(Uint16Array.from({ length: 5 }, () => Math.floor(random() * 65536)).buffer),
      new Uint8Array(Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8400]).buffer),
      new Uint8Array(Float32Array.from([1.5, -2.25, 3e-8]).buffer),
      new Uint8Array(Int32Array.from([-7, 123456]).buffer),
    ];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      bytes.set(p, offset);
      offset += p.length;
    }
    const mine = decodeWeights(specs, bytes);
    const theirs = tf.io.decodeWeights(bytes.buffer, specs as tf.io.WeightsManifestEntry[]);
    for (const w of mine) {
      const ref = theirs[w.name];
      expect(w.shape).toEqual(ref.shape);
      expect(Array.from(w.data)).toEqual(Array.from(await ref.data()));
    }
    expect(() => decodeWeights(specs, bytes.subarray(0, 20))).toThrow(/weight data too short/);
  });

  it('resolves Keras, recurrent-cell, nested and de-duplicated weight names', () => {
    const t = (name: string) => ({ name, shape: [1], data: new Float32Array([name.length]) });
    const store = new WeightStore([
      t('dense/kernel'),
      t('lstm/lstm_cell/kernel'),
      t('outer/conv/kernel'),
      t('inner/conv/kernel_1'),
      t('other_dense/kernel'),
    ]);
    expect(store.take([], 'dense', 'kernel').name).toBe('dense/kernel');
    expect(store.take([], 'lstm', 'kernel').name).toBe('lstm/lstm_cell/kernel');
    expect(store.take(['inner'], 'conv', 'kernel').name).toBe('inner/conv/kernel_1');
    expect(store.take(['outer'], 'conv', 'kernel').name).toBe('outer/conv/kernel');
    expect(() => store.take([], 'dense', 'bias')).toThrow(/weight 'bias' of layer 'dense' not found/);
    expect(() => store.take([], 'other_dense', 'kernel', [2])).toThrow(/expects \[2\]/);
  });
});

describe('JS literal reader', () => {
  it('reads minified object literals', () => {
    const src = 'a.exports={x:1,"y z":[.5,-2e-3,!0,!1,null],n:{k:\'q\\u0041\\n\'},e:[],o:{}}';
    const { value, end } = parseJsLiteral(src, src.indexOf('{'));
    expect(value).toEqual({ x: 1, 'y z': [0.5, -0.002, true, false, null], n: { k: 'qA\n' }, e: [], o: {} });
    expect(end).toBe(src.length);
  });

  it('reports where a literal is malformed', () => {
    expect(() => parseJsLiteral('{a:1,b:foo()}')).toThrow(/expected a value at offset 7/);
  });

  it('finds the module.exports literal of a bundle, and refuses files without one', () => {
    const bundle =
      '!function(e){module.exports=e()}(function(){return{1:[function(e,a,n){a.exports="QUJD"},{}]}});';
    expect(bundledLiteral(bundle, 'shard.min.js')).toBe('QUJD');
    expect(() => bundledLiteral('console.log(1)', 'x.min.js')).toThrow(ModelError);
  });
});

describe('browser safety', () => {
  it('nothing reachable from src/tfjs/index.ts imports a Node module', async () => {
    const { readFile } = await import('node:fs/promises');
    const seen = new Set<string>();
    const queue = [path.resolve('src/tfjs/index.ts')];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const source = await readFile(file, 'utf8');
      for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'/g)) {
        const target = match[1] ?? match[2];
        expect(target.startsWith('node:'), `${file} imports ${target}`).toBe(false);
        if (target.startsWith('.'))
          queue.push(path.resolve(path.dirname(file), target.replace(/\.js$/, '.ts')));
      }
    }
    expect(seen.has(path.resolve('src/tfjs/layers/recurrent.ts'))).toBe(true);
  });
});
