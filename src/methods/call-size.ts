/**
 * How many derived inputs (perturbed copies, path points, noisy copies) go into one runtime call.
 */
/**
 * Input elements per runtime call. Per image, a large batch of large images costs more than small batches:
 * activations of a whole batch fall out of the caches (measured one thread, CPU time per 224x224 image:
 * MobileNetV2 5.9 ms at batch 1 and 4, 7.6 ms at 82; EfficientNet-B0 12.2 ms at 1, 17 ms at 64), while for
 * small inputs a batch amortises the call. 2^18 floats (1 MiB) keeps a 224x224 image alone and 21 64x64 ones
 * together.
 */
const ELEMENTS_PER_CALL = 1 << 18;

/** Items per runtime call: at most `miniBatchSize` (the memory bound) and no more than the cache-friendly call size. */
export function callChunkSize(miniBatchSize: number, total: number, size: number): number {
  return Math.max(1, Math.min(miniBatchSize, total, Math.floor(ELEMENTS_PER_CALL / size)));
}
