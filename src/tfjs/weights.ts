/**
 * Weight shards → float tensors, and the lookup that hands each layer its weights by name.
 */
import { ModelError } from '../errors.js';
import type { TfjsModelJson, TfjsWeightSpec, WeightTensor } from './types.js';

/** The weight specs in storage order: the manifest's groups concatenated, as the shards are. */
export function weightSpecsOf(modelJson: TfjsModelJson): TfjsWeightSpec[] {
  if (Array.isArray(modelJson.weightSpecs)) return modelJson.weightSpecs;
  if (Array.isArray(modelJson.weightsManifest)) {
    return modelJson.weightsManifest.flatMap((group) => (Array.isArray(group.weights) ? group.weights : []));
  }
  return [];
}

const STORED_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Decode the concatenated shard bytes into float tensors (int32/bool become floats too). */
export function decodeWeights(specs: readonly TfjsWeightSpec[], data: Uint8Array): WeightTensor[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: WeightTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const storedType = spec.quantization?.dtype ?? spec.dtype;
    const bytes = STORED_BYTES[storedType];
    if (bytes === undefined) {
      throw new ModelError(
        'INVALID_MODEL',
        `weight ${spec.name} has dtype ${storedType}, expected float32/int32/bool`,
      );
    }
    const end = offset + count * bytes;
    if (end > data.byteLength) {
      throw new ModelError(
        'INVALID_MODEL',
        `weight data too short: ${spec.name} needs bytes ${offset}..${end}, the shards hold ${data.byteLength}`,
      );
    }
    out.push({ name: spec.name, shape: [...spec.shape], data: decodeOne(spec, view, offset, count) });
    offset = end;
  }
  return out;
}

function decodeOne(spec: TfjsWeightSpec, view: DataView, offset: number, count: number): Float32Array {
  const values = new Float32Array(count);
  const q = spec.quantization;
  if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
    if (typeof q.min !== 'number' || typeof q.scale !== 'number') {
      throw new ModelError(
        'INVALID_MODEL',
        `weight ${spec.name} is ${q.dtype}-quantized but lacks min/scale`,
      );
    }
    // Same affine dequantization (in double precision, then rounded to float32) as TF.js.
    const { scale, min } = q;
    const round = spec.dtype === 'int32';
    if (q.dtype === 'uint8') {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, count);
      if (round) for (let i = 0; i < count; i++) values[i] = Math.round(bytes[i] * scale + min);
      else for (let i = 0; i < count; i++) values[i] = bytes[i] * scale + min;
    } else {
      for (let i = 0; i < count; i++) {
        const x = view.getUint16(offset + 2 * i, true) * scale + min;
        values[i] = round ? Math.round(x) : x;
      }
    }
    return values;
  }
  if (q && q.dtype === 'float16') {
    for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
    return values;
  }
  if (spec.dtype === 'float32') {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
  } else if (spec.dtype === 'int32') {
    for (let i = 0; i < count; i++) values[i] = view.getInt32(offset + 4 * i, true);
  } else {
    for (let i = 0; i < count; i++) values[i] = view.getUint8(offset + i);
  }
  return values;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Hands out weights by layer and weight name. Names in the wild look like `conv/kernel` (Keras, TF.js),
 * `lstm/lstm_cell/kernel` (Keras ≥ 2.2 recurrent cells), `outer/conv/kernel` (nested models) or
 * `conv/kernel_1` (TF.js de-duplication suffix), so matching is on the trailing path components. Each
 * stored weight is claimed once, in model order, which resolves same-named layers in different
 * nested models.
 */
export class WeightStore {
  private readonly entries: { tensor: WeightTensor; parts: string[]; claimed: boolean }[];

  constructor(tensors: readonly WeightTensor[]) {
    this.entries = tensors.map((tensor) => ({ tensor, parts: normalizedParts(tensor.name), claimed: false }));
  }

  /**
   * The weight `weightName` of layer `layerName` (inside nested models `scope`), checked against
   * `expectedShape` where given (null entries match any size).
   */
  take(
    scope: readonly string[],
    layerName: string,
    weightName: string,
    expectedShape?: readonly (number | null)[],
  ): WeightTensor {
    const found = this.find(scope, layerName, weightName);
    if (!found) {
      throw new ModelError(
        'INVALID_MODEL',
        `weight '${weightName}' of layer '${layerName}' not found in the weights manifest`,
      );
    }
    found.claimed = true;
    const shape = found.tensor.shape;
    if (
      expectedShape &&
      (shape.length !== expectedShape.length || expectedShape.some((d, i) => d !== null && d !== shape[i]))
    ) {
      throw new ModelError(
        'INVALID_MODEL',
        `weight ${found.tensor.name} has shape [${shape.join(', ')}], layer '${layerName}' expects ` +
          `[${expectedShape.map((d) => (d === null ? '?' : d)).join(', ')}]`,
      );
    }
    return found.tensor;
  }

  private find(scope: readonly string[], layerName: string, weightName: string) {
    const full = [...scope, layerName, weightName].join('/');
    const candidates = this.entries.filter((e) => !e.claimed && matches(e.parts, layerName, weightName));
    return (
      candidates.find((e) => e.parts.join('/') === full) ??
      candidates.find((e) => e.parts.length === 2) ??
      candidates[0]
    );
  }
}

/** Path components with the TF.js uniqueness suffix (`kernel_1`) removed from the weight name. */
function normalizedParts(name: string): string[] {
  const parts = name.split('/');
  const last = parts[parts.length - 1];
  const base = last.replace(/_\d+$/, '');
  if (base !== last && KNOWN_WEIGHT_NAMES.has(base)) parts[parts.length - 1] = base;
  return parts;
}

const KNOWN_WEIGHT_NAMES = new Set([
  'kernel',
  'bias',
  'gamma',
  'beta',
  'moving_mean',
  'moving_variance',
  'depthwise_kernel',
  'pointwise_kernel',
  'recurrent_kernel',
  'embeddings',
  'alpha',
]);

function matches(parts: readonly string[], layerName: string, weightName: string): boolean {
  const n = parts.length;
  if (n < 2 || parts[n - 1] !== weightName) return false;
  // `layer/weight` or `layer/cell/weight` (recurrent cells nest their weights one level deeper).
  return parts[n - 2] === layerName || (n >= 3 && parts[n - 3] === layerName);
}
