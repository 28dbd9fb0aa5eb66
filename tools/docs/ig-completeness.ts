// Completeness of integrated gradients on the image fixtures (docs/methods/gradient-attributions.md): the
// fixed Gauss–Legendre rule at 16 / 64 / 256 steps and the adaptive rule from 64 steps with tolerance 1 %.
// Run: npx vite-node tools/docs/ig-completeness.ts   (writes docs/methods/ig-completeness.json)
import { writeFile } from 'node:fs/promises';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { integratedGradients } from '../../src/methods/attribution/index.js';
import { loadModel } from '../../src/node/load.js';

const COUNT = 128;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const report: Record<string, unknown> = { images: COUNT, baseline: 'black', target: 'predicted class' };
for (const name of ['fashion-cnn', 'shapes-cnn', 'shapes-modern']) {
  const model = await loadModel(fixtureModelPath(name));
  const set = loadImageSamples(name);
  const input = imagesToTensor(
    Array.from({ length: COUNT }, (_, i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: set.channels as 1 | 3,
    })),
    model.inputSpec!,
  );
  const rows: Record<string, unknown> = {};
  const runs = [
    ['gaussLegendre 16', { numSteps: 16 }],
    ['gaussLegendre 64', { numSteps: 64 }],
    ['gaussLegendre 256', { numSteps: 256 }],
    ['adaptive from 64, tolerance 1 %', { numSteps: 64, tolerance: 0.01 }],
  ] as const;
  for (const [label, options] of runs) {
    const r = await integratedGradients(model, input, options);
    const rel = r.delta
      .map((d, i) => Math.abs(d) / Math.abs(r.scores[i] - r.baselineScores[i]))
      .sort((a, b) => a - b);
    const steps = [...r.stepsUsed].sort((a, b) => a - b);
    rows[label] = {
      medianRelativeDelta: quantile(rel, 0.5),
      worstRelativeDelta: rel[rel.length - 1],
      within1Percent: rel.filter((v) => v <= 0.01).length / rel.length,
      stepsMedian: quantile(steps, 0.5),
      stepsMean: steps.reduce((a, b) => a + b, 0) / steps.length,
      stepsMax: steps[steps.length - 1],
    };
    console.log(name, label, JSON.stringify(rows[label]));
  }
  report[name] = rows;
  await model.dispose();
}
await writeFile('docs/methods/ig-completeness.json', JSON.stringify(report, null, 2) + '\n');
