/**
 * The TF.js LayersModel file format (`model.json`): a Keras topology plus a manifest of weight shards.
 * Only the parts the importer reads are typed; everything else is carried as unknown JSON.
 */

/** One weight in a shard group: its name, shape, stored dtype and optional quantization. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: {
    dtype: 'uint8' | 'uint16' | 'float16';
    min?: number;
    scale?: number;
  };
}

/** A group of weights stored contiguously across the shard files listed in `paths`. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/**
 * A parsed `model.json`. Also accepts TF.js in-memory model artifacts, which carry `weightSpecs`
 * instead of a `weightsManifest`.
 */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: unknown;
  weightsManifest?: TfjsWeightGroup[];
  weightSpecs?: TfjsWeightSpec[];
}

/** Plain JSON object as found in layer configs. */
export type JsonObject = { [key: string]: unknown };

/** A decoded weight: float values and the Keras shape. */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}
