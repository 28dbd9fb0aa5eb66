/**
 * NumPy `.npy` files (format versions 1–3): read little-endian float / integer arrays in C order as float32,
 * write float32 arrays. Enough for exchanging maps and input values with NumPy users.
 */
import { OptionError } from '../errors.js';
import type { TensorData } from '../types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const READERS: Record<string, { size: number; read: (v: DataView, o: number) => number }> = {
  '<f4': { size: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { size: 8, read: (v, o) => v.getFloat64(o, true) },
  '<i4': { size: 4, read: (v, o) => v.getInt32(o, true) },
  '<i8': { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  '|u1': { size: 1, read: (v, o) => v.getUint8(o) },
  '|i1': { size: 1, read: (v, o) => v.getInt8(o) },
  '|b1': { size: 1, read: (v, o) => v.getUint8(o) },
};

/** Parses `.npy` bytes into float32 values and dims; `name` labels errors. */
export function readNpy(bytes: Uint8Array, name: string): TensorData {
  const fail = (why: string) => new OptionError('INVALID_INPUT', `${name} is not a usable .npy file: ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('no NUMPY magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw fail('header without descr or shape');
  if (fortran) throw fail('Fortran order; save it with np.ascontiguousarray');
  const reader = READERS[descr];
  if (!reader) throw fail(`dtype '${descr}' (expected float32/64, int8/32/64, uint8 or bool, little-endian)`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length - dataStart < count * reader.size) throw fail(`${count} values announced, fewer stored`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.size);
  return { data, dims };
}

/** A float32 `.npy` file (format 1.0) holding `tensor`. */
export function writeNpy(tensor: TensorData): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${tensor.dims.join(', ')}${
    tensor.dims.length === 1 ? ',' : ''
  }), }`;
  // Header padded with spaces and a newline so the data starts at a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + tensor.data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer);
  tensor.data.forEach((v, i) => view.setFloat32(total + i * 4, v, true));
  return out;
}
