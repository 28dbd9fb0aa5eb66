/**
 * Dataset embeddings: on 1 000 Fashion-MNIST test images, the t-SNE of the feature layer's activations keeps
 * classes together clearly better than the t-SNE of the raw pixels (10-NN class agreement); the plots hold one
 * point per item in each panel; the defaults adapt to tiny sets.
 */
import { describe, expect, it } from 'vitest';
import {
  autoPcaComponents,
  compareRawAndLayer,
  comparisonSpec,
  datasetEmbeddingSpec,
  embedDataset,
  embedRows,
} from '../../src/methods/dataset/embedding.js';
import { sampleSetSource } from '../../src/methods/dataset/node-sources.js';
import { batchSource } from '../../src/methods/dataset/source.js';
import { loadModel } from '../../src/node/load.js';
import { renderSvg } from '../../src/render/plot.js';
import { seededValues } from '../helpers/onnx-models.js';

const FASHION = 'fixtures/fashion-cnn/model.onnx';

function pointCount(svg: string): number {
  return svg.split('aria-roledescription="point"').length - 1;
}

describe('raw pixels vs layer activations (fashion-cnn, 1 000 test images)', () => {
  it('the layer embedding separates classes clearly better than the raw-pixel one', async () => {
    const model = await loadModel(FASHION);
    const source = sampleSetSource('fashion-cnn', model.inputSpec, { limit: 1000 });
    expect(source.count).toBe(1000);
    const result = await compareRawAndLayer(model, source, { projection: { seed: 0 } });
    const raw = result.raw.agreement10!;
    const layer = result.layer.agreement10!;
    // Measured: raw 0.640, layer 0.835 (docs/dataset-views.md). Chance level for 10 balanced classes is 0.1.
    expect(raw).toBeGreaterThan(0.5);
    expect(layer).toBeGreaterThan(0.75);
    expect(layer - raw).toBeGreaterThan(0.1);
    expect(result.raw.features).toBe(784);
    expect(result.layer.features).toBe(64);
    // 784 features and 1 000 points: PCA would cost more than it saves, so 'auto' skips it.
    expect(result.raw.pcaComponents).toBe(0);
    const svg = await renderSvg(comparisonSpec(result, { classNames: source.classNames }));
    expect(pointCount(svg)).toBe(2000);
    expect(svg).toContain('raw inputs');
    expect(svg).toContain('layer activations');
    await model.dispose();
  });
});

describe('embedding options', () => {
  it("'auto' PCA only where it pays: more than 100 features and more than twice as many points", () => {
    expect(autoPcaComponents(1000, 784)).toBe(0);
    expect(autoPcaComponents(5000, 784)).toBe(50);
    expect(autoPcaComponents(100000, 64)).toBe(0);
  });

  it('tiny sets get a perplexity below the point count; UMAP and PCA work through the same call', async () => {
    const n = 8;
    const rows = { data: seededValues(n * 5, 4), n, features: 5 };
    const tsne = await embedRows(rows, { maxIterations: 50 });
    expect(tsne.projection.embedding.length).toBe(2 * n);
    const umap = await embedRows(rows, { method: 'umap', nEpochs: 20 });
    expect(umap.projection.method).toBe('umap');
    const pca = await embedRows(rows, { method: 'pca' });
    expect(pca.projection.explainedVariance!.length).toBe(2);
    await expect(embedRows(rows, { numPCAComponents: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(embedRows({ ...rows, n: 2, data: rows.data.subarray(0, 10) })).rejects.toThrow(/at least 3/);
  });

  it('the same seed gives the same embedding; unlabelled items are coloured by predicted class', async () => {
    const model = await loadModel(FASHION);
    const labelled = sampleSetSource('fashion-cnn', model.inputSpec, { limit: 60 });
    const input = await labelled.read([...Array(60).keys()]);
    const source = batchSource(input, { spec: model.inputSpec });
    const options = { predictions: true, projection: { seed: 3, maxIterations: 200 } };
    const a = await embedDataset(model, source, options);
    const b = await embedDataset(model, source, options);
    expect(Array.from(a.projection.embedding)).toEqual(Array.from(b.projection.embedding));
    expect(a.labels).toBeUndefined();
    expect(a.agreement10).toBeUndefined();
    const predicted = (await model.predict(input)).scores;
    const argmax = Array.from({ length: 60 }, (_, i) => {
      const row = Array.from(predicted.data.subarray(i * 10, (i + 1) * 10));
      return row.indexOf(Math.max(...row));
    });
    expect(Array.from(a.predicted!)).toEqual(argmax);
    const svg = await renderSvg(datasetEmbeddingSpec(a, { classNames: model.labels }));
    expect(pointCount(svg)).toBe(60);
    expect(svg).toContain('coloured by predicted class');
    await model.dispose();
  });
});
