/**
 * Tables from CSV text (csv-parse): a header row, then one row per observation. Columns are matched to the
 * model's features by name — in any order, extra columns (a label, an id) ignored — and every failure is one
 * line that says where: a missing feature column, a row with more or fewer fields than the header, an empty
 * or non-numeric cell, NaN, an unknown categorical level.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { FileError } from '../errors.js';
import type { TableSchema } from '../methods/tabular/schema.js';

/** Raw rows in the model's feature order; categorical features hold level codes 0, 1, .... */
export interface TableData {
  features: string[];
  rows: number;
  /** rows × features, row-major. */
  values: Float32Array;
}

export type TableColumns = Pick<TableSchema, 'features' | 'categorical' | 'levels'>;

function parseRecords(text: string, source: string): string[][] {
  try {
    return parse(text, {
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
    }) as string[][];
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new FileError('INVALID_INPUT', `${source}: ${message.replace(/^Invalid Record Length: /, '')}`);
  }
}

/** Closest header name to a missing feature (a misnamed column), by edit distance. */
function closest(name: string, header: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const h of header) {
    const d = editDistance(name.toLowerCase(), h.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [h, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

export function parseTableCsv(text: string, source: string, columns: TableColumns): TableData {
  const records = parseRecords(text, source);
  if (records.length === 0)
    throw new FileError('INVALID_INPUT', `${source} is empty: expected a header row and data rows`);
  const [header, ...rows] = records;
  if (rows.length === 0) throw new FileError('INVALID_INPUT', `${source} has a header but no data rows`);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new FileError('INVALID_INPUT', `${source} has the column '${h}' twice`);
    seen.add(h);
  }
  const { features } = columns;
  const missing = features.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    const hints = missing.map((f) => {
      const near = closest(
        f,
        header.filter((h) => !features.includes(h)),
      );
      return near ? `'${f}' (found '${near}')` : `'${f}'`;
    });
    throw new FileError(
      'INVALID_INPUT',
      `${source} has no column for feature${missing.length > 1 ? 's' : ''} ${hints.join(', ')}`,
    );
  }
  const at = features.map((f) => header.indexOf(f));
  const m = features.length;
  const values = new Float32Array(rows.length * m);
  rows.forEach((cells, r) => {
    const where = (f: number) => `${source} line ${r + 2} column '${features[f]}'`;
    for (let f = 0; f < m; f++) {
      const cell = cells[at[f]];
      values[r * m + f] = columns.categorical[f]
        ? levelCode(cell, columns.levels[f], where(f))
        : numeric(cell, where(f));
    }
  });
  return { features: [...features], rows: rows.length, values };
}

function numeric(cell: string, where: string): number {
  if (/^nan$/i.test(cell))
    throw new FileError('INVALID_INPUT', `${where} is NaN: missing values are not supported`);
  const value = Number(cell);
  if (cell === '' || !Number.isFinite(value)) {
    throw new FileError('INVALID_INPUT', `${where} is not a number: '${cell}'`);
  }
  return value;
}

/** A level name (its position in the recorded levels) or an integer code. */
function levelCode(cell: string, levels: readonly string[] | undefined, where: string): number {
  if (levels) {
    const named = levels.indexOf(cell);
    if (named >= 0) return named;
    const code = Number(cell);
    if (cell !== '' && Number.isInteger(code) && code >= 0 && code < levels.length) return code;
    throw new FileError(
      'INVALID_INPUT',
      `${where}: unknown level '${cell}', expected one of ${levels.join(', ')}`,
    );
  }
  const code = Number(cell);
  if (cell === '' || !Number.isInteger(code) || code < 0) {
    throw new FileError(
      'INVALID_INPUT',
      `${where}: categorical value '${cell}' is not a level code (a non-negative integer); name the levels in the model's netlens.input categories to use names`,
    );
  }
  return code;
}

export function readTableCsv(file: string, columns: TableColumns): TableData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'INVALID_INPUT',
      `cannot read ${file}: ${code ?? String(err)}`,
    );
  }
  return parseTableCsv(text, file, columns);
}

/** The rows at the given 0-based indices, with a one-line error for an index out of range. */
export function selectRows(table: TableData, indices: readonly number[], what = 'row'): TableData {
  const m = table.features.length;
  const values = new Float32Array(indices.length * m);
  indices.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= table.rows) {
      throw new FileError(
        'INVALID_INPUT',
        `${what} ${r} is out of range: the table has rows 0..${table.rows - 1}`,
      );
    }
    values.set(table.values.subarray(r * m, (r + 1) * m), i * m);
  });
  return { features: table.features, rows: indices.length, values };
}
