/**
 * Sequences from files: CSV (rows = time steps, columns = channels, optional header naming the channels),
 * `.npy` ([T, C] or [N, T, C], float), JSON arrays ([T, C] or [N, T, C]), and folders of those with an optional
 * labels file. Every value must be a finite number; each problem is a one-line FileError naming the file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseNpy } from 'npyjs';
import { FileError, OptionError } from '../errors.js';

export const SEQUENCE_EXTENSIONS = ['.csv', '.npy', '.json'] as const;
/** Names of the optional labels file in a folder of sequences. */
export const LABELS_FILES = ['labels.csv', 'labels.json'] as const;

export interface SequenceFile {
  /** Where it came from: the file, or `file[i]` for item i of an [N, T, C] file. */
  name: string;
  /** T × C values, time-major. */
  values: Float32Array;
  length: number;
  channels: number;
  /** Channel names from a CSV header. */
  channelNames?: string[];
}

export interface LoadedSequences {
  sequences: SequenceFile[];
  /** One label per sequence (class name or index as written), when a labels file was found. */
  labels?: string[];
}

function invalid(file: string, what: string): FileError {
  return new FileError('INVALID_INPUT', `${file}: ${what}`);
}

function checkFinite(value: number, file: string, where: () => string): number {
  if (!Number.isFinite(value)) throw invalid(file, `${where()} is ${value}, expected a finite number`);
  return value;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|NaN|inf|Inf|Infinity|infinity)$/;

/** A numeric cell's value; 'nan' and 'inf' spelled the way numpy writes them too. */
function cellValue(cell: string): number {
  const bare = cell.replace(/^[+-]/, '').toLowerCase();
  if (bare === 'nan') return NaN;
  if (bare.startsWith('inf')) return cell.startsWith('-') ? -Infinity : Infinity;
  return Number(cell);
}

/** CSV: a header row is taken when any cell of the first row is not a number. */
export function parseSequenceCsv(text: string, file: string): SequenceFile {
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw invalid(file, `not a rectangular CSV table (${message})`);
  }
  let channelNames: string[] | undefined;
  if (records.length > 0 && records[0].some((cell) => !NUMBER.test(cell))) {
    channelNames = records[0];
    records = records.slice(1);
  }
  if (records.length === 0) throw invalid(file, 'the sequence is empty (no time steps)');
  const channels = records[0].length;
  const values = new Float32Array(records.length * channels);
  const headerRows = channelNames ? 1 : 0;
  records.forEach((row, t) => {
    row.forEach((cell, c) => {
      const where = () => `row ${t + 1 + headerRows}, column ${c + 1}`;
      if (!NUMBER.test(cell)) throw invalid(file, `${where()} holds '${cell}', not a number`);
      values[t * channels + c] = checkFinite(cellValue(cell), file, where);
    });
  });
  return { name: file, values, length: records.length, channels, ...(channelNames ? { channelNames } : {}) };
}

/** [T, C] or [N, T, C] in C order, any float dtype. */
export function parseSequenceNpy(bytes: Uint8Array, file: string): SequenceFile[] {
  let array;
  try {
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    array = parseNpy(copy);
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw invalid(file, `not a valid .npy file (${message})`);
  }
  if (!['f2', 'f4', 'f8'].includes(array.dtype)) {
    throw invalid(file, `.npy dtype is ${array.dtype}, expected float (f2, f4 or f8)`);
  }
  if (array.fortranOrder) throw invalid(file, '.npy is in Fortran order; save it in C order');
  const dims = array.shape;
  if (dims.length !== 2 && dims.length !== 3) {
    throw invalid(file, `.npy has shape [${dims.join(', ')}], expected [T, C] or [N, T, C]`);
  }
  const data = array.data as Float32Array | Float64Array;
  return fromBlock(Float32Array.from(data), dims, file);
}

/** [[...], ...] (T × C), [[[...]]] (N × T × C), or a flat [T] list for one channel. */
export function parseSequenceJson(text: string, file: string): SequenceFile[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(file, 'not valid JSON');
  }
  const rank = (v: unknown): number => (Array.isArray(v) ? 1 + (v.length > 0 ? rank(v[0]) : 0) : 0);
  const r = rank(value);
  if (r < 1 || r > 3) throw invalid(file, 'expected a JSON array of time steps, [T, C] or [N, T, C]');
  const nested = (r === 1 ? (value as unknown[]).map((v) => [v]) : value) as unknown[];
  const items = (r === 3 ? nested : [nested]) as unknown[][];
  if (items.length === 0 || items[0].length === 0)
    throw invalid(file, 'the sequence is empty (no time steps)');
  const dims = [items.length, items[0].length, (items[0][0] as unknown[]).length];
  const flat = new Float32Array(dims[0] * dims[1] * dims[2]);
  let at = 0;
  items.forEach((steps, n) => {
    if (!Array.isArray(steps) || steps.length !== dims[1]) {
      throw invalid(
        file,
        `sequence ${n} has ${Array.isArray(steps) ? steps.length : 0} steps, expected ${dims[1]}`,
      );
    }
    steps.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== dims[2]) {
        throw invalid(
          file,
          `step ${t} has ${Array.isArray(row) ? row.length : 0} values, expected ${dims[2]}`,
        );
      }
      row.forEach((cell: unknown, c) => {
        const where = () => `step ${t}, channel ${c}`;
        if (typeof cell !== 'number')
          throw invalid(file, `${where()} holds ${JSON.stringify(cell)}, not a number`);
        flat[at++] = checkFinite(cell, file, where);
      });
    });
  });
  return fromBlock(flat, r === 3 ? dims : dims.slice(1), file);
}

function fromBlock(data: Float32Array, dims: number[], file: string): SequenceFile[] {
  const [n, length, channels] = dims.length === 3 ? dims : [1, dims[0], dims[1]];
  if (length === 0 || channels === 0 || n === 0) throw invalid(file, 'the sequence is empty (no time steps)');
  const size = length * channels;
  const out: SequenceFile[] = [];
  for (let i = 0; i < n; i++) {
    const values = data.slice(i * size, (i + 1) * size);
    values.forEach((v, k) =>
      checkFinite(
        v,
        file,
        () =>
          `${dims.length === 3 ? `sequence ${i}, ` : ''}step ${Math.floor(k / channels)}, channel ${k % channels}`,
      ),
    );
    out.push({ name: dims.length === 3 ? `${file}[${i}]` : file, values, length, channels });
  }
  return out;
}

export async function readSequenceFile(file: string): Promise<SequenceFile[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new FileError('FILE_NOT_FOUND', `sequence file not found: ${file}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return [parseSequenceCsv(bytes.toString('utf8'), file)];
  if (ext === '.npy') return parseSequenceNpy(bytes, file);
  if (ext === '.json') return parseSequenceJson(bytes.toString('utf8'), file);
  throw invalid(file, `unknown sequence format '${ext}'; expected ${SEQUENCE_EXTENSIONS.join(', ')}`);
}

/** labels.csv (`file,label` rows, header optional) or labels.json (object file → label, or a list). */
async function readLabels(file: string, names: readonly string[]): Promise<string[]> {
  const text = (await readFile(file)).toString('utf8');
  const byName = new Map<string, string>();
  if (file.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid(file, 'not valid JSON');
    }
    if (Array.isArray(value)) {
      if (value.length !== names.length)
        throw invalid(file, `${value.length} labels for ${names.length} sequences`);
      return value.map(String);
    }
    if (typeof value !== 'object' || value === null)
      throw invalid(file, 'expected an object file → label or a list');
    for (const [k, v] of Object.entries(value)) byName.set(k, String(v));
  } else {
    const rows = parseCsv(text, {
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as string[][];
    for (const row of rows) if (row.length >= 2) byName.set(row[0], row[1]);
  }
  return names.map((name) => {
    const base = path.basename(name.replace(/\[\d+\]$/, ''));
    const label =
      byName.get(path.basename(name)) ?? byName.get(base) ?? byName.get(base.replace(/\.[^.]+$/, ''));
    if (label === undefined) throw invalid(file, `no label for ${path.basename(name)}`);
    return label;
  });
}

/**
 * Sequences from files and folders (a folder: its .csv/.npy/.json files in name order, plus labels from
 * labels.csv / labels.json when present). `channels`, when given, must match every sequence.
 */
export async function loadSequenceArgs(
  args: readonly string[],
  options: { channels?: number; limit?: number } = {},
): Promise<LoadedSequences> {
  if (args.length === 0) throw new OptionError('INVALID_OPTION', 'no sequences given');
  const sequences: SequenceFile[] = [];
  let labels: string[] | undefined;
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new FileError('FILE_NOT_FOUND', `sequence file not found: ${arg}`);
    }
    if (!info.isDirectory()) {
      sequences.push(...(await readSequenceFile(arg)));
      continue;
    }
    const entries = (await readdir(arg)).sort();
    const files = entries.filter(
      (n) =>
        (SEQUENCE_EXTENSIONS as readonly string[]).includes(path.extname(n).toLowerCase()) &&
        !(LABELS_FILES as readonly string[]).includes(n),
    );
    if (files.length === 0)
      throw new FileError('NOT_A_FILE', `folder ${arg} holds no .csv, .npy or .json sequences`);
    const found: SequenceFile[] = [];
    for (const f of files) found.push(...(await readSequenceFile(path.join(arg, f))));
    const labelsFile = LABELS_FILES.find((n) => entries.includes(n));
    if (labelsFile && args.length === 1)
      labels = await readLabels(
        path.join(arg, labelsFile),
        found.map((s) => s.name),
      );
    sequences.push(...found);
  }
  const kept = options.limit !== undefined ? sequences.slice(0, options.limit) : sequences;
  if (options.channels !== undefined) {
    for (const s of kept) {
      if (s.channels !== options.channels) {
        throw new FileError(
          'INVALID_INPUT',
          `${s.name}: the sequence has ${s.channels} channels but the model takes ${options.channels}`,
        );
      }
    }
  }
  return { sequences: kept, ...(labels ? { labels: labels.slice(0, kept.length) } : {}) };
}
