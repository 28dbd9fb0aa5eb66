/**
 * Embeddings of a data set as the network sees it: one layer's activations per item, projected to 2-D (or
 * 3-D) with t-SNE (default; MATLAB `tsne` options pass through), UMAP or PCA, and the comparison of MATLAB's
 * "View Network Behavior Using tsne" example: the raw inputs and a layer's activations embedded the same way,
 * side by side and coloured by class. How well classes separate is measured by the share of each item's
 * 10 nearest embedded neighbours that share its class.
 */
import { OptionError } from '../../errors.js';
import {
  neighbourLabelAgreement,
  project,
  type PcaProjectOptions,
  type ProjectionMethod,
  type ProjectionResult,
  type TsneOptions,
  type UmapOptions,
} from '../../projection/index.js';
import type { TopLevelSpec } from '../../render/plot.js';
import { scatterSpec, type ScatterPoint } from '../../render/plot.js';
import type { BatchOptions, Model } from '../../types.js';
import { datasetActivations, datasetInputs, type DatasetActivations } from './activations.js';
import { checkReduction, type DatasetReduction } from './layer-layout.js';
import type { DatasetSource } from './source.js';
import { hasVaryingSequenceLengths, resampledSequenceRows } from '../sequence/raw-rows.js';

/** Projection options: MATLAB `tsne`'s for t-SNE (the default), umap-js's for UMAP, PCA's. */
export type EmbedOptions =
  | ({ method?: 'tsne' } & Omit<TsneOptions, 'numPCAComponents'> & { numPCAComponents?: number | 'auto' })
  | ({ method: 'umap' } & UmapOptions)
  | ({ method: 'pca' } & PcaProjectOptions);

/** Principal components kept before t-SNE when `numPCAComponents` is 'auto' and PCA pays for itself. */
export const AUTO_PCA_COMPONENTS = 50;

/**
 * 'auto' numPCAComponents: reduce to 50 components only where that saves time and sheds most features. t-SNE's
 * neighbour search costs about n²·d, PCA about n·d² + d³ (covariance and its eigendecomposition), so PCA wins
 * once n exceeds about twice the feature count (measured on 1 000 Fashion-MNIST images, 784 pixels: PCA to 50
 * took longer than the search it shortened); below 100 features there is little to shed.
 */
export function autoPcaComponents(n: number, features: number): number {
  return features > 2 * AUTO_PCA_COMPONENTS && n > 2 * features ? AUTO_PCA_COMPONENTS : 0;
}

export interface EmbeddedRows {
  projection: ProjectionResult;
  /** Features the projection started from, after any PCA. */
  pcaComponents: number;
  /** Wall time of the projection in seconds. */
  seconds: number;
}

/** Project n rows (n × features). Defaults follow MATLAB's tsne, except perplexity/neighbours capped for tiny sets. */
export async function embedRows(
  rows: Pick<DatasetActivations, 'data' | 'n' | 'features'>,
  options: EmbedOptions = {},
): Promise<EmbeddedRows> {
  const { data, n, features } = rows;
  if (n < 3) throw new OptionError('INVALID_INPUT', `an embedding needs at least 3 items, got ${n}`);
  const start = Date.now();
  let projection: ProjectionResult;
  let pcaComponents = 0;
  if (options.method === 'umap') {
    projection = await project(data, n, features, {
      ...options,
      nNeighbors: options.nNeighbors ?? Math.min(15, n - 1),
    });
  } else if (options.method === 'pca') {
    projection = await project(data, n, features, options);
  } else {
    const requested = options.numPCAComponents ?? 'auto';
    if (requested !== 'auto' && (!Number.isInteger(requested) || requested < 0)) {
      throw new OptionError(
        'INVALID_OPTION',
        `numPCAComponents must be 'auto' or an integer >= 0, got ${requested}`,
      );
    }
    pcaComponents = requested === 'auto' ? autoPcaComponents(n, features) : requested;
    // A perplexity must stay below the number of points: MATLAB's 30 is capped for tiny sets.
    const perplexity = options.perplexity ?? Math.min(30, Math.max(1, Math.floor((n - 1) / 3)));
    projection = await project(data, n, features, {
      ...options,
      method: 'tsne',
      numPCAComponents: pcaComponents,
      perplexity,
    });
  }
  return { projection, pcaComponents, seconds: (Date.now() - start) / 1000 };
}

export interface DatasetEmbeddingOptions extends BatchOptions {
  /** Layer (tensor) name; default the model's feature layer. */
  layer?: string;
  /** How the layer becomes one row per item (default 'mean': one value per channel). */
  reduction?: DatasetReduction;
  /** Projection and its options (default t-SNE with MATLAB's defaults and numPCAComponents 'auto'). */
  projection?: EmbedOptions;
  /** Also record the predicted classes (to colour unlabelled items by; classification models). */
  predictions?: boolean;
}

export interface EmbeddingView {
  /** What was embedded: 'input' (raw inputs) or a layer name. */
  source: string;
  features: number;
  projection: ProjectionResult;
  pcaComponents: number;
  /** Share of each item's 10 nearest embedded neighbours with its true class (labelled sources). */
  agreement10?: number;
  /** Seconds spent reading/running the network, and projecting. */
  seconds: { activations: number; projection: number };
}

export interface DatasetEmbedding extends EmbeddingView {
  layer: string;
  reduction: DatasetReduction;
  labels?: Int32Array;
  predicted?: Int32Array;
}

function agreement(projection: ProjectionResult, labels: Int32Array | undefined): number | undefined {
  if (!labels || projection.n <= 10) return undefined;
  return neighbourLabelAgreement(projection.embedding, projection.n, projection.numDimensions, labels, 10);
}

async function view(
  rows: DatasetActivations,
  activationSeconds: number,
  labels: Int32Array | undefined,
  options: EmbedOptions,
): Promise<EmbeddingView> {
  const embedded = await embedRows(rows, options);
  const score = agreement(embedded.projection, labels);
  return {
    source: rows.layer,
    features: rows.features,
    projection: embedded.projection,
    pcaComponents: embedded.pcaComponents,
    ...(score !== undefined ? { agreement10: score } : {}),
    seconds: { activations: activationSeconds, projection: embedded.seconds },
  };
}

/** One layer's activations over the data set, embedded. */
export async function embedDataset(
  model: Model,
  source: DatasetSource,
  options: DatasetEmbeddingOptions = {},
): Promise<DatasetEmbedding> {
  const reduction = checkReduction(options.reduction, 'mean');
  const start = Date.now();
  const rows = await datasetActivations(model, source, { ...options, reduction });
  const embedded = await view(rows, (Date.now() - start) / 1000, source.labels, options.projection ?? {});
  return {
    ...embedded,
    layer: rows.layer,
    reduction,
    ...(source.labels ? { labels: source.labels } : {}),
    ...(rows.predicted ? { predicted: rows.predicted } : {}),
  };
}

export interface RawVersusLayer {
  raw: EmbeddingView;
  layer: DatasetEmbedding;
  labels?: Int32Array;
}

/** The raw inputs and a layer's activations, embedded with the same projection options. */
export async function compareRawAndLayer(
  model: Model,
  source: DatasetSource,
  options: DatasetEmbeddingOptions = {},
): Promise<RawVersusLayer> {
  const start = Date.now();
  // Sequences of several lengths: resampled in time to one length, so the inputs form rows.
  const inputs = hasVaryingSequenceLengths(source)
    ? await resampledSequenceRows(source, options)
    : await datasetInputs(source, options);
  const raw = await view(inputs, (Date.now() - start) / 1000, source.labels, options.projection ?? {});
  const layer = await embedDataset(model, source, options);
  return { raw, layer, ...(source.labels ? { labels: source.labels } : {}) };
}

export interface EmbeddingPlotOptions {
  title?: string;
  /** Class names for the colours (default: class indices). */
  classNames?: readonly string[];
  /** Classes to colour by (default: the labels; without labels every point is 'unlabelled'). */
  labels?: ArrayLike<number>;
  width?: number;
  height?: number;
}

const METHOD_TITLES: Record<ProjectionMethod, string> = { tsne: 't-SNE', umap: 'UMAP', pca: 'PCA' };

/** A vega-lite scatter of a 2-D projection coloured by class (the first two dimensions of a 3-D one). */
export function embeddingSpec(
  projection: ProjectionResult,
  options: EmbeddingPlotOptions = {},
): TopLevelSpec {
  const { embedding, numDimensions, n } = projection;
  const labels = options.labels;
  if (labels && labels.length !== n) {
    throw new OptionError('INVALID_INPUT', `expected one label per point (${n}), got ${labels.length}`);
  }
  const name = (c: number): string => options.classNames?.[c] ?? String(c);
  const points: ScatterPoint[] = [];
  for (let i = 0; i < n; i++) {
    points.push({
      x: embedding[i * numDimensions],
      y: embedding[i * numDimensions + 1],
      label: labels ? name(labels[i]) : 'unlabelled',
    });
  }
  // Every class in class order when the names are known, so a class keeps its colour from plot to plot.
  const labelOrder = labels
    ? (options.classNames ?? [...new Set(Array.from(labels))].sort((a, b) => a - b).map(name))
    : undefined;
  const method = METHOD_TITLES[projection.method];
  return scatterSpec(points, {
    title: options.title,
    xTitle: `${method} 1`,
    yTitle: `${method} 2`,
    width: options.width ?? 360,
    height: options.height ?? 360,
    pointSize: 16,
    ...(labelOrder ? { labelOrder } : {}),
  });
}

/** Title and subtitle lines of a view: what was embedded and its class agreement. */
function viewTitle(text: string, lines: string[], v: EmbeddingView): { text: string; subtitle: string[] } {
  const score = v.agreement10 !== undefined ? [`10-NN class agreement ${v.agreement10.toFixed(3)}`] : [];
  return { text, subtitle: [...lines, ...score] };
}

/** Raw inputs and layer activations side by side, one shared colour legend. */
export function comparisonSpec(
  result: RawVersusLayer,
  options: Omit<EmbeddingPlotOptions, 'title'> = {},
): TopLevelSpec {
  const common = { ...options, labels: options.labels ?? result.labels };
  const panel = (spec: TopLevelSpec, title: { text: string; subtitle: string[] }) => {
    const {
      $schema: _schema,
      config: _config,
      background: _background,
      ...unit
    } = spec as unknown as Record<string, unknown>;
    return { ...unit, title: { ...title, anchor: 'start', subtitleLimit: (options.width ?? 360) + 40 } };
  };
  const left = embeddingSpec(result.raw.projection, common);
  const right = embeddingSpec(result.layer.projection, common);
  const layer = result.layer;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    hconcat: [
      panel(left, viewTitle('raw inputs', [`${result.raw.features} values per item`], result.raw)),
      panel(
        right,
        viewTitle(
          'layer activations',
          [layer.layer, `${layer.reduction}, ${layer.features} values per item`],
          layer,
        ),
      ),
    ],
    config: (left as { config?: unknown }).config,
  } as unknown as TopLevelSpec;
}

/** A single embedding's scatter with a title naming the layer and the class agreement. */
export function datasetEmbeddingSpec(
  result: DatasetEmbedding,
  options: Omit<EmbeddingPlotOptions, 'title'> = {},
): TopLevelSpec {
  const labels = options.labels ?? result.labels ?? result.predicted;
  const spec = embeddingSpec(result.projection, { ...options, labels });
  const colouring =
    result.labels || options.labels ? [] : result.predicted ? ['coloured by predicted class'] : [];
  const title = viewTitle(
    `${METHOD_TITLES[result.projection.method]} of layer activations`,
    [result.layer, `${result.reduction}, ${result.features} values per item`, ...colouring],
    result,
  );
  return {
    ...spec,
    title: { ...title, anchor: 'start', subtitleLimit: (options.width ?? 360) + 40 },
  } as unknown as TopLevelSpec;
}
