/**
 * A sequence model seen as an image model, so that the image methods (occlusion, LIME, Kernel SHAP, gradient
 * attributions, the CAM family) run on sequences unchanged. A batch of sequences of one length T with C
 * channels is held as [N, 1, T, C] (time-major items, the same bytes as [N, T, C]); two specs read it:
 *
 * - 'strip': a 1 × T image with C channels (NHWC). Perturbation units are time windows across all channels,
 *   a mask value is a per-channel value, and 1-D feature maps [N, C', T'] of convolutional layers appear as
 *   [N, C', 1, T'] so that CAM maps come out one value per time step, up-sampled to T.
 * - 'grid': a T × C image with one channel (NCHW), so that gradient maps keep one value per step and channel.
 *
 * The wrapped model's own input layout may be NTC, TNC or NCT; the view converts batches and input gradients.
 */
import { OptionError } from '../../errors.js';
import type { SequenceLayout } from '../../onnx/time-major.js';
import type {
  BatchOptions,
  InputSpec,
  LayerInfo,
  LinearHead,
  LinearHeadSource,
  Model,
  Prediction,
  TensorData,
  TensorInfo,
  VjpFunction,
  VjpRequest,
} from '../../types.js';

export type { SequenceLayout } from '../../onnx/time-major.js';
export type SequenceViewKind = 'strip' | 'grid';

/** The model's sequence layout (input description, default NTC) and channel count. */
export function sequenceInput(model: Model): { layout: SequenceLayout; channels: number } {
  const main = model.inputs.find((i) => i.name === model.inputName);
  const shape = main?.shape ?? [];
  if (shape.length !== 3) {
    throw new OptionError(
      'INVALID_INPUT',
      `a sequence model takes [N, T, C], [T, N, C] or [N, C, T] input; '${model.inputName}' has ${shape.length} dims`,
    );
  }
  const description = (model as { inputDescription?: Record<string, unknown> }).inputDescription;
  const declared = description?.layout;
  const layout: SequenceLayout = declared === 'TNC' || declared === 'NCT' ? declared : 'NTC';
  const fromShape = shape[layout === 'NCT' ? 1 : 2];
  const channels =
    typeof description?.channels === 'number'
      ? description.channels
      : typeof fromShape === 'number'
        ? fromShape
        : NaN;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new OptionError('INVALID_INPUT', `cannot tell the channel count of '${model.inputName}'`);
  }
  return { layout, channels };
}

/** Items [N, T, C] (time-major) → the model's layout. */
export function toModelLayout(x: TensorData, layout: SequenceLayout): TensorData {
  const [n, t, c] = x.dims.length === 4 ? [x.dims[0], x.dims[2], x.dims[3]] : x.dims;
  if (layout === 'NTC') return { data: x.data, dims: [n, t, c] };
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < t; s++) {
      for (let k = 0; k < c; k++) {
        const v = x.data[(i * t + s) * c + k];
        if (layout === 'TNC') out[(s * n + i) * c + k] = v;
        else out[(i * c + k) * t + s] = v;
      }
    }
  }
  return { data: out, dims: layout === 'TNC' ? [t, n, c] : [n, c, t] };
}

/** The model's layout → items [N, 1, T, C]. */
export function fromModelLayout(x: TensorData, layout: SequenceLayout): TensorData {
  const [n, t, c] =
    layout === 'NTC'
      ? x.dims
      : layout === 'TNC'
        ? [x.dims[1], x.dims[0], x.dims[2]]
        : [x.dims[0], x.dims[2], x.dims[1]];
  if (layout === 'NTC') return { data: x.data, dims: [n, 1, t, c] };
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < t; s++) {
      for (let k = 0; k < c; k++) {
        out[(i * t + s) * c + k] =
          layout === 'TNC' ? x.data[(s * n + i) * c + k] : x.data[(i * c + k) * t + s];
      }
    }
  }
  return { data: out, dims: [n, 1, t, c] };
}

function isTensorData(value: TensorData | Record<string, TensorData>): value is TensorData {
  return value.data instanceof Float32Array && Array.isArray(value.dims);
}

const CONV_OPS = new Set(['Conv', 'ConvTranspose']);

/** Names of rank-3 layers from the first 1-D convolution on: [N, C, T] feature maps. */
function convFeatureLayers(layers: readonly LayerInfo[]): Set<string> {
  const names = new Set<string>();
  let seenConv = false;
  for (const layer of layers) {
    if (CONV_OPS.has(layer.opType) && layer.shape.length === 3) seenConv = true;
    if (seenConv && layer.shape.length === 3 && layer.shape[0] === 1) names.add(layer.name);
  }
  return names;
}

/** [N, C, T] → [N, C, 1, T] and back: the same bytes. */
const withUnitAxis = (t: TensorData): TensorData => ({
  data: t.data,
  dims: [t.dims[0], t.dims[1], 1, t.dims[2]],
});
const withoutUnitAxis = (t: TensorData): TensorData => ({
  data: t.data,
  dims: [t.dims[0], t.dims[1], t.dims[3]],
});

export class SequenceView implements Model, LinearHeadSource {
  readonly inputs: TensorInfo[];
  readonly inputSpec: InputSpec;
  readonly metadata: Record<string, string>;
  private convLayers: Promise<Set<string>> | undefined;

  constructor(
    readonly inner: Model,
    readonly kind: SequenceViewKind,
    readonly length: number,
    readonly channels: number,
    readonly layout: SequenceLayout,
  ) {
    this.inputs = inner.inputs.map((i) =>
      i.name === inner.inputName ? { ...i, shape: ['N', 1, length, channels] } : i,
    );
    const strip = kind === 'strip';
    this.inputSpec = {
      height: strip ? 1 : length,
      width: strip ? length : channels,
      channels: strip ? channels : 1,
      layout: strip ? 'NHWC' : 'NCHW',
      channelOrder: strip ? 'RGB' : 'GRAY',
      scale: 1,
      mean: new Array<number>(strip ? channels : 1).fill(0),
      std: new Array<number>(strip ? channels : 1).fill(1),
    };
    this.metadata = { ...inner.metadata, 'netlens.layerLayout': 'NCHW' };
  }

  get inputName(): string {
    return this.inner.inputName;
  }
  get outputs(): TensorInfo[] {
    return this.inner.outputs;
  }
  get outputName(): string {
    return this.inner.outputName;
  }
  get labels(): string[] | undefined {
    return this.inner.labels;
  }
  get outputKind(): 'probabilities' | 'logits' {
    return this.inner.outputKind;
  }

  /** 1-D feature maps shown as [N, C, 1, T]: only the strip has them (the grid lists no layers to find them). */
  private conv(): Promise<Set<string>> {
    this.convLayers ??=
      this.kind === 'strip'
        ? this.inner.layers().then(convFeatureLayers)
        : Promise.resolve(new Set<string>());
    return this.convLayers;
  }

  async layers(): Promise<LayerInfo[]> {
    const conv = await this.conv();
    return (await this.inner.layers()).map((l) =>
      conv.has(l.name) ? { ...l, shape: [l.shape[0], l.shape[1], 1, l.shape[2]] } : l,
    );
  }

  async featureLayer(): Promise<string> {
    const conv = await this.conv();
    const layers = (await this.inner.layers()).filter((l) => conv.has(l.name) && l.shape[2] > 1);
    const last = layers[layers.length - 1];
    if (!last) return this.inner.featureLayer();
    return last.name;
  }

  reductionLayer(): Promise<string> {
    return this.inner.reductionLayer();
  }

  async checkLayer(name: string): Promise<LayerInfo> {
    const info = await this.inner.checkLayer(name);
    return (await this.conv()).has(name)
      ? { ...info, shape: [info.shape[0], info.shape[1], 1, info.shape[2]] }
      : info;
  }

  private toModel(batch: TensorData): TensorData {
    const [, one, t, c] = batch.dims;
    if (batch.dims.length !== 4 || one !== 1 || t !== this.length || c !== this.channels) {
      throw new OptionError(
        'INVALID_INPUT',
        `expected a batch [N, 1, ${this.length}, ${this.channels}] of sequences, got [${batch.dims.join(', ')}]`,
      );
    }
    return toModelLayout(batch, this.layout);
  }

  private async viewOutputs(result: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const conv = await this.conv();
    const out: Record<string, TensorData> = {};
    for (const [name, value] of Object.entries(result))
      out[name] = conv.has(name) ? withUnitAxis(value) : value;
    return out;
  }

  predict(batch: TensorData, options?: BatchOptions): Promise<Prediction> {
    return this.inner.predict(this.toModel(batch), options);
  }

  async activations(batch: TensorData, layerNames: string[], options?: BatchOptions) {
    return this.viewOutputs(await this.inner.activations(this.toModel(batch), layerNames, options));
  }

  async run(batch: TensorData, outputNames: string[], options?: BatchOptions) {
    return this.viewOutputs(await this.inner.run(this.toModel(batch), outputNames, options));
  }

  async vjp(request: VjpRequest): Promise<VjpFunction> {
    const inner = await this.inner.vjp(request);
    const conv = await this.conv();
    return async (inputs, dY, options) => {
      const converted = isTensorData(inputs)
        ? this.toModel(inputs)
        : Object.fromEntries(
            Object.entries(inputs).map(([k, v]) => [k, k === this.inputName ? this.toModel(v) : v]),
          );
      const seed = conv.has(request.output) ? withoutUnitAxis(dY) : dY;
      const result = await inner(converted, seed, options);
      const grads = result.grads.map((g, i) => {
        const wrt = request.wrt[i];
        if (wrt === this.inputName) return fromModelLayout(g, this.layout);
        return conv.has(wrt) ? withUnitAxis(g) : g;
      });
      const output = conv.has(request.output) ? withUnitAxis(result.output) : result.output;
      return { output, grads };
    };
  }

  async forwardFrom(layer: string, activations: TensorData, options?: BatchOptions & { output?: string }) {
    const conv = await this.conv();
    return this.inner.forwardFrom(
      layer,
      conv.has(layer) ? withoutUnitAxis(activations) : activations,
      options,
    );
  }

  async linearHead(layer: string): Promise<LinearHead> {
    const source = this.inner as Partial<LinearHeadSource>;
    if (!source.linearHead) throw new OptionError('INVALID_INPUT', 'the model exposes no linear head');
    return source.linearHead(layer);
  }

  /** The wrapped model stays open: it belongs to the caller. */
  async dispose(): Promise<void> {}
}
