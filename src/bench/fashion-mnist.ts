/**
 * The 70 000 Fashion-MNIST images (training and test sets) from Debian's `dataset-fashion-mnist`, as pixels in
 * [0, 1], for the projection benchmarks. Absent package: undefined, and the benchmark says it skipped.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface PixelRows {
  data: Float32Array;
  labels: Int32Array;
  n: number;
  dim: number;
}

async function idx(file: string): Promise<Buffer> {
  return gunzipSync(await readFile(path.join(FASHION_MNIST_DIR, file)));
}

export async function loadFashionMnist(): Promise<PixelRows | undefined> {
  const sets = ['train', 't10k'];
  if (!sets.every((s) => existsSync(path.join(FASHION_MNIST_DIR, `${s}-images-idx3-ubyte.gz`))))
    return undefined;
  const images: Buffer[] = [];
  const labels: Buffer[] = [];
  for (const s of sets) {
    // idx3: magic, count, rows, cols (big-endian int32), then the pixels; idx1: magic, count, then the labels.
    images.push((await idx(`${s}-images-idx3-ubyte.gz`)).subarray(16));
    labels.push((await idx(`${s}-labels-idx1-ubyte.gz`)).subarray(8));
  }
  const dim = 28 * 28;
  const n = images.reduce((sum, b) => sum + b.length / dim, 0);
  const data = new Float32Array(n * dim);
  let offset = 0;
  for (const b of images) {
    for (let t = 0; t < b.length; t++) data[offset + t] = b[t] / 255;
    offset += b.length;
  }
  return { data, labels: Int32Array.from(Buffer.concat(labels)), n, dim };
}
