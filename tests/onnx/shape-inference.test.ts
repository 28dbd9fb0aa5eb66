/**
 * Static shape inference against ONNX Runtime: on every committed fixture model, each tensor whose dims
 * inference decides has the dims a real run gives it; the probe then runs the model only for what is left.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../src/node/load.js';
import { addOutputs, nodeOutputs } from '../../src/onnx/graph.js';
import {
  encodeModel,
  makeModel,
  makeNode,
  makeValueInfo,
  DataType,
  floatTensor,
} from '../../src/onnx/proto.js';
import { inferShapes } from '../../src/onnx/shape-inference.js';
import { OnnxModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/load.js';
import { describeModel, formatModelDescription } from '../../src/methods/describe.js';
import { seededValues } from '../helpers/onnx-models.js';
import { cli } from '../helpers/cli.js';
import { unetSegmenter } from '../../src/bench/unet.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = path.resolve(import.meta.dirname, '..', '..', 'fixtures');
const modelFiles = readdirSync(root).flatMap((name) =>
  existsSync(path.join(root, name))
    ? readdirSync(path.join(root, name))
        .filter((f) => f.endsWith('.onnx'))
        .map((f) => path.join(root, name, f))
    : [],
);

describe('static shape inference', () => {
  it('covers the fixture models', () => {
    expect(modelFiles.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of modelFiles) {
    const label = path.relative(root, file);
    it(`${label}: inferred dims match an ONNX Runtime run of every tensor`, async () => {
      const model = await loadModel(new Uint8Array(readFileSync(file)), { source: file });
      try {
        // The model's own probe fixes the input dims (image spec, sequence length); batch 2 so that a
        // batch dim confused with a 1 would show.
        const shapes = await model.tensorShapes();
        const feeds: Record<string, ort.Tensor> = {};
        const feedInfo: Record<string, { type: number; dims: number[] }> = {};
        for (const input of model.inputs) {
          const dims = shapes[input.name].map((d) => (d < 0 ? 2 : d));
          const size = dims.reduce((a, b) => a * b, 1);
          feeds[input.name] = new ort.Tensor('float32', seededValues(size, 3), dims);
          feedInfo[input.name] = { type: DataType.FLOAT, dims };
        }
        const graph = model.proto.graph!;
        const names = (graph.node ?? []).flatMap(nodeOutputs);
        const session = await ort.InferenceSession.create(encodeModel(addOutputs(model.proto, names)), {
          logSeverityLevel: 3,
        });
        const actual = await session.run(feeds);
        await session.release();
        const inferred = inferShapes(graph, feedInfo);
        let decided = 0;
        for (const name of names) {
          const dims = inferred.get(name)?.dims;
          if (!dims || !actual[name]) continue;
          decided++;
          expect({ name, dims }).toEqual({ name, dims: [...actual[name].dims] });
        }
        // Recurrent layers stay unknown; everything else in these models is decided.
        const recurrent = (graph.node ?? []).some((n) =>
          ['LSTM', 'GRU', 'RNN', 'Loop', 'Scan'].includes(n.opType ?? ''),
        );
        if (!recurrent) expect(decided).toBe(names.length);
        else expect(decided).toBeGreaterThan(0);
      } finally {
        await model.dispose();
      }
    }, 60_000);
  }

  it('probes only the tensors inference leaves unknown', async () => {
    const cnn = await loadModel(new Uint8Array(readFileSync(path.join(root, 'shapes-mask', 'model.onnx'))));
    await cnn.layers();
    expect(cnn.probedTensors).toBe(0);
    await cnn.dispose();
    const lstmFile = path.join(root, 'sequence-lstm', 'model.onnx');
    const lstm = await loadModel(new Uint8Array(readFileSync(lstmFile)));
    const layers = await lstm.layers();
    const total = (lstm.proto.graph?.node ?? []).flatMap(nodeOutputs).length;
    expect(lstm.probedTensors).toBeGreaterThan(0);
    expect(lstm.probedTensors).toBeLessThan(total);
    // The probed remainder gives the same shapes as before: the LSTM output and the logits.
    expect(layers.find((l) => l.name === 'logits')?.shape).toEqual([1, 4]);
    await lstm.dispose();
  });

  it('probes a model whose held input has one value per item', async () => {
    const file = path.join(root, 'shapes-pair', 'model.onnx');
    const query = new Float32Array(3 * 4);
    [0, 2, 3].forEach((c, i) => (query[i * 4 + c] = 1));
    const model = await loadModel(file, { inputs: { query: { data: query, dims: [3, 4] } } });
    expect((await model.layers()).find((l) => l.name === 'present')?.shape).toEqual([1, 1]);
    const scores = await model.predict({ data: seededValues(3 * 3 * 64 * 64, 4), dims: [3, 3, 64, 64] });
    expect(scores.scores.dims).toEqual([3, 1]);
    await model.dispose();
  });

  it('needs no run for the bench U-Net segmenter (resize, concat skips, pooling)', async () => {
    const model = await OnnxModel.create(encodeModel(unetSegmenter(64, [4, 8, 16])), nodeRuntime);
    const layers = await model.layers();
    expect(model.probedTensors).toBe(0);
    expect(layers.find((l) => l.name === 'enc2.relu2')?.shape).toEqual([1, 16, 16, 16]);
    expect(layers.find((l) => l.name === 'mask')?.shape).toEqual([1, 1, 64, 64]);
    const mask = await model.predict({ data: seededValues(3 * 64 * 64, 9), dims: [1, 3, 64, 64] });
    expect(mask.scores.dims).toEqual([1, 1, 64, 64]);
    await model.dispose();
  });
});

describe('info without shapes', () => {
  /** conv → relu over an image of free height and width, with no input spec: shapes cannot be fixed. */
  function freeSizeModel(): Uint8Array {
    return encodeModel(
      makeModel({
        inputs: [makeValueInfo('x', ['N', 3, 'H', 'W'])],
        outputs: [makeValueInfo('y', ['N', 2, 'H', 'W'])],
        initializers: [floatTensor('w', [2, 3, 3, 3], seededValues(54, 5))],
        nodes: [
          makeNode('Conv', ['x', 'w'], ['conv'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv'),
          makeNode('Relu', ['conv'], ['y'], {}, 'relu'),
        ],
      }),
    );
  }

  it('lists inputs, outputs and ops and says why shapes are missing', async () => {
    const model = await OnnxModel.create(freeSizeModel(), nodeRuntime);
    await expect(model.layers()).rejects.toThrow(/symbolic dim 'H'/);
    const description = await describeModel(model);
    expect(description.layers.map((l) => [l.name, l.opType])).toEqual([
      ['conv', 'Conv'],
      ['y', 'Relu'],
    ]);
    expect(description.shapesUnknown).toMatch(/--example-dims|exampleDims/);
    const text = formatModelDescription(description);
    expect(text).toMatch(/conv\s+Conv\s+\?/);
    await model.dispose();
  });

  it('netlens info names the flag that fixes the shapes, and exits 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netlens-info-'));
    const file = path.join(dir, 'free.onnx');
    writeFileSync(file, freeSizeModel());
    const run = await cli('info', file);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Shapes: unknown \(.*--example-dims/);
    const fixed = await cli('info', file, '--example-dims', '3,8,8');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/conv\s+Conv\s+\[1, 2, 8, 8\]/);
  });
});
