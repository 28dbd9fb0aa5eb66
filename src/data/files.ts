/**
 * Synchronous file access for the committed fixtures, with typed errors: a missing file is FILE_NOT_FOUND,
 * content that does not have the documented form is INVALID_INPUT naming the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FileError } from '../errors.js';

export function readFixtureFile(file: string, what: string): Buffer {
  if (!existsSync(file)) throw new FileError('FILE_NOT_FOUND', `${what} not found: ${file}`);
  if (!statSync(file).isFile()) throw new FileError('NOT_A_FILE', `${what} ${file} is not a regular file`);
  return readFileSync(file);
}

/** A file's bytes, gunzipped when its name ends in .gz. */
export function readMaybeGzip(file: string, what: string): Buffer {
  const raw = readFixtureFile(file, what);
  if (!file.endsWith('.gz')) return raw;
  try {
    return gunzipSync(raw);
  } catch {
    throw new FileError('INVALID_INPUT', `${what} ${file} is not a valid gzip file`);
  }
}

export function readJsonObject(file: string, what: string): Record<string, unknown> {
  const text = readFixtureFile(file, what).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FileError('INVALID_INPUT', `${what} ${file} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FileError('INVALID_INPUT', `${what} ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Little-endian float32 values, checked against the expected element count. */
export function readFloat32(file: string, what: string, expectedCount: number): Float32Array {
  const bytes = readMaybeGzip(file, what);
  if (bytes.length !== expectedCount * 4) {
    throw new FileError(
      'INVALID_INPUT',
      `${what} ${file} holds ${bytes.length} bytes, expected ${expectedCount * 4} (${expectedCount} float32)`,
    );
  }
  const out = new Float32Array(expectedCount);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < expectedCount; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** uint8 values, checked against the expected count. */
export function readUint8(file: string, what: string, expectedCount: number): Uint8Array {
  const bytes = readMaybeGzip(file, what);
  if (bytes.length !== expectedCount) {
    throw new FileError(
      'INVALID_INPUT',
      `${what} ${file} holds ${bytes.length} bytes, expected ${expectedCount}`,
    );
  }
  return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Field accessors that fail with the file's name and the field's path. */
export class JsonFields {
  constructor(
    private readonly record: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private fail(key: string, expected: string): FileError {
    return new FileError('INVALID_INPUT', `${this.where}: '${key}' must be ${expected}`);
  }

  has(key: string): boolean {
    return this.record[key] !== undefined && this.record[key] !== null;
  }

  number(key: string): number {
    const v = this.record[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number');
    return v;
  }

  integer(key: string): number {
    const v = this.number(key);
    if (!Number.isInteger(v) || v < 0) throw this.fail(key, 'a non-negative integer');
    return v;
  }

  string(key: string): string {
    const v = this.record[key];
    if (typeof v !== 'string') throw this.fail(key, 'a string');
    return v;
  }

  strings(key: string): string[] {
    const v = this.record[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw this.fail(key, 'an array of strings');
    return v as string[];
  }

  numbers(key: string, length?: number): number[] {
    const v = this.record[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw this.fail(key, 'an array of numbers');
    }
    if (length !== undefined && v.length !== length) throw this.fail(key, `an array of ${length} numbers`);
    return v as number[];
  }

  /** An array of number tuples, each of `width` numbers (boxes, windows). */
  tuples(key: string, count: number, width: number): number[][] {
    const v = this.record[key];
    const ok =
      Array.isArray(v) &&
      v.length === count &&
      v.every(
        (row) =>
          Array.isArray(row) &&
          row.length === width &&
          row.every((x) => typeof x === 'number' && Number.isFinite(x)),
      );
    if (!ok) throw this.fail(key, `an array of ${count} arrays of ${width} numbers`);
    return v as number[][];
  }

  object(key: string): JsonFields {
    const v = this.record[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fail(key, 'an object');
    return new JsonFields(v as Record<string, unknown>, `${this.where}.${key}`);
  }

  raw(key: string): unknown {
    return this.record[key];
  }
}
