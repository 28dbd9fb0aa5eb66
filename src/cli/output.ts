/** Writing results: PNG files (atomically, via render/png), JSON to stdout. */
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
