/**
 * The metric catalog of `evaluate`: every metric, the columns (one number per image) it produces, which way
 * is better, and what it needs besides a model and images. The report, the CLI table and the docs read it.
 */
export const METRIC_IDS = [
  'deletion',
  'insertion',
  'road',
  'faithfulness-correlation',
  'infidelity',
  'sensitivity',
  'randomization',
  'independent-randomization',
  'random-logit',
  'localisation',
  'complexity',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export type Family = 'faithfulness' | 'robustness' | 'sanity' | 'localisation' | 'complexity';

export interface MetricColumn {
  key: string;
  title: string;
  better: 'higher' | 'lower';
}

export interface MetricSpec {
  id: MetricId;
  family: Family;
  description: string;
  columns: readonly MetricColumn[];
  /** 'ground truth': boxes or masks; 'model graph': the ONNX graph to randomise. */
  needs?: 'ground truth' | 'model graph';
}

export const METRICS: readonly MetricSpec[] = [
  {
    id: 'deletion',
    family: 'faithfulness',
    description: 'area under the class score as the most relevant pixels are replaced first (Petsiuk 2018)',
    columns: [{ key: 'deletion', title: 'Deletion AUC', better: 'lower' }],
  },
  {
    id: 'insertion',
    family: 'faithfulness',
    description: 'area under the class score as the most relevant pixels are put back first (Petsiuk 2018)',
    columns: [{ key: 'insertion', title: 'Insertion AUC', better: 'higher' }],
  },
  {
    id: 'road',
    family: 'faithfulness',
    description:
      'score after removing pixels with noisy linear imputation, most / least relevant first (Rong 2022)',
    columns: [
      { key: 'road-morf', title: 'ROAD MoRF AUC', better: 'lower' },
      { key: 'road-lerf', title: 'ROAD LeRF AUC', better: 'higher' },
    ],
  },
  {
    id: 'faithfulness-correlation',
    family: 'faithfulness',
    description:
      'correlation of the map summed over random pixel subsets with the score drop they cause (Bhatt 2020)',
    columns: [{ key: 'faithfulness-correlation', title: 'Faithfulness correlation', better: 'higher' }],
  },
  {
    id: 'infidelity',
    family: 'faithfulness',
    description:
      'relative error of the map predicting score changes under Gaussian noise, best scale (Yeh 2019)',
    columns: [{ key: 'infidelity', title: 'Infidelity', better: 'lower' }],
  },
  {
    id: 'sensitivity',
    family: 'robustness',
    description: 'relative change of the map under small uniform input noise, largest and mean (Yeh 2019)',
    columns: [
      { key: 'max-sensitivity', title: 'Max-sensitivity', better: 'lower' },
      { key: 'avg-sensitivity', title: 'Avg-sensitivity', better: 'lower' },
    ],
  },
  {
    id: 'randomization',
    family: 'sanity',
    description:
      'similarity to the original map after re-initialising every learned layer, top down (Adebayo 2018)',
    needs: 'model graph',
    columns: [
      { key: 'randomization-spearman', title: 'Randomised: Spearman', better: 'lower' },
      { key: 'randomization-ssim', title: 'Randomised: SSIM', better: 'lower' },
      { key: 'randomization-hog', title: 'Randomised: HOG', better: 'lower' },
    ],
  },
  {
    id: 'independent-randomization',
    family: 'sanity',
    description:
      'similarity to the original map with one learned layer re-initialised at a time, mean over layers',
    needs: 'model graph',
    columns: [{ key: 'independent-spearman', title: 'One layer randomised: Spearman', better: 'lower' }],
  },
  {
    id: 'random-logit',
    family: 'sanity',
    description: 'SSIM between the map of the explained class and of a random other class (Sixt 2020)',
    columns: [{ key: 'random-logit', title: 'Random logit: SSIM', better: 'lower' }],
  },
  {
    id: 'localisation',
    family: 'localisation',
    description:
      'pointing game, energy pointing game, relevance mass and rank accuracy against boxes / masks',
    needs: 'ground truth',
    columns: [
      { key: 'pointing-game', title: 'Pointing game', better: 'higher' },
      { key: 'energy-pointing-game', title: 'Energy pointing game', better: 'higher' },
      { key: 'relevance-mass', title: 'Relevance mass', better: 'higher' },
      { key: 'relevance-rank', title: 'Relevance rank', better: 'higher' },
    ],
  },
  {
    id: 'complexity',
    family: 'complexity',
    description: 'Gini sparseness (higher: fewer pixels carry the relevance) and normalised entropy of |map|',
    columns: [
      { key: 'sparseness', title: 'Sparseness (Gini)', better: 'higher' },
      { key: 'entropy', title: 'Entropy', better: 'lower' },
    ],
  },
];

export function metricSpec(id: MetricId): MetricSpec {
  return METRICS.find((m) => m.id === id)!;
}

export function columnSpec(key: string): MetricColumn | undefined {
  for (const m of METRICS) for (const c of m.columns) if (c.key === key) return c;
  return undefined;
}
