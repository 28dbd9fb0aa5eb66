/** Checks and row selection shared by the table methods. */
import { OptionError } from '../../errors.js';
import type { TableData } from '../../data/table-csv.js';
import type { Model } from '../../types.js';
import type { TableSchema } from './schema.js';

export function checkTableData(name: string, table: TableData, schema: TableSchema): void {
  const m = schema.features.length;
  if (!Number.isInteger(table.rows) || table.rows < 1) {
    throw new OptionError('INVALID_INPUT', `${name} has no rows`);
  }
  if (table.values.length !== table.rows * m) {
    throw new OptionError(
      'INVALID_INPUT',
      `${name} has ${table.values.length} values, expected ${table.rows} rows × ${m} features`,
    );
  }
  if (table.features.length !== m || table.features.some((f, i) => f !== schema.features[i])) {
    throw new OptionError(
      'INVALID_INPUT',
      `${name} columns are not the model's features ${schema.features.join(', ')}`,
    );
  }
  const bad = table.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new OptionError(
      'INVALID_INPUT',
      `${name} row ${Math.floor(bad / m)} feature '${schema.features[bad % m]}' is ${table.values[bad]}`,
    );
  }
}

/** Up to `most` rows spread evenly through the table (all of them when it has no more). */
export function evenlySpacedRows(table: TableData, most: number): Float32Array {
  const m = table.features.length;
  const take = Math.min(table.rows, most);
  const out = new Float32Array(take * m);
  for (let i = 0; i < take; i++) {
    const row = Math.floor((i * table.rows) / take);
    out.set(table.values.subarray(row * m, (row + 1) * m), i * m);
  }
  return out;
}

/** Names of the output columns: the model's labels for a classifier, else 'output' / 'output k'. */
export function outputNames(model: Model, columns: number): string[] {
  if (model.labels && model.labels.length === columns) return [...model.labels];
  if (columns === 1) return ['output'];
  return Array.from({ length: columns }, (_, i) => `class ${i}`);
}
