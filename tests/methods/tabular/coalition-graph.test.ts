/**
 * Interventional coalition values inside ONNX Runtime (`evaluation: 'graph'`, onnx/coalition-graph.ts) against
 * the same values computed from explicitly built rows. On the 'rows' path the graph holds the very rows
 * (q_S, b_¬S) and the model's own dot products, so the two differ only by float32 arithmetic after the forward
 * pass: the mean of B scores summed in float32 (at most B·u·max|score| off, u = 2⁻²⁴) and, for probabilities,
 * the float32 softmax (a few roundings of one score). On the 'first-layer' path the first layer's output is
 * summed from other float32 parts (base + Σ_f z_f·shift_f), so the first layer of each route is within
 * γ·(its magnitude) of the exact one and the difference travels through the rest of the model:
 * `firstLayerRouteBound` carries it through the fixtures' Gemm and Relu layers by their absolute weights.
 * Shapley values are linear in the coalition values, φ = L·v, so they may differ by Σ_j |L_fj| times that; L
 * is read from the solve itself, one unit vector at a time.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../../src/data/samples.js';
import type { TableData } from '../../../src/data/table-csv.js';
import { UnsupportedError } from '../../../src/errors.js';
import { loadModel } from '../../../src/node/load.js';
import {
  decodeModel,
  decodeTensor,
  encodeModel,
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
  type NodeProto,
} from '../../../src/onnx/proto.js';
import { findInitializer } from '../../../src/onnx/graph.js';
import { readFileSync } from 'node:fs';
import { kernelShapDesign } from '../../../src/methods/shapley/kernel-shap.js';
import {
  shapley,
  standardize,
  tableSchema,
  tableScorer,
  type ShapleyEvaluation,
  type TableShapleyOptions,
} from '../../../src/methods/tabular/index.js';
import type { Model } from '../../../src/types.js';
import { seededValues, tableLinearModel } from '../../helpers/onnx-models.js';

const U = 2 ** -24;
/** Roundings of one probability in the graph's softmax (Sub, Exp within 2 ulp, Sum, Div) and of the reference. */
const SOFTMAX_ROUNDINGS = 8;

/** γ_n = n·u / (1 − n·u): the relative error bound of a float32 sum of n terms. */
const gamma = (n: number) => (n * U) / (1 - n * U);

interface DenseLayer {
  w: Float32Array;
  c: Float32Array;
  rows: number;
  cols: number;
  relu: boolean;
}

/** The fixtures' layers: Gemm (transB) nodes, each followed or not by a Relu. */
function denseLayers(proto: ModelProto): DenseLayer[] {
  const graph = proto.graph!;
  const layers: DenseLayer[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType === 'Relu') {
      layers[layers.length - 1].relu = true;
      continue;
    }
    expect(node.opType).toBe('Gemm');
    const w = decodeTensor(findInitializer(graph, node.input![1])!);
    const c = decodeTensor(findInitializer(graph, node.input![2])!).data as Float32Array;
    layers.push({ w: w.data as Float32Array, c, rows: w.dims[0], cols: w.dims[1], relu: false });
  }
  return layers;
}

/**
 * Bound on the difference of a coalition's mean scores (before any softmax) between the 'first-layer' and
 * 'rows' paths, largest over coalitions and scores, carried row by row through the exact (float64) forward
 * pass. First layer: each route is within γ_{F+2}·M of the exact value, M = |c_h| + Σ_f (|q_f| + 2|b_f|)·|W_hf|
 * bounding every term either route sums (the first-layer path also rounds its float64 parts once). A Relu
 * passes a difference on where its input lies within it of 0 and stops it where the input is below; each later
 * Gemm carries it through |W| and may itself round differently on the two routes (γ_{K+2} of its magnitude).
 */
function firstLayerRouteBound(
  proto: ModelProto,
  background: Float32Array,
  query: Float32Array,
  coalitions: readonly Uint8Array[],
): number {
  const layers = denseLayers(proto);
  const m = query.length;
  const n = background.length / m;
  let worst = 0;
  for (const z of coalitions) {
    const sums = new Float64Array(layers[layers.length - 1].rows);
    for (let b = 0; b < n; b++) {
      const bg = background.subarray(b * m, (b + 1) * m);
      let x = Float64Array.from(bg, (v, f) => (z[f] ? query[f] : v));
      let delta = new Float64Array(m);
      layers.forEach((layer, l) => {
        const out = new Float64Array(layer.rows);
        const next = new Float64Array(layer.rows);
        for (let j = 0; j < layer.rows; j++) {
          let value = layer.c[j];
          let magnitude = Math.abs(layer.c[j]);
          let carried = 0;
          for (let f = 0; f < layer.cols; f++) {
            const w = layer.w[j * layer.cols + f];
            value += w * x[f];
            magnitude +=
              Math.abs(w) * (l === 0 ? Math.abs(query[f]) + 2 * Math.abs(bg[f]) : Math.abs(x[f]) + delta[f]);
            carried += Math.abs(w) * delta[f];
          }
          next[j] = carried + 2 * gamma(layer.cols + 2) * magnitude;
          out[j] = value;
          if (layer.relu) {
            if (value < -next[j]) next[j] = 0;
            out[j] = Math.max(0, value);
          }
        }
        x = out;
        delta = next;
      });
      delta.forEach((d, o) => (sums[o] += d / n));
    }
    worst = Math.max(worst, ...sums);
  }
  return worst;
}

function rows(values: Float32Array, features: string[], first: number, count: number): TableData {
  const m = features.length;
  return { features, rows: count, values: values.slice(first * m, (first + count) * m) };
}

/** Float64 means of the scores of explicitly built rows (q_S, b_¬S), and the largest |score| of any row. */
/**
 * Exact Shapley values of two query points against `backgroundRows` seeded rows, by the coalition graph and by
 * rows built in JavaScript: the pair every route comparison below starts from.
 */
async function bothRoutes(model: Model, seed: number, features: number, backgroundRows: number) {
  const schema = tableSchema(model);
  const values = seededValues((backgroundRows + 2) * features, seed);
  const options = { queryPoints: rows(values, schema.features, backgroundRows, 2), schema };
  const background = rows(values, schema.features, 0, backgroundRows);
  const a = await shapley(model, background, { ...options, evaluation: 'graph' });
  const b = await shapley(model, background, { ...options, evaluation: 'rows' });
  return { a, b };
}

async function referenceMeans(
  model: Model,
  background: Float32Array,
  query: Float32Array,
  coalitions: readonly Uint8Array[],
  score: 'probability' | 'logit',
) {
  const schema = tableSchema(model);
  const scorer = await tableScorer(model, schema, { score });
  const m = query.length;
  const n = background.length / m;
  const batch = new Float32Array(coalitions.length * n * m);
  coalitions.forEach((z, c) => {
    for (let b = 0; b < n; b++) {
      for (let f = 0; f < m; f++) batch[(c * n + b) * m + f] = z[f] ? query[f] : background[b * m + f];
    }
  });
  const scores = await scorer.scoreStandardized(batch, coalitions.length * n);
  const k = scorer.columns;
  const means = new Float64Array(coalitions.length * k);
  let largest = 0;
  for (let r = 0; r < coalitions.length * n; r++) {
    for (let o = 0; o < k; o++) {
      means[Math.floor(r / n) * k + o] += scores[r * k + o] / n;
      largest = Math.max(largest, Math.abs(scores[r * k + o]));
    }
  }
  return { means, largest, scorer };
}

/** Fixture, score option, what is averaged. */
const FIXTURES: [string, 'probability' | 'logit', string][] = [
  ['tabular-mlp-wine', 'probability', 'probabilities'],
  ['tabular-mlp-wine', 'logit', 'logits'],
  ['tabular-mlp-synthetic', 'probability', 'regression output'],
];

describe('coalition values inside the runtime', () => {
  for (const [name, score, what] of FIXTURES) {
    it(`${name} (${what}): the graph's means and Shapley values match the rows built in JavaScript`, async () => {
      const model = await loadModel(fixtureModelPath(name));
      try {
        const set = loadTableSamples(name);
        const m = set.features.length;
        const schema = tableSchema(model);
        const n = 30;
        const background = standardize(schema, set.values.slice(0, n * m));
        const query = standardize(schema, set.values.slice(40 * m, 41 * m));
        const design = kernelShapDesign(m, { maxNumSubsets: 200, seed: 3 });
        const { means, largest, scorer } = await referenceMeans(
          model,
          background,
          query,
          design.coalitions,
          score,
        );
        const k = scorer.columns;
        const run = await model.coalitionMeans!({
          scores: scorer.rawTensor,
          columns: k,
          softmax: scorer.softmaxed,
          background,
        });
        // Groups in two runs of different sizes, as the stream cuts them.
        const split = 77;
        const first = await run(design.coalitions.slice(0, split), new Array(split).fill(query));
        const rest = design.coalitions.slice(split);
        const second = await run(rest, new Array(rest.length).fill(query));
        const graph = Float64Array.from([...first, ...second]);
        // The fixtures start with a Gemm: the first-layer path. A softmax moves a probability by at most half
        // the largest change of its logits (its Jacobian's rows sum to 2p(1 − p) ≤ ½ in absolute value).
        expect(run.path).toBe('first-layer');
        const scoresBound = firstLayerRouteBound(
          decodeModel(readFileSync(fixtureModelPath(name))),
          background,
          query,
          design.coalitions,
        );
        const valueTolerance =
          (scorer.softmaxed ? scoresBound / 2 : scoresBound) + (n + SOFTMAX_ROUNDINGS) * U * largest;
        let worst = 0;
        graph.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - means[i]))));
        expect(worst).toBeLessThanOrEqual(valueTolerance);
        // Not a vacuous bound: the values span far more than it.
        expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(1000 * valueTolerance);

        // Shapley values through `shapley` on both routes; the rows route sums in float64, so both are within
        // the value tolerance of the exact means, and φ within Σ_j |L_fj| · 2 · tolerance of each other.
        const options: TableShapleyOptions = {
          queryPoints: rows(set.values, set.features, 40, 1),
          maxNumSubsets: 200,
          seed: 3,
          score,
        };
        const background30 = rows(set.values, set.features, 0, n);
        const viaGraph = await shapley(model, background30, { ...options, evaluation: 'graph' });
        const viaRows = await shapley(model, background30, { ...options, evaluation: 'rows' });
        expect(viaGraph.evaluation).toBe('graph');
        expect(viaGraph.graphPath).toBe('first-layer');
        expect(viaRows.graphPath).toBeUndefined();
        expect(viaRows.evaluation).toBe('rows');
        const count = design.coalitions.length;
        const spread = new Float64Array(m);
        for (let j = 0; j < count; j++) {
          const unit = new Float64Array(count);
          unit[j] = 1;
          design.solve(unit, 1).values.forEach((l, f) => (spread[f] += Math.abs(l)));
        }
        for (let o = 0; o < k; o++) {
          for (let f = 0; f < m; f++) {
            const a = viaGraph.explanations[0].values[o * m + f];
            const b = viaRows.explanations[0].values[o * m + f];
            // + the float32 rounding of each stored value.
            expect(Math.abs(a - b)).toBeLessThanOrEqual(
              2 * spread[f] * valueTolerance + U * (Math.abs(a) + Math.abs(b)),
            );
          }
        }
        // Additivity: Σ φ = v(all) − v(∅) by the solve's constraint; v(all) is the mean of B copies of f(q).
        const phiLargest = Math.max(...Array.from(viaGraph.explanations[0].values, Math.abs));
        expect(viaGraph.explanations[0].additivityError).toBeLessThanOrEqual(
          valueTolerance + 2 * m * U * phiLargest,
        );
      } finally {
        await model.dispose();
      }
    });
  }

  it('is the default, deterministic, and gives the same bits at 1 and 2 runtime threads', async () => {
    const set = loadTableSamples('tabular-mlp-wine');
    const options: TableShapleyOptions = {
      queryPoints: rows(set.values, set.features, 30, 4),
      maxNumSubsets: 150,
      // 500 rows a run over 25 background rows: 20 groups, so runs end inside query points.
      miniBatchSize: 500,
    };
    const results: string[] = [];
    for (const threads of [1, 2]) {
      const model = await loadModel(fixtureModelPath('tabular-mlp-wine'), { threads });
      try {
        for (let repeat = 0; repeat < 2; repeat++) {
          const r = await shapley(model, rows(set.values, set.features, 0, 25), options);
          expect(r.evaluation).toBe('graph');
          expect(r.forwardRows).toBe(4 + 4 * 150 * 25);
          results.push(
            JSON.stringify({ ...r, explanations: r.explanations.map((e) => Array.from(e.values)) }),
          );
        }
      } finally {
        await model.dispose();
      }
    }
    expect(new Set(results).size).toBe(1);
  });

  it('builds for scores that no Gemm computes, with a softmax of few or many classes', async () => {
    for (const classes of [3, 20]) {
      const features = 5;
      const bytes = encodeModel(
        tableLinearModel(seededValues(features * classes, 91 + classes), seededValues(classes, 92), features),
      );
      const model = await loadModel(bytes);
      try {
        const { a, b } = await bothRoutes(model, 93, features, 10);
        expect(a.exact).toBe(true);
        expect(a.graphPath).toBe('first-layer');
        a.explanations.forEach((e, q) =>
          e.values.forEach((v, i) => {
            // Probabilities: every coalition value within (B + 8)·u of the other route, plus half the first
            // layer's difference (values, weights and bias in [−1, 1): magnitude at most 3F + 1); an exact
            // enumeration's weights sum to at most 2 in absolute value per feature.
            expect(Math.abs(v - b.explanations[q].values[i])).toBeLessThanOrEqual(
              2 * (2 * (10 + SOFTMAX_ROUNDINGS) * U + gamma(features + 2) * (3 * features + 1)) + U * 2,
            );
          }),
        );
      } finally {
        await model.dispose();
      }
    }
  });

  it('builds at opsets 11 and 18 (attribute and input forms), around a Gemm with or without transB', async () => {
    const features = 4;
    const classes = 3;
    for (const [opset, transB] of [
      [11, 0],
      [18, 1],
    ]) {
      const w = seededValues(features * classes, 95 + opset);
      const bytes = encodeModel(
        makeModel({
          nodes: [makeNode('Gemm', ['x', 'w', 'b'], ['logits'], { transB })],
          inputs: [makeValueInfo('x', ['N', features])],
          outputs: [makeValueInfo('logits', ['N', classes])],
          initializers: [
            floatTensor('w', transB ? [classes, features] : [features, classes], w),
            floatTensor('b', [1, classes], seededValues(classes, 96)),
          ],
          opset,
        }),
      );
      const model = await loadModel(bytes);
      try {
        const { a, b } = await bothRoutes(model, 97, features, 12);
        expect(a.exact).toBe(true);
        expect(a.graphPath).toBe('first-layer');
        a.explanations.forEach((e, q) =>
          e.values.forEach((v, i) =>
            expect(Math.abs(v - b.explanations[q].values[i])).toBeLessThanOrEqual(
              2 * (2 * (12 + SOFTMAX_ROUNDINGS) * U + gamma(features + 2) * (3 * features + 1)) + U * 2,
            ),
          ),
        );
      } finally {
        await model.dispose();
      }
    }
  });

  it('folds the preprocessing recorded in the graph into the first layer, and builds the rows where nothing starts the model affinely', async () => {
    const features = 5;
    const hidden = 4;
    const classes = 3;
    const mlp = (front: NodeProto[], input: string) =>
      makeModel({
        nodes: [
          ...front,
          makeNode('MatMul', [input, 'w1'], ['h0']),
          makeNode('Add', ['h0', 'b1'], ['h1']),
          makeNode('Relu', ['h1'], ['h2']),
          makeNode('Gemm', ['h2', 'w2', 'b2'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', ['N', features])],
        outputs: [makeValueInfo('logits', ['N', classes])],
        initializers: [
          floatTensor('mean', [features], seededValues(features, 81)),
          floatTensor(
            'std',
            [1, features],
            Float32Array.from(seededValues(features, 82), (v) => 2 + v / 2),
          ),
          floatTensor('w1', [features, hidden], seededValues(features * hidden, 83)),
          floatTensor('b1', [hidden], seededValues(hidden, 84)),
          floatTensor('w2', [classes, hidden], seededValues(classes * hidden, 85)),
          floatTensor('b2', [classes], seededValues(classes, 86)),
        ],
      });
    // Values, weights and biases in [−1, 1), std in [1.5, 2.5): |x − μ| < 2, |x'| < 4/3. The rows route's
    // x' = (x − μ)/σ is within 2u·4/3·1.01 < 3u per feature; each route's first layer within γ_{F+2} of a
    // magnitude M1 ≤ 1 + F·(1 + 2)·(1 + 1)/1.5 = 1 + 4F of the exact one (the folded parts sum |q'−b'| and
    // |b'|, bounded through the raw values), so the hidden layer differs by at most δ1 = 2γ_{F+2}·M1 + 3u·F;
    // the logits by H·δ1 + 2γ_{H+2}·(H·M1 + 1); probabilities by half that; φ of an exact enumeration by
    // twice the coalition values' difference, + (B + 8)·u for the softmax and the mean.
    const m1 = 1 + 4 * features;
    const delta1 = 2 * gamma(features + 2) * m1 + 3 * U * features;
    const logits = hidden * delta1 + 2 * gamma(hidden + 2) * (hidden * m1 + 1);
    const tolerance = 2 * (logits / 2 + (12 + SOFTMAX_ROUNDINGS) * U) + 2 * U;
    const cases: [string, NodeProto[], string, string][] = [
      [
        'standardised and halved in the graph',
        [
          makeNode('Sub', ['x', 'mean'], ['centred']),
          makeNode('Div', ['centred', 'std'], ['scaled']),
          // An exact halving by a Constant node: the bounds below hold as they are.
          makeNode('Constant', [], ['half'], { value: floatTensor('half', [], [0.5]) }),
          makeNode('Mul', ['half', 'scaled'], ['halved']),
        ],
        'halved',
        'first-layer',
      ],
      ['a Tanh first', [makeNode('Tanh', ['x'], ['squashed'])], 'squashed', 'rows'],
    ];
    for (const [what, front, input, path] of cases) {
      const model = await loadModel(encodeModel(mlp(front, input)));
      try {
        const { a, b } = await bothRoutes(model, 87, features, 12);
        expect(a.graphPath, what).toBe(path);
        expect(a.exact).toBe(true);
        let spread = 0;
        a.explanations.forEach((e, q) =>
          e.values.forEach((v, i) => {
            expect(Math.abs(v - b.explanations[q].values[i]), what).toBeLessThanOrEqual(tolerance);
            spread = Math.max(spread, Math.abs(v));
          }),
        );
        expect(spread).toBeGreaterThan(100 * tolerance);
      } finally {
        await model.dispose();
      }
    }
  });

  it('says why where the model has inputs besides its table; the default then builds the rows', async () => {
    const model = await loadModel(
      encodeModel(
        makeModel({
          nodes: [makeNode('MatMul', ['x', 'w'], ['xw']), makeNode('Add', ['xw', 'shift'], ['y'])],
          inputs: [makeValueInfo('x', ['N', 3]), makeValueInfo('shift', ['N', 1])],
          outputs: [makeValueInfo('y', ['N', 1])],
          initializers: [floatTensor('w', [3, 1], [1, 2, 3])],
        }),
      ),
      { inputs: { shift: { data: new Float32Array([0.5]), dims: [1] } } },
    );
    try {
      const data: TableData = { features: ['x0', 'x1', 'x2'], rows: 4, values: seededValues(12, 94) };
      const schema = tableSchema(model);
      const background = { ...data, features: schema.features };
      const options = { queryPoints: rows(data.values, schema.features, 0, 1), schema };
      await expect(shapley(model, background, { ...options, evaluation: 'graph' })).rejects.toThrow(
        UnsupportedError,
      );
      await expect(shapley(model, background, { ...options, evaluation: 'graph' })).rejects.toThrow(
        /one input \[N, F\].*'shift'/,
      );
      const r = await shapley(model, background, options);
      expect(r.evaluation).toBe<ShapleyEvaluation>('rows');
      // y = x·w + 0.5 is linear: φ_f = w_f (x_f − mean b_f).
      const mean = [0, 1, 2].map(
        (f) => (data.values[f] + data.values[3 + f] + data.values[6 + f] + data.values[9 + f]) / 4,
      );
      [1, 2, 3].forEach((w, f) =>
        expect(r.explanations[0].values[f]).toBeCloseTo(w * (data.values[f] - mean[f]), 5),
      );
    } finally {
      await model.dispose();
    }
  });
});
