// Tables and curves for docs/trust.md: every map method scored by `evaluateExplainers` on the fixture
// models (shapes-cnn with its ground-truth boxes and masks, fashion-cnn) and on the converted nsfwjs
// MobileNetV2 over the bundled photos, plus a random-map control row.
// Run: npx vite-node tools/docs/trust-tables.ts [shapes-cnn|fashion-cnn|mobilenet-v2 ...]
//   (writes docs/trust-figures.json, docs/images/trust-*.png and prints the markdown tables)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { evaluateExplainers, type Evaluation, type EvaluateOptions } from '../../src/eval/evaluate.js';
import { METRIC_IDS, type MetricId } from '../../src/eval/metrics.js';
import { EXPLAINERS, type Explainer } from '../../src/explainers/index.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { OnnxModel } from '../../src/model.js';
import { loadModel, nodeRuntime } from '../../src/node/load.js';
import { encodeModel, type ModelProto } from '../../src/onnx/proto.js';
import { evaluationPlots } from '../../src/report/evaluation-page.js';
import { renderPlotPng } from '../../src/render/plot.js';
import { writeFileAtomic } from '../../src/render/png.js';
import { convertNsfwjsModel, NSFWJS_INPUT_SPEC } from '../../src/tfjs/nsfwjs.js';
import type { TensorData } from '../../src/types.js';
import { createRandom } from '../../src/util/random.js';

/** Control: a seeded uniform random map, which no metric should rate as faithful. */
const randomMap: Explainer = {
  id: 'random',
  title: 'Random map (control)',
  description: 'uniform noise',
  signed: false,
  seeded: true,
  options: [],
  async run(_model, input, options) {
    const [n] = input.dims;
    const spec = _model.inputSpec!;
    const random = createRandom((options.seed as number | undefined) ?? 0);
    const data = Float32Array.from({ length: n * spec.height * spec.width }, () => random.next());
    return { maps: { data, dims: [n, spec.height, spec.width] }, classes: [], descriptions: [], numbers: {} };
  },
};

const pick = (ids: string[]) => [...ids.map((id) => EXPLAINERS.find((e) => e.id === id)!), randomMap];

const SMALL_METHODS = [
  'gradcam',
  'gradcampp',
  'layercam',
  'saliency',
  'input-x-gradient',
  'guided-backprop',
  'guided-gradcam',
  'integrated-gradients',
  'smoothgrad',
  'occlusion',
];

function fixtureBatch(name: string, model: OnnxModel, count: number): TensorData {
  const set = loadImageSamples(name);
  const images = Array.from({ length: count }, (_, i) => ({
    data: imagePixels(set, i),
    width: set.width,
    height: set.height,
    channels: set.channels as 1 | 3,
  }));
  return imagesToTensor(images, model.inputSpec!);
}

async function run(
  name: string,
  model: OnnxModel,
  input: TensorData,
  methods: Explainer[],
  options: EvaluateOptions,
): Promise<Evaluation> {
  const started = Date.now();
  const evaluation = await evaluateExplainers(model, input, methods, {
    randomization: {
      proto: model.proto,
      open: (p: ModelProto) => OnnxModel.create(p, nodeRuntime, { inputSpec: model.inputSpec }),
    },
    methodOptions: Object.fromEntries(methods.map((e) => [e.id, e.reportOptions ?? {}])),
    seed: 0,
    onProgress: (e) =>
      process.stderr.write(
        `${name}: ${e.stage} (${e.done}/${e.total}, ${Math.round((Date.now() - started) / 1000)} s)\n`,
      ),
    ...options,
  });
  return evaluation;
}

function markdown(evaluation: Evaluation): string {
  const arrow = (b: string) => (b === 'higher' ? '↑' : '↓');
  const header = ['Method', ...evaluation.columns.map((c) => `${c.title} ${arrow(c.better)}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const m of evaluation.methods) {
    const cells = evaluation.columns.map((c) => {
      const s = m.summary[c.key];
      return s && Number.isFinite(s.mean)
        ? `${s.mean.toFixed(2)} [${s.low.toFixed(2)}, ${s.high.toFixed(2)}]`
        : '–';
    });
    lines.push(`| ${m.method} | ${cells.join(' | ')} |`);
  }
  const ranking = evaluation.ranking.map((r) => `${r.method} (${r.meanRank.toFixed(1)})`).join(', ');
  return `${lines.join('\n')}\n\nRanking by mean rank: ${ranking}.\n`;
}

const wanted = process.argv.slice(2).filter((a) => a !== '--replot');
if (process.argv.includes('--replot')) {
  // Redraw the curves from docs/trust-figures.json without measuring again.
  const saved = JSON.parse(await readFile(path.resolve('docs/trust-figures.json'), 'utf8')) as Record<
    string,
    { methods: Evaluation['methods'] }
  >;
  for (const [name, evaluation] of Object.entries(saved)) {
    for (const plot of evaluationPlots(evaluation)) {
      await writeFileAtomic(
        path.resolve(`docs/images/trust-${name}-${plot.id}.png`),
        await renderPlotPng(plot.spec, { scale: 1.5 }),
      );
    }
  }
  process.exit(0);
}
const all = ['shapes-cnn', 'fashion-cnn', 'mobilenet-v2'];
const targets = wanted.length ? wanted : all;
const figuresFile = path.resolve('docs/trust-figures.json');
const figures: Record<string, unknown> = existsSync(figuresFile)
  ? JSON.parse(await readFile(figuresFile, 'utf8'))
  : {};
await mkdir(path.resolve('docs/images'), { recursive: true });

for (const name of targets) {
  let model: OnnxModel;
  let input: TensorData;
  let evaluation: Evaluation;
  if (name === 'mobilenet-v2') {
    model = await loadModel(encodeModel(await convertNsfwjsModel('MobileNetV2')), {
      inputSpec: NSFWJS_INPUT_SPEC,
      source: 'mobilenet-v2',
    });
    const photos = [
      'cat.jpg',
      'coffee.jpg',
      'astronaut.jpg',
      'butterfly-drawing.jpg',
      'rhino-drawing.jpg',
      'tiger-drawing.jpg',
    ];
    input = (
      await loadImagesForModel(
        photos.map((f) => path.resolve('fixtures/photos', f)),
        model.inputSpec!,
      )
    ).input;
    const metrics: MetricId[] = ['deletion', 'insertion', 'randomization', 'random-logit', 'complexity'];
    evaluation = await run(
      name,
      model,
      input,
      pick(['gradcam', 'saliency', 'guided-backprop', 'integrated-gradients']),
      {
        metrics,
        checkpoints: 6,
        steps: 16,
        // VJP graphs of MobileNetV2 at 224² keep every activation: 8 images per run keep memory near 1 GB.
        miniBatchSize: 8,
        // The report's adaptive integrated gradients (up to 512 path points) never meets its completeness
        // target on the randomised MobileNetV2s and would spend hours there: 16 fixed points instead.
        methodOptions: {
          ...Object.fromEntries(['gradcam', 'saliency', 'guided-backprop'].map((id) => [id, {}])),
          'integrated-gradients': { numSteps: 16 },
          random: {},
        },
      },
    );
  } else {
    model = await loadModel(fixtureModelPath(name));
    const count = 8;
    input = fixtureBatch(name, model, count);
    const set = loadImageSamples(name);
    const truth = set.boxes
      ? {
          boxes: set.boxes.slice(0, count),
          ...(set.masks ? { masks: set.masks.subarray(0, count * 64 * 64).map((v) => (v ? 1 : 0)) } : {}),
        }
      : undefined;
    // Every metric but the layer-by-layer independent randomisation (a model per layer and method).
    const metrics = METRIC_IDS.filter(
      (id) => id !== 'independent-randomization' && (truth || id !== 'localisation'),
    );
    evaluation = await run(name, model, input, pick(SMALL_METHODS), {
      ...(truth ? { groundTruth: truth } : {}),
      metrics,
      numSamples: 8,
    });
  }
  for (const plot of evaluationPlots(evaluation)) {
    await writeFileAtomic(
      path.resolve(`docs/images/trust-${name}-${plot.id}.png`),
      await renderPlotPng(plot.spec, { scale: 1.5 }),
    );
  }
  figures[name] = {
    images: evaluation.images,
    columns: evaluation.columns,
    methods: evaluation.methods.map((m) => ({ method: m.method, summary: m.summary, curves: m.curves })),
    ranking: evaluation.ranking,
  };
  await writeFile(figuresFile, await format(JSON.stringify(figures), { parser: 'json' }));
  process.stdout.write(`\n### ${name} (${evaluation.images} images)\n\n${markdown(evaluation)}\n`);
  await model.dispose();
}
