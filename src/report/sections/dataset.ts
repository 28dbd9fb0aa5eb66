/** The report's data set (when it has one) as a dataset source, shared by the dataset-level sections. */
import { batchSource, type DatasetSource } from '../../methods/dataset/source.js';
import type { ReportInput } from '../section.js';

/** Why the dataset sections cannot run, or undefined when they can. */
export function datasetSkipReason(input: ReportInput, minimum: number): string | undefined {
  if (!input.dataset) return 'the report has no data set (pass --samples <fixture> or --dataset <folder>)';
  const count = input.dataset.input.dims[0];
  if (count < minimum) return `the data set has ${count} items; this section needs at least ${minimum}`;
  return undefined;
}

export function reportDataset(input: ReportInput): DatasetSource {
  const dataset = input.dataset;
  if (!dataset) throw new Error('reportDataset called without a data set');
  return batchSource(dataset.input, {
    spec: input.spec,
    labels: dataset.labels,
    names: dataset.names,
    classNames: input.model.labels,
  });
}
