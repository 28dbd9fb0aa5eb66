import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FileError, ModelError, NetlensError, OptionError } from '../src/errors.js';
import { loadModel } from '../src/node/load.js';
import { encodeModel } from '../src/onnx/proto.js';
import { CNN, cnnModel } from './helpers/onnx-models.js';

let dir: string;
const modelBytes = encodeModel(cnnModel());

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: Uint8Array | string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** The load must fail with this error class and code, in one line with no stack or protobuf dump. */
async function expectLoadError(
  source: string | Uint8Array,
  type: typeof NetlensError,
  code: string,
  pattern?: RegExp,
): Promise<void> {
  const error = await loadModel(source).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(type);
  const { message } = error as NetlensError;
  expect((error as NetlensError).code).toBe(code);
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/\bat .*:\d+:\d+/);
  if (pattern) expect(message).toMatch(pattern);
}

describe('loadModel errors', () => {
  it('reports a missing file', async () => {
    await expectLoadError(
      path.join(dir, 'missing.onnx'),
      FileError,
      'FILE_NOT_FOUND',
      /not found: .*missing\.onnx/,
    );
  });

  it('reports a directory', async () => {
    const sub = path.join(dir, 'a-directory.onnx');
    await mkdir(sub, { recursive: true });
    await expectLoadError(sub, FileError, 'NOT_A_FILE', /is a directory/);
  });

  it('reports truncated ONNX files wherever they are cut', async () => {
    for (const fraction of [0.05, 0.3, 0.6, 0.95]) {
      const cut = Math.floor(modelBytes.length * fraction);
      const file = await write(`truncated-${fraction}.onnx`, modelBytes.slice(0, cut));
      await expectLoadError(file, ModelError, 'INVALID_MODEL', /truncated-/);
    }
    await expectLoadError(await write('empty.onnx', new Uint8Array()), ModelError, 'INVALID_MODEL', /empty/);
  });

  it('reports a model that decodes but that ONNX Runtime rejects', async () => {
    const model = cnnModel();
    model.graph!.node![1].opType = 'NoSuchOp';
    const file = await write('unknown-op.onnx', encodeModel(model));
    await expectLoadError(
      file,
      ModelError,
      'INVALID_MODEL',
      /unknown-op\.onnx is not a usable ONNX model \(ONNX Runtime: /,
    );
  });

  it('reports a text file', async () => {
    const file = await write('notes.onnx', 'This is a plain text file, not a network.\nSecond line.\n');
    await expectLoadError(file, ModelError, 'INVALID_MODEL', /notes\.onnx/);
  });

  it('reports a PNG passed as the model', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    await expectLoadError(await write('picture.png', png), ModelError, 'INVALID_MODEL', /image/);
    await expectLoadError(new Uint8Array(png), ModelError, 'INVALID_MODEL', /image/);
  });

  it('refuses a TF.js model.json without a topology, and other JSON as no model', async () => {
    const tfjs = await write(
      'tfjs/model.json',
      JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }),
    );
    await expectLoadError(tfjs, ModelError, 'INVALID_MODEL');
    await expectLoadError(await write('other.json', '{"a": 1}'), ModelError, 'INVALID_MODEL', /not a TF\.js/);
    await expectLoadError(await write('broken.json', '{"a": '), ModelError, 'INVALID_MODEL');
  });

  it('reports a missing labels file and a malformed sidecar', async () => {
    const file = await write('good/model.onnx', modelBytes);
    await expect(loadModel(file, { labelsFile: path.join(dir, 'nope.txt') })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const withSidecar = await write('bad-sidecar/model.onnx', modelBytes);
    await write('bad-sidecar/model.json', '{"labels": "not-a-list"}');
    await expect(loadModel(withSidecar)).rejects.toThrow(OptionError);
    await write('bad-sidecar/model.json', '{"labels": [');
    await expect(loadModel(withSidecar)).rejects.toThrow(/not valid JSON/);
    await write('bad-sidecar/model.json', '{"classes": []}');
    await expect(loadModel(withSidecar)).rejects.toThrow(/unknown key\(s\) classes/);
  });
});

describe('loadModel sources', () => {
  it('loads a file with its sidecar, and a labels file overrides the sidecar labels', async () => {
    const file = await write('side/net.onnx', modelBytes);
    await write(
      'side/net.json',
      JSON.stringify({ labels: CNN.labels, input: { scale: 1 }, task: 'classification' }),
    );
    const model = await loadModel(file);
    expect(model.labels).toEqual(CNN.labels);
    expect(model.inputSpec?.scale).toBe(1);
    expect(model.inputSpec?.height).toBe(4);
    expect(model.task).toBe('classification');
    expect(model.source).toBe(file);
    await model.dispose();

    const labelsFile = await write('side/labels.txt', 'cat\ndog\nbird\n\n');
    const relabelled = await loadModel(file, { labelsFile });
    expect(relabelled.labels).toEqual(['cat', 'dog', 'bird']);
    await relabelled.dispose();

    const noSidecar = await loadModel(file, { sidecar: false });
    expect(noSidecar.labels).toBeUndefined();
    await noSidecar.dispose();
  });

  it('also finds a sidecar named after the full file name', async () => {
    const file = await write('side2/net.onnx', modelBytes);
    await write('side2/net.onnx.json', JSON.stringify({ labels: ['a', 'b', 'c'] }));
    const model = await loadModel(file);
    expect(model.labels).toEqual(['a', 'b', 'c']);
    await model.dispose();
  });

  it('loads from bytes and predicts', async () => {
    const model = await loadModel(modelBytes, { labels: CNN.labels });
    const prediction = await model.predict({ data: new Float32Array(16), dims: [1, 1, 4, 4] });
    const sum = prediction.probabilities.data.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    await model.dispose();
  });
});
