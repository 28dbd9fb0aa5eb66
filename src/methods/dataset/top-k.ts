/**
 * Streaming selection of the k highest (or lowest) scores: a binary heap of k entries whose root is the worst
 * kept entry, so each new score costs O(log k) and memory stays k whatever the data set size. Ties keep the
 * smaller index; NaN scores are never selected.
 */
import { OptionError } from '../../errors.js';

export interface Scored {
  index: number;
  score: number;
}

export class StreamingTopK {
  private readonly heap: Scored[] = [];

  /** `order` 'highest' keeps the k largest scores, 'lowest' the k smallest. */
  constructor(
    readonly k: number,
    readonly order: 'highest' | 'lowest' = 'highest',
  ) {
    if (!Number.isInteger(k) || k < 1)
      throw new OptionError('INVALID_OPTION', `k must be a positive integer, got ${k}`);
  }

  /** Whether a is a better pick than b. */
  private better(a: Scored, b: Scored): boolean {
    if (a.score !== b.score) return this.order === 'highest' ? a.score > b.score : a.score < b.score;
    return a.index < b.index;
  }

  push(index: number, score: number): void {
    if (Number.isNaN(score)) return;
    const entry = { index, score };
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(entry);
      this.siftUp(heap.length - 1);
    } else if (this.better(entry, heap[0])) {
      heap[0] = entry;
      this.siftDown(0);
    }
  }

  get size(): number {
    return this.heap.length;
  }

  /** The kept entries, best first. */
  result(): Scored[] {
    return [...this.heap].sort((a, b) => (this.better(a, b) ? -1 : this.better(b, a) ? 1 : 0));
  }

  // The root holds the worst kept entry: a parent is never better than its children.
  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(heap[parent], heap[i])) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && this.better(heap[worst], heap[left])) worst = left;
      if (right < heap.length && this.better(heap[worst], heap[right])) worst = right;
      if (worst === i) return;
      [heap[worst], heap[i]] = [heap[i], heap[worst]];
      i = worst;
    }
  }
}
