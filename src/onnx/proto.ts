/**
 * ONNX protobuf I/O and small constructors. Everything that reads or writes ONNX protobuf goes
 * through this module so the rest of the code never deals with protobufjs details (Long, raw_data).
 */
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.js';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;
export const AttrType = onnxProto.onnx.AttributeProto.AttributeType;

/** protobufjs decodes int64 as Long objects (or numbers); make them plain numbers. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toNumber' in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  if (typeof value === 'string') return Number(value);
  return Number(value);
}

/** Decode model bytes; a clear typed error for anything that is not a usable ONNX model. */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  if (bytes.length === 0)
    throw new ModelError('INVALID_MODEL', `${source} is empty (0 bytes), expected an ONNX model`);
  if (looksLikeImage(bytes)) {
    throw new ModelError('INVALID_MODEL', `${source} is an image, not an ONNX model`);
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ModelError(
      'INVALID_MODEL',
      `${source} is not a valid ONNX model (protobuf decode failed: ${why})`,
    );
  }
  if (!model.graph || !model.graph.node || model.graph.node.length === 0) {
    throw new ModelError('INVALID_MODEL', `${source} is not a valid ONNX model (no graph nodes found)`);
  }
  if (!model.opsetImport || model.opsetImport.length === 0) {
    throw new ModelError('INVALID_MODEL', `${source} is not a valid ONNX model (no opset import)`);
  }
  return model;
}

function looksLikeImage(b: Uint8Array): boolean {
  const png = b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
  const jpeg = b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  const riff = b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46;
  const gif = b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46;
  return png || jpeg || riff || gif;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Deep copy via encode/decode: graph edits never touch the caller's model. */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(encodeModel(model));
}

/** The opset version of the default ('' or 'ai.onnx') domain. */
export function opsetVersion(model: ModelProto): number {
  for (const imp of model.opsetImport ?? []) {
    if (!imp.domain || imp.domain === 'ai.onnx') return toNumber(imp.version);
  }
  throw new ModelError('INVALID_MODEL', 'model has no default-domain opset import');
}

/** The model's metadata_props as a plain object. */
export function metadataProps(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Tensors

export interface DecodedTensor {
  dims: number[];
  dataType: number;
  /** Float data as Float32Array; integer data as plain numbers (int64 fits: only shapes/indices use it). */
  data: Float32Array | number[];
}

/** Decode an initializer / Constant value. Float types → Float32Array, integer types → number[]. */
export function decodeTensor(t: TensorProto): DecodedTensor {
  const dims = (t.dims ?? []).map(toNumber);
  const dataType = t.dataType ?? DataType.FLOAT;
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new ModelError(
      'INVALID_MODEL',
      `tensor ${t.name ?? ''} uses external data, which is not supported`,
    );
  }
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (dataType) {
    case DataType.FLOAT: {
      if (view) {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
        return { dims, dataType, data: out };
      }
      return { dims, dataType, data: Float32Array.from(t.floatData ?? []) };
    }
    case DataType.DOUBLE: {
      if (view) {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
        return { dims, dataType, data: out };
      }
      return { dims, dataType, data: Float32Array.from(t.doubleData ?? []) };
    }
    case DataType.FLOAT16: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const h = view ? view.getUint16(i * 2, true) : toNumber((t.int32Data ?? [])[i]);
        out[i] = halfToFloat(h);
      }
      return { dims, dataType, data: out };
    }
    case DataType.INT64: {
      if (view) {
        const out: number[] = new Array(count);
        for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
        return { dims, dataType, data: out };
      }
      return { dims, dataType, data: (t.int64Data ?? []).map(toNumber) };
    }
    case DataType.INT32:
    case DataType.INT16:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.UINT16:
    case DataType.BOOL: {
      if (view) {
        const out: number[] = new Array(count);
        const size =
          dataType === DataType.INT32
            ? 4
            : dataType === DataType.INT16 || dataType === DataType.UINT16
              ? 2
              : 1;
        for (let i = 0; i < count; i++) {
          out[i] =
            size === 4
              ? view.getInt32(i * 4, true)
              : size === 2
                ? dataType === DataType.INT16
                  ? view.getInt16(i * 2, true)
                  : view.getUint16(i * 2, true)
                : dataType === DataType.INT8
                  ? view.getInt8(i)
                  : view.getUint8(i);
        }
        return { dims, dataType, data: out };
      }
      return { dims, dataType, data: (t.int32Data ?? []).map(toNumber) };
    }
    default:
      throw new ModelError('INVALID_MODEL', `tensor ${t.name ?? ''} has unsupported data type ${dataType}`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A FLOAT tensor stored as raw little-endian bytes. */
export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const f = Float32Array.from(data);
  return {
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
  };
}

/** An INT64 tensor (shapes, axes, indices). */
export function int64Tensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const b = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) b[i] = BigInt(Math.trunc(data[i]));
  return {
    name,
    dims: [...dims],
    dataType: DataType.INT64,
    rawData: new Uint8Array(b.buffer),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Attributes and nodes

export type AttrValue = number | string | number[] | string[] | TensorProto;

/** Read an attribute as a plain value (ints/floats/strings/tensor); undefined when absent. */
export function getAttr(node: NodeProto, name: string): AttrValue | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  switch (a.type) {
    case AttrType.INT:
      return toNumber(a.i);
    case AttrType.FLOAT:
      return a.f ?? 0;
    case AttrType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttrType.INTS:
      return (a.ints ?? []).map(toNumber);
    case AttrType.FLOATS:
      return [...(a.floats ?? [])];
    case AttrType.STRINGS:
      return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case AttrType.TENSOR:
      return a.t ?? undefined;
    default:
      // Older exporters sometimes omit `type`; infer from the populated field.
      if (a.ints && a.ints.length) return a.ints.map(toNumber);
      if (a.floats && a.floats.length) return [...a.floats];
      if (a.t) return a.t;
      if (a.s && a.s.length) return new TextDecoder().decode(a.s);
      if (a.f !== undefined && a.f !== null && a.f !== 0) return a.f;
      return toNumber(a.i ?? 0);
  }
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const v = getAttr(node, name);
  return typeof v === 'number' ? v : fallback;
}
export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const v = getAttr(node, name);
  return typeof v === 'number' ? v : fallback;
}
export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const v = getAttr(node, name);
  return Array.isArray(v) ? (v as number[]) : undefined;
}
export function attrString(node: NodeProto, name: string, fallback: string): string {
  const v = getAttr(node, name);
  return typeof v === 'string' ? v : fallback;
}

/** Build an attribute proto from a JS value; arrays of integers become INTS unless `floats` is set. */
export function makeAttr(name: string, value: AttrValue, kind?: 'float' | 'floats'): AttributeProto {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (kind === 'float' || !Number.isInteger(value)) return { name, type: AttrType.FLOAT, f: value };
    return { name, type: AttrType.INT, i: value };
  }
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return {
        name,
        type: AttrType.STRINGS,
        strings: (value as string[]).map((s) => new TextEncoder().encode(s)),
      };
    }
    const nums = value as number[];
    if (kind === 'floats' || nums.some((x) => !Number.isInteger(x)))
      return { name, type: AttrType.FLOATS, floats: nums };
    return { name, type: AttrType.INTS, ints: nums };
  }
  return { name, type: AttrType.TENSOR, t: value };
}

export type AttrMap = Record<string, AttrValue | { value: AttrValue; kind: 'float' | 'floats' } | undefined>;

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: AttrMap = {},
  name = '',
): NodeProto {
  const attribute: AttributeProto[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && 'value' in v) {
      attribute.push(makeAttr(k, v.value, v.kind));
    } else {
      attribute.push(makeAttr(k, v as AttrValue));
    }
  }
  return { opType, input: [...inputs], output: [...outputs], attribute, name: name || outputs[0] };
}

/** A value_info with a float (or given) element type and a shape; strings in the shape are symbolic dims. */
export function makeValueInfo(
  name: string,
  shape: readonly (number | string)[] | undefined,
  elemType: number = DataType.FLOAT,
): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: shape
          ? {
              dim: shape.map((d) =>
                typeof d === 'number' && d >= 0 ? { dimValue: d } : { dimParam: String(d) },
              ),
            }
          : undefined,
      },
    },
  };
}

/** Shape of a value_info: numbers for fixed dims, strings for symbolic ones ('?' when unnamed). */
export function valueInfoShape(vi: ValueInfoProto): (number | string)[] | undefined {
  const dims = vi.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) => {
    if (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0)
      return toNumber(d.dimValue);
    return d.dimParam || '?';
  });
}

export function valueInfoElemType(vi: ValueInfoProto): number {
  return vi.type?.tensorType?.elemType ?? 0;
}

/** Assemble a model from parts; used by tests, the autodiff builder and the TF.js importer. */
export function makeModel(parts: {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  opset?: number;
  name?: string;
  metadata?: Record<string, string>;
  producer?: string;
}): ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: parts.producer ?? 'netlens',
    opsetImport: [{ domain: '', version: parts.opset ?? 17 }],
    metadataProps: Object.entries(parts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: parts.name ?? 'graph',
      node: parts.nodes,
      input: parts.inputs,
      output: parts.outputs,
      initializer: parts.initializers ?? [],
    },
  });
}
