/** Bench rows, the printed table and bench/results.json. */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../render/png.js';

export interface BenchRow {
  suite: string;
  model: string;
  what: string;
  batch?: number;
  /** Median milliseconds per item (image, point set, ...). */
  perItemMs: number;
  /** Ratio to the floor named in `floor` (e.g. raw ORT batch forward for the same number of passes). */
  ratio?: number;
  /** Model passes per item the work makes (forward passes, plus VJP items as 'f + b'), counted in a separate run. */
  passes?: string;
  floor?: string;
  note?: string;
}

function pad(text: string, width: number, right = false): string {
  if (text.length >= width) return text;
  return right ? ' '.repeat(width - text.length) + text : text + ' '.repeat(width - text.length);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['suite', 'model', 'what', 'batch', 'ms/item', 'ratio', 'passes', 'vs'];
  const cells = rows.map((r) => [
    r.suite,
    r.model,
    r.what,
    r.batch !== undefined ? String(r.batch) : '',
    r.perItemMs >= 100 ? r.perItemMs.toFixed(0) : r.perItemMs.toFixed(3),
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '',
    r.passes ?? '',
    r.floor ?? '',
  ]);
  // Notes carry figures that are not times (e.g. peak memory): a last column when any row has one.
  if (rows.some((r) => r.note)) {
    header.push('note');
    cells.forEach((c, i) => c.push(rows[i].note ?? ''));
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const numeric = new Set([3, 4, 5, 6]);
  const line = (c: string[]) => c.map((x, i) => pad(x, widths[i], numeric.has(i))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export async function writeResults(file: string, rows: readonly BenchRow[]): Promise<void> {
  const doc = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    node: process.version,
    rows,
  };
  // A fresh clone has no bench/ folder yet.
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
}
