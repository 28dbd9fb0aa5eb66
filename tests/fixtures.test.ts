import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureModelPath,
  fixturesRoot,
  imageMask,
  imagePixels,
  listFixtures,
  loadImageSamples,
  loadManifest,
  loadReferenceGradients,
  loadSequenceSamples,
  loadTableSamples,
  sampleImagePaths,
  sequenceTensor,
  type FixtureManifest,
  type TableInputSpec,
} from '../src/data/samples.js';
import { FileError, OptionError } from '../src/errors.js';
import { loadModel } from '../src/node/load.js';
import type { OnnxModel } from '../src/model.js';
import {
  attrInt,
  attrInts,
  decodeModel,
  metadataProps,
  type ModelProto,
  type NodeProto,
} from '../src/onnx/proto.js';
import type { InputSpec, TensorData } from '../src/types.js';

const EXPECTED_FIXTURES = [
  'conv1d-sequence',
  'fashion-cnn',
  'sequence-lstm',
  'shapes-cnn',
  'shapes-modern',
  'shapes-seg',
  'spectro-cnn',
  'tabular-mlp-synthetic',
  'tabular-mlp-wine',
];

/**
 * Fixtures of output kinds and inputs the zoo's loaders and re-measuring do not cover (a one-channel sigmoid
 * map, a CTC sequence, two inputs): tests/output-kinds-fixtures.test.ts measures them.
 */
const OWN_TESTS = ['digits-ctc', 'shapes-mask', 'shapes-pair'];

const models = new Map<string, OnnxModel>();
async function model(name: string): Promise<OnnxModel> {
  let m = models.get(name);
  if (!m) {
    m = await loadModel(fixtureModelPath(name));
    models.set(name, m);
  }
  return m;
}
afterAll(async () => {
  for (const m of models.values()) await m.dispose();
});

function proto(name: string): ModelProto {
  return decodeModel(new Uint8Array(readFileSync(fixtureModelPath(name))), name);
}

// ------------------------------------------------------------------------------------------------- metrics

function argmaxRows(scores: TensorData): number[] {
  const [n, k] = scores.dims;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (scores.data[i * k + c] > scores.data[i * k + best]) best = c;
    out.push(best);
  }
  return out;
}

function accuracy(predicted: number[], labels: ArrayLike<number>): number {
  let hits = 0;
  predicted.forEach((p, i) => (hits += p === labels[i] ? 1 : 0));
  return hits / predicted.length;
}

/** The spec formula written out here on purpose: x = (p * scale - mean[c]) / std[c], HWC bytes -> NCHW. */
function normalisePixels(pixels: Uint8Array, count: number, spec: InputSpec): TensorData {
  const { height: h, width: w, channels: c } = spec;
  const data = new Float32Array(count * c * h * w);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const p = pixels[((n * h + y) * w + x) * c + ch];
          data[((n * c + ch) * h + y) * w + x] = (p * spec.scale - spec.mean[ch]) / spec.std[ch];
        }
      }
    }
  }
  return { data, dims: [count, c, h, w] };
}

function meanIou(predicted: Uint8Array, truth: Uint8Array, classes: number): number {
  const ious: number[] = [];
  for (let c = 0; c < classes; c++) {
    let inter = 0;
    let union = 0;
    for (let i = 0; i < truth.length; i++) {
      const p = predicted[i] === c;
      const t = truth[i] === c;
      if (p && t) inter++;
      if (p || t) union++;
    }
    if (union > 0) ious.push(inter / union);
  }
  return ious.reduce((a, b) => a + b, 0) / ious.length;
}

function pixelArgmax(scores: TensorData): Uint8Array {
  const [n, k, h, w] = scores.dims;
  const plane = h * w;
  const out = new Uint8Array(n * plane);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < plane; p++) {
      let best = 0;
      for (let c = 1; c < k; c++) {
        if (scores.data[(i * k + c) * plane + p] > scores.data[(i * k + best) * plane + p]) best = c;
      }
      out[i * plane + p] = best;
    }
  }
  return out;
}

function rSquared(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i];
  mean /= truth.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    residual += (truth[i] - predicted[i]) ** 2;
    total += (truth[i] - mean) ** 2;
  }
  return 1 - residual / total;
}

/** The manifest's metric, measured on the committed sample set with netlens' own model loader. */
async function remeasure(manifest: FixtureManifest): Promise<number> {
  const m = await model(manifest.name);
  switch (manifest.task) {
    case 'image-classification': {
      const set = loadImageSamples(manifest.name);
      const { scores } = await m.predict(normalisePixels(set.pixels, set.count, manifest.input as InputSpec));
      return accuracy(argmaxRows(scores), set.labels);
    }
    case 'image-segmentation': {
      const set = loadImageSamples(manifest.name);
      const { scores } = await m.predict(
        normalisePixels(set.pixels, set.count, manifest.input as InputSpec),
        {
          miniBatchSize: 32,
        },
      );
      return meanIou(pixelArgmax(scores), set.masks!, manifest.labels.length);
    }
    case 'sequence-classification': {
      const set = loadSequenceSamples(manifest.name);
      const predicted: number[] = [];
      // Sequences differ in length and the model takes no padding: one run per sequence.
      for (let i = 0; i < set.count; i++)
        predicted.push(argmaxRows((await m.predict(sequenceTensor(set, i))).scores)[0]);
      return accuracy(predicted, set.labels);
    }
    case 'tabular-classification':
    case 'tabular-regression': {
      const set = loadTableSamples(manifest.name);
      const spec = manifest.input as TableInputSpec;
      const f = set.features.length;
      const x = new Float32Array(set.count * f);
      for (let i = 0; i < set.count; i++) {
        for (let j = 0; j < f; j++) x[i * f + j] = (set.values[i * f + j] - spec.mean[j]) / spec.std[j];
      }
      const { scores } = await m.predict({ data: x, dims: [set.count, f] });
      return manifest.task === 'tabular-regression'
        ? rSquared(scores.data, set.targets!)
        : accuracy(argmaxRows(scores), set.labels!);
    }
  }
}

// ------------------------------------------------------------------------------------------------- tests

describe('fixture zoo', () => {
  it('has every fixture, within the size budget', () => {
    expect(listFixtures()).toEqual([...EXPECTED_FIXTURES, ...OWN_TESTS].sort());
    let bytes = 0;
    const walk = (p: string): void => {
      const info = statSync(p);
      if (info.isDirectory()) {
        for (const entry of readdirSync(p)) walk(path.join(p, entry));
      } else bytes += info.size;
    };
    walk(fixturesRoot());
    expect(bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('fails with typed errors for unknown fixtures and wrong sample kinds', () => {
    expect(() => loadManifest('fashion-cn')).toThrow(FileError);
    expect(() => loadManifest('fashion-cn')).toThrow(/did you mean fashion-cnn/);
    expect(() => loadImageSamples('tabular-mlp-wine')).toThrow(OptionError);
    expect(() => loadTableSamples('fashion-cnn')).toThrow(OptionError);
    expect(() => loadSequenceSamples('shapes-cnn')).toThrow(OptionError);
    expect(() => loadReferenceGradients('tabular-mlp-wine')).toThrow(/no reference gradients/);
    const set = loadImageSamples('fashion-cnn');
    expect(() => imagePixels(set, set.count)).toThrow(OptionError);
    expect(() => imageMask(set, 0)).toThrow(/no masks/);
  });
});

describe.each(EXPECTED_FIXTURES)('fixture %s', (name) => {
  let manifest: FixtureManifest;
  beforeAll(() => {
    manifest = loadManifest(name);
  });

  it('manifest sha256 matches the model file', () => {
    const digest = createHash('sha256')
      .update(readFileSync(fixtureModelPath(name)))
      .digest('hex');
    expect(digest).toBe(manifest.sha256);
  });

  it('ONNX metadata_props match the manifest; opset 13-17; dynamic batch axis', () => {
    const p = proto(name);
    const meta = metadataProps(p);
    expect(meta['netlens.task']).toBe(manifest.task);
    expect(JSON.parse(meta['netlens.labels'])).toEqual(manifest.labels);
    const described = JSON.parse(meta['netlens.input']) as Record<string, unknown>;
    if (described.kind === 'audio') {
      // An audio model's input is its spectrogram picture's spec plus the recipe that makes the picture.
      const { kind, spectrogram, ...picture } = described;
      expect([kind, typeof spectrogram]).toEqual(['audio', 'object']);
      expect(picture).toEqual(manifest.input);
    } else expect(described).toEqual(manifest.input);
    expect(meta['netlens.metric']).toBe(manifest.metric.name);
    expect(Number(meta['netlens.accuracy'])).toBeCloseTo(manifest.metric.test, 5);
    expect(Number(meta['netlens.seed'])).toBe(manifest.seed);
    expect(meta['netlens.command']).toBe(manifest.command);
    expect(meta['netlens.dataset']).toBe(manifest.dataset);
    const opset = p.opsetImport!.find((o) => !o.domain)!;
    expect(Number(opset.version)).toBeGreaterThanOrEqual(13);
    expect(Number(opset.version)).toBeLessThanOrEqual(17);
    const input = p.graph!.input!.find((i) => i.name === 'input')!;
    const dims = input.type!.tensorType!.shape!.dim!;
    expect(dims[0].dimParam).toBeTruthy();
    if (manifest.task === 'sequence-classification') expect(dims[1].dimParam).toBeTruthy();
    const ops = new Set(p.graph!.node!.map((n) => n.opType));
    expect([...ops].sort()).toEqual([...manifest.opTypes].sort());
  });

  it('metric re-measured on the committed samples with netlens matches the manifest within 1 point', async () => {
    const measured = await remeasure(manifest);
    expect(Math.abs(measured - manifest.metric.samples)).toBeLessThanOrEqual(0.01);
    // The sample set is representative: within a few points of the full test set.
    expect(Math.abs(manifest.metric.samples - manifest.metric.test)).toBeLessThan(0.05);
  });

  it('the loader reports the model output kind the manifest declares', async () => {
    const m = await model(name);
    expect(m.outputName).toBe(manifest.output.name);
    if (manifest.output.kind !== 'regression') expect(m.outputKind).toBe(manifest.output.kind);
  });
});

describe('image sample sets', () => {
  it('fashion-cnn: >= 1000 labelled 28x28 images, every class present, PNGs named by class', () => {
    const set = loadImageSamples('fashion-cnn');
    expect(set.count).toBeGreaterThanOrEqual(1000);
    expect([set.height, set.width, set.channels]).toEqual([28, 28, 1]);
    expect(new Set(set.labels).size).toBe(10);
    expect(imagePixels(set, 3).length).toBe(28 * 28);
    const pngs = sampleImagePaths('fashion-cnn');
    expect(pngs.length).toBeGreaterThanOrEqual(10);
    for (const png of pngs) {
      const [index, ...rest] = path.basename(png, '.png').split('-');
      const label = set.labels[Number(index)];
      expect(rest.join('-')).toBe(set.classNames[label].toLowerCase().replace(/[^a-z0-9]+/g, '-'));
      expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it.each(['shapes-cnn', 'shapes-seg', 'shapes-modern'])(
    '%s: >= 200 images whose boxes are exactly the extents of their masks, mask id = label + 1',
    (name) => {
      const set = loadImageSamples(name);
      expect(set.count).toBeGreaterThanOrEqual(200);
      expect([set.height, set.width, set.channels]).toEqual([64, 64, 3]);
      expect(set.maskClassNames).toEqual(['background', ...set.classNames]);
      for (let i = 0; i < set.count; i++) {
        const mask = imageMask(set, i);
        let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
        const ids = new Set<number>();
        for (let y = 0; y < 64; y++) {
          for (let x = 0; x < 64; x++) {
            const v = mask[y * 64 + x];
            if (v === 0) continue;
            ids.add(v);
            [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
          }
        }
        expect([...ids]).toEqual([set.labels[i] + 1]);
        expect(set.boxes![i]).toEqual([x0, y0, x1, y1]);
      }
      expect(sampleImagePaths(name).length).toBeGreaterThanOrEqual(12);
    },
  );

  it('spectro-cnn: event boxes inside the spectrogram, regions in seconds and hertz', () => {
    const set = loadImageSamples('spectro-cnn');
    expect(set.count).toBeGreaterThanOrEqual(200);
    set.boxes!.forEach(([x0, y0, x1, y1], i) => {
      expect(0 <= x0 && x0 <= x1 && x1 < set.width && 0 <= y0 && y0 <= y1 && y1 < set.height).toBe(true);
      const { seconds, hertz } = set.regions![i];
      expect(seconds[0]).toBeLessThan(seconds[1]);
      expect(hertz[0]).toBeLessThanOrEqual(hertz[1]);
    });
  });
});

describe('sequence and table sample sets', () => {
  it('sequence-lstm: windows lie inside each sequence, the evidence channels carry the pattern, the others noise only', () => {
    const set = loadSequenceSamples('sequence-lstm');
    expect(set.count).toBeGreaterThanOrEqual(200);
    expect(set.channels).toBe(12);
    expect(new Set(set.labels).size).toBeGreaterThanOrEqual(4);
    // One evidence set for every class: the class is carried by the pattern's shape, not by where it lies.
    for (const channels of set.evidenceChannels) expect(channels).toEqual(set.evidenceChannels[0]);
    const evidence = set.evidenceChannels[0];
    const noise = Array.from({ length: set.channels }, (_, c) => c).filter((c) => !evidence.includes(c));
    /** Mean over the sequences of the mean |x| on `channels` inside / outside the window. */
    const meanAbs = (channels: number[]) => {
      let inside = 0;
      let outside = 0;
      set.windows.forEach(([first, last], i) => {
        const seq = set.sequences[i];
        let sumIn = 0;
        let sumOut = 0;
        for (let t = 0; t < set.lengths[i]; t++) {
          for (const c of channels) {
            const v = Math.abs(seq[t * set.channels + c]);
            if (t >= first && t <= last) sumIn += v;
            else sumOut += v;
          }
        }
        inside += sumIn / ((last - first + 1) * channels.length);
        outside += sumOut / Math.max(1, (set.lengths[i] - (last - first + 1)) * channels.length);
      });
      return { inside, outside };
    };
    set.windows.forEach(([first, last], i) =>
      expect(0 <= first && first <= last && last < set.lengths[i]).toBe(true),
    );
    const onEvidence = meanAbs(evidence);
    expect(onEvidence.inside).toBeGreaterThan(1.5 * onEvidence.outside);
    // The other channels are the same AR(1) noise inside and outside the window: |x| has mean 0.39 and sd 0.3
    // there, so the window mean over ~20 000 values (200 sequences x ~12 steps x 9 channels, autocorrelated)
    // has a standard error near 1 % of the mean; a pattern on those channels would raise it several-fold.
    const onNoise = meanAbs(noise);
    expect(Math.abs(onNoise.inside - onNoise.outside)).toBeLessThan(0.1 * onNoise.outside);
  });

  it('tables: CSV values, informative features, and the normalized option apply the spec', () => {
    const synthetic = loadTableSamples('tabular-mlp-synthetic');
    expect(synthetic.targetKind).toBe('regression');
    expect(synthetic.informative).toEqual(['x0', 'x1', 'x2', 'x3']);
    const wine = loadTableSamples('tabular-mlp-wine');
    expect(wine.targetKind).toBe('class');
    expect(wine.informative).toBeNull();
    expect(wine.features.length).toBe(13);
    const spec = loadManifest('tabular-mlp-wine').input as TableInputSpec;
    const normed = loadTableSamples('tabular-mlp-wine', { normalized: true });
    expect(normed.values[5 * 13 + 12]).toBeCloseTo(
      (wine.values[5 * 13 + 12] - spec.mean[12]) / spec.std[12],
      5,
    );
  });
});

// ------------------------------------------------------------------------------------------------- structure

function producers(p: ModelProto): Map<string, NodeProto> {
  const map = new Map<string, NodeProto>();
  for (const node of p.graph!.node!) for (const out of node.output ?? []) map.set(out, node);
  return map;
}

describe('model structure', () => {
  it('exactly one image classifier (shapes-cnn) ends in Softmax; the others output logits', async () => {
    const enders: string[] = [];
    for (const name of EXPECTED_FIXTURES) {
      const p = proto(name);
      const last = producers(p).get(p.graph!.output![0].name!)!;
      if (last.opType === 'Softmax') enders.push(name);
    }
    expect(enders).toEqual(['shapes-cnn']);
    expect((await model('shapes-cnn')).outputKind).toBe('probabilities');
    expect((await model('fashion-cnn')).outputKind).toBe('logits');
  });

  it('fashion-cnn: conv-BN-ReLU-maxpool blocks, then GlobalAveragePool, then one Gemm', () => {
    const p = proto('fashion-cnn');
    const ops = p.graph!.node!.map((n) => n.opType);
    const gap = ops.indexOf('GlobalAveragePool');
    expect(ops.slice(gap)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm']);
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(1);
    const body = ops.slice(0, gap).join(' ');
    expect(body).toMatch(/^(Conv BatchNormalization Relu (Conv BatchNormalization Relu )*MaxPool ?)+$/);
    expect(loadManifest('fashion-cnn').metric.test).toBeGreaterThanOrEqual(0.9);
  });

  it('shapes-seg: per-pixel scores [N, K+1, H, W] with background first', async () => {
    const m = await model('shapes-seg');
    const set = loadImageSamples('shapes-seg');
    const { scores } = await m.predict(
      normalisePixels(imagePixels(set, 0), 1, loadManifest('shapes-seg').input as InputSpec),
    );
    expect(scores.dims).toEqual([1, 5, 64, 64]);
    expect(m.labels![0]).toBe('background');
  });

  it('shapes-modern: residual Add, depthwise + pointwise conv, HardSwish/SiLU, SE, norm, Resize, Concat, 3x3/2 MaxPool', () => {
    const p = proto('shapes-modern');
    const nodes = p.graph!.node!;
    const byOutput = producers(p);
    const initializers = new Set(p.graph!.initializer!.map((t) => t.name));
    const ops = new Set(nodes.map((n) => n.opType));
    for (const op of ['Concat', 'Resize', 'GlobalAveragePool', 'Mul']) expect(ops.has(op)).toBe(true);
    expect(ops.has('HardSwish') || (ops.has('Sigmoid') && ops.has('Mul'))).toBe(true);
    expect(ops.has('BatchNormalization') || ops.has('LayerNormalization')).toBe(true);
    const weightShape = (node: NodeProto): number[] => {
      const w = p.graph!.initializer!.find((t) => t.name === node.input![1])!;
      return w.dims!.map(Number);
    };
    const convs = nodes.filter((n) => n.opType === 'Conv');
    const depthwise = convs.filter(
      (n) => attrInt(n, 'group', 1) > 1 && attrInt(n, 'group', 1) === weightShape(n)[0],
    );
    expect(depthwise.length).toBeGreaterThan(0);
    expect(depthwise.every((n) => weightShape(n)[1] === 1)).toBe(true);
    expect(
      convs.some((n) => weightShape(n)[2] === 1 && weightShape(n)[3] === 1 && attrInt(n, 'group', 1) === 1),
    ).toBe(true);
    const pools = nodes.filter((n) => n.opType === 'MaxPool');
    expect(
      pools.some(
        (n) => attrInts(n, 'kernel_shape')?.join() === '3,3' && attrInts(n, 'strides')?.join() === '2,2',
      ),
    ).toBe(true);
    // Residual: an Add of two computed tensors (no constant operand).
    const residual = nodes.filter(
      (n) => n.opType === 'Add' && n.input!.every((i) => byOutput.has(i) && !initializers.has(i)),
    );
    expect(residual.length).toBeGreaterThan(0);
    // Squeeze-excitation: a Mul one of whose operands descends from a GlobalAveragePool.
    const descendsFromGap = (tensor: string, depth = 0): boolean => {
      const node = byOutput.get(tensor);
      if (!node || depth > 8) return false;
      if (node.opType === 'GlobalAveragePool') return true;
      return node.input!.some((i) => descendsFromGap(i, depth + 1));
    };
    expect(nodes.some((n) => n.opType === 'Mul' && n.input!.some((i) => descendsFromGap(i)))).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------- gradients

describe('reference gradients', () => {
  const withReference = ['fashion-cnn', 'shapes-cnn', 'shapes-modern', 'shapes-seg'];

  it('exist exactly for the image fixtures that need them', () => {
    expect(EXPECTED_FIXTURES.filter((name) => loadManifest(name).reference)).toEqual(withReference);
  });

  it.each(withReference)(
    '%s: stored inputs reproduce the stored scores, and a central difference along the gradient matches its norm',
    async (name) => {
      const ref = loadReferenceGradients(name);
      const m = await model(name);
      const set = loadImageSamples(name);
      const spec = loadManifest(name).input as InputSpec;
      // The inputs are the normalised sample images they claim to be, plus a small dither (std 0.01) that keeps
      // max-pool windows and ReLUs off exact ties, where the gradient would not be unique.
      const itemSize = ref.inputs.data.length / ref.count;
      ref.sampleIndices.forEach((row, k) => {
        const expected = normalisePixels(imagePixels(set, row), 1, spec).data;
        const stored = ref.inputs.data.subarray(k * itemSize, (k + 1) * itemSize);
        let maxDiff = 0;
        for (let i = 0; i < itemSize; i++) maxDiff = Math.max(maxDiff, Math.abs(stored[i] - expected[i]));
        expect(maxDiff).toBeGreaterThan(0);
        expect(maxDiff).toBeLessThan(0.07);
      });
      const scores = (await m.run(ref.inputs, [ref.outputTensor]))[ref.outputTensor];
      expect(scores.dims).toEqual(ref.scores.dims);
      let worst = 0;
      for (let i = 0; i < scores.data.length; i++) {
        worst = Math.max(
          worst,
          Math.abs(scores.data[i] - ref.scores.data[i]) / (1 + Math.abs(ref.scores.data[i])),
        );
      }
      expect(worst).toBeLessThan(1e-3);

      // f(x) = seed · scores(x); along v = g/|g| its derivative is |g| (central difference, float32 runs).
      const scoreSize = ref.scores.data.length / ref.count;
      const seedOf = (k: number): Float32Array => {
        if (ref.seeds) return ref.seeds.data.subarray(k * scoreSize, (k + 1) * scoreSize);
        const seed = new Float32Array(scoreSize);
        seed[ref.targets[k]] = 1;
        return seed;
      };
      const eps = 1e-3;
      const shifted = (k: number, sign: number): TensorData => {
        const g = ref.gradients.data.subarray(k * itemSize, (k + 1) * itemSize);
        const norm = Math.hypot(...g);
        const x = Float32Array.from(ref.inputs.data.subarray(k * itemSize, (k + 1) * itemSize));
        for (let i = 0; i < itemSize; i++) x[i] += (sign * eps * g[i]) / norm;
        return { data: x, dims: [1, ...ref.inputs.dims.slice(1)] };
      };
      for (let k = 0; k < ref.count; k++) {
        const g = ref.gradients.data.subarray(k * itemSize, (k + 1) * itemSize);
        const norm = Math.hypot(...g);
        expect(norm).toBeGreaterThan(0);
        const f = async (x: TensorData): Promise<number> => {
          const s = (await m.run(x, [ref.outputTensor]))[ref.outputTensor].data;
          const seed = seedOf(k);
          let total = 0;
          for (let i = 0; i < s.length; i++) total += seed[i] * s[i];
          return total;
        };
        const slope = ((await f(shifted(k, 1))) - (await f(shifted(k, -1)))) / (2 * eps);
        expect(Math.abs(slope - norm) / norm).toBeLessThan(0.02);
      }
    },
  );
});

describe('fixture files', () => {
  it('every manifest names files that exist', () => {
    for (const name of EXPECTED_FIXTURES) {
      const manifest = loadManifest(name);
      const dir = path.dirname(fixtureModelPath(name));
      expect(existsSync(path.join(dir, manifest.samples.index))).toBe(true);
      if (manifest.reference) expect(existsSync(path.join(dir, manifest.reference.header))).toBe(true);
    }
  });
});
