/**
 * One bounded max-heap per point, all in flat typed arrays: row r keeps the k smallest (distance, index) pairs
 * offered to it. Used by both neighbour searches (tree and brute force).
 */
export class NeighbourHeaps {
  readonly distances: Float64Array;
  readonly indices: Int32Array;
  readonly sizes: Int32Array;

  constructor(
    readonly rows: number,
    readonly k: number,
  ) {
    this.distances = new Float64Array(rows * k);
    this.indices = new Int32Array(rows * k);
    this.sizes = new Int32Array(rows);
  }

  /** Largest kept distance of `row`, or Infinity while the row is not full. */
  worst(row: number): number {
    return this.sizes[row] < this.k ? Infinity : this.distances[row * this.k];
  }

  offer(row: number, distance: number, index: number): void {
    const k = this.k;
    const base = row * k;
    const d = this.distances;
    const ix = this.indices;
    const size = this.sizes[row];
    if (size < k) {
      // Sift up from the new last slot.
      let c = size;
      this.sizes[row] = size + 1;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (d[base + parent] >= distance) break;
        d[base + c] = d[base + parent];
        ix[base + c] = ix[base + parent];
        c = parent;
      }
      d[base + c] = distance;
      ix[base + c] = index;
      return;
    }
    if (distance >= d[base]) return;
    this.siftDown(base, 0, distance, index, k);
  }

  private siftDown(base: number, start: number, distance: number, index: number, size: number): void {
    siftDown(this.distances, this.indices, base, start, size, distance, index);
  }

  /** Heap-sort every row in place into ascending distance order (ends the heaps' use). */
  sortRows(): void {
    const k = this.k;
    const d = this.distances;
    const ix = this.indices;
    for (let row = 0; row < this.rows; row++) {
      const base = row * k;
      for (let last = this.sizes[row] - 1; last > 0; last--) {
        const topDistance = d[base];
        const topIndex = ix[base];
        this.siftDown(base, 0, d[base + last], ix[base + last], last);
        d[base + last] = topDistance;
        ix[base + last] = topIndex;
      }
    }
  }
}

/**
 * Puts (distance, index) at slot `start` of the max-heap held in [base, base + size) of the two arrays — as its new
 * top when `start` is 0 — and moves it down past every larger child.
 */
export function siftDown(
  distances: Float64Array,
  indices: Int32Array,
  base: number,
  start: number,
  size: number,
  distance: number,
  index: number,
): void {
  let c = start;
  for (;;) {
    let child = 2 * c + 1;
    if (child >= size) break;
    if (child + 1 < size && distances[base + child + 1] > distances[base + child]) child++;
    if (distances[base + child] <= distance) break;
    distances[base + c] = distances[base + child];
    indices[base + c] = indices[base + child];
    c = child;
  }
  distances[base + c] = distance;
  indices[base + c] = index;
}
