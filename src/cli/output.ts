/** Writing results: PNG files (atomically, via render/png), JSON to stdout, output file names. */
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError } from '../errors.js';
import { describeFsError } from '../render/png.js';
export { writePng } from '../render/png.js';

/** JSON with typed arrays turned into plain arrays, numbers rounded for readability. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (
        v instanceof Float32Array ||
        v instanceof Float64Array ||
        v instanceof Int32Array ||
        v instanceof Uint8Array
      ) {
        return Array.from(v as ArrayLike<number>, (x) =>
          Number.isInteger(x) ? x : Number(x.toPrecision(7)),
        );
      }
      return v;
    },
    2,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

/**
 * A name per input file that tells the inputs apart, without extension: the base name where that is unique,
 * else the path below the inputs' common folder (`a/x`, `b/x`), numbered only if the same file comes twice.
 */
export function distinctStems(paths: readonly string[]): string[] {
  const strip = (p: string) => p.replace(/\.[^./\\]+$/, '');
  const bases = paths.map((p) => strip(path.basename(p)));
  if (new Set(bases).size === bases.length) return bases;
  const absolute = paths.map((p) => path.resolve(p));
  let common = path.dirname(absolute[0]);
  while (!absolute.every((p) => p.startsWith(common + path.sep)) && path.dirname(common) !== common) {
    common = path.dirname(common);
  }
  const relative = absolute.map((p) => strip(path.relative(common, p)).split(path.sep).join('/'));
  const seen = new Map<string, number>();
  return relative.map((r) => {
    const count = seen.get(r) ?? 0;
    seen.set(r, count + 1);
    return count === 0 ? r : `${r}-${count + 1}`;
  });
}

/** Refuses (before any work is done) to overwrite files that exist, unless `force`. */
export async function checkNoClobber(files: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  const existing: string[] = [];
  for (const file of files) {
    try {
      await access(file);
      existing.push(file);
    } catch {
      // Absent: free to write.
    }
  }
  if (existing.length > 0) {
    const list = existing.slice(0, 3).join(', ') + (existing.length > 3 ? `, ... (${existing.length})` : '');
    throw new FileError(
      'OUTPUT_ERROR',
      `${list} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`,
    );
  }
}

/**
 * Refuses, before any work is done, an output file that could not be written at the end: its folder missing
 * or not a folder, or the name taken by a folder. The same words as the failed write would use.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new FileError('OUTPUT_ERROR', `could not write ${file}: ${why}`);
  };
  const folder = await stat(path.dirname(file)).catch((err: unknown) => refuse(describeFsError(err, file)));
  if (!folder.isDirectory()) refuse(`a parent of ${file} is not a directory`);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) refuse(`${file} is a directory`);
}
