/** A plain description of a model for `netlens info` and the report: I/O, labels, spec, layers. */
import { NetlensError } from '../errors.js';
import { formatOutputDescription } from '../onnx/output-kinds.js';
import type { InputSpec, LayerInfo, Model, OutputDescription, TensorInfo } from '../types.js';

export interface ModelDescription {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  inputName: string;
  outputName: string;
  outputKind: 'probabilities' | 'logits';
  labels: string[] | undefined;
  inputSpec: InputSpec | undefined;
  metadata: Record<string, string>;
  featureLayer: string | undefined;
  /** Why the feature layer was chosen (or why there is none). */
  featureLayerWhy?: string;
  reductionLayer: string;
  /** What each output is (kind, activation), main output first. */
  outputDescriptions?: readonly OutputDescription[];
  /** What was done to run the model (opset upgrade, float16 in float32, ...). */
  notes?: readonly string[];
  layers: (LayerInfo & { differentiable?: boolean; blockedBy?: string })[];
  /** Why the layer shapes are unknown (the input dims could not be fixed); layers then list names and ops. */
  shapesUnknown?: string;
}

/** Optional per-layer differentiability (for the output), supplied by models that can differentiate. */
interface Differentiable {
  differentiability?(output: string): Promise<Map<string, { ok: boolean; blockedBy?: string }>>;
  featureLayerChoice?(): Promise<{ name: string; why: string }>;
  /** Layers from the graph alone, for when shapes cannot be found. */
  layersWithoutShapes?(): LayerInfo[];
}

export async function describeModel(model: Model & Differentiable): Promise<ModelDescription> {
  let layers: LayerInfo[];
  let shapesUnknown: string | undefined;
  try {
    layers = await model.layers();
  } catch (err) {
    // Inputs, outputs and ops do not need shapes: show them and say what would fix the rest.
    if (!model.layersWithoutShapes || !(err instanceof NetlensError)) throw err;
    layers = model.layersWithoutShapes();
    shapesUnknown = err.message;
  }
  let featureLayer: string | undefined;
  let featureLayerWhy: string | undefined;
  try {
    if (model.featureLayerChoice) {
      ({ name: featureLayer, why: featureLayerWhy } = await model.featureLayerChoice());
    } else {
      featureLayer = await model.featureLayer();
    }
  } catch (err) {
    featureLayer = undefined; // not every model has a spatial layer (sequences, tables)
    featureLayerWhy = shapesUnknown
      ? 'needs the layer shapes'
      : err instanceof Error
        ? err.message
        : undefined;
  }
  const reductionLayer = await model.reductionLayer();
  const diff = model.differentiability ? await model.differentiability(model.outputName) : undefined;
  return {
    inputs: model.inputs,
    outputs: model.outputs,
    inputName: model.inputName,
    outputName: model.outputName,
    outputKind: model.outputKind,
    labels: model.labels,
    inputSpec: model.inputSpec,
    metadata: model.metadata,
    featureLayer,
    ...(featureLayerWhy ? { featureLayerWhy } : {}),
    reductionLayer,
    ...(model.outputDescriptions ? { outputDescriptions: model.outputDescriptions } : {}),
    ...(model.notes && model.notes.length > 0 ? { notes: model.notes } : {}),
    ...(shapesUnknown ? { shapesUnknown } : {}),
    layers: layers.map((l) => {
      const d = diff?.get(l.name);
      return d ? { ...l, differentiable: d.ok, ...(d.blockedBy ? { blockedBy: d.blockedBy } : {}) } : l;
    }),
  };
}

function shape(dims: readonly (number | string)[]): string {
  return `[${dims.join(', ')}]`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function formatModelDescription(d: ModelDescription): string {
  const lines: string[] = [];
  lines.push('Inputs:');
  for (const t of d.inputs) {
    const role =
      t.name === d.inputName ? '  (main: the input explained)' : '  (held fixed; give it with --input)';
    lines.push(`  ${t.name}  ${t.elemType} ${shape(t.shape)}${role}`);
  }
  lines.push('Outputs:');
  for (const t of d.outputs) {
    const described = d.outputDescriptions?.find((o) => o.name === t.name);
    const main = t.name === d.outputName ? `main, ${d.outputKind}` : '';
    const kind = described ? formatOutputDescription(described) : '';
    const notes = [main, kind].filter(Boolean).join('; ');
    lines.push(`  ${t.name}  ${t.elemType} ${shape(t.shape)}${notes ? `  (${notes})` : ''}`);
  }
  for (const note of d.notes ?? []) lines.push(`Note: ${note}`);
  if (d.inputSpec) {
    const s = d.inputSpec;
    lines.push(
      `Input spec: ${s.height}x${s.width}x${s.channels} ${s.layout} ${s.channelOrder}, scale ${s.scale}, mean [${s.mean.join(', ')}], std [${s.std.join(', ')}]`,
    );
  } else {
    lines.push('Input spec: none (not an image model, or give --input-size/--mean/--std)');
  }
  lines.push(d.labels ? `Labels (${d.labels.length}): ${d.labels.join(', ')}` : 'Labels: none');
  const meta = Object.entries(d.metadata).filter(([k]) => k !== 'netlens.labels' && k !== 'netlens.input');
  if (meta.length > 0) {
    lines.push('Metadata:');
    for (const [k, v] of meta) lines.push(`  ${k}: ${v.length > 100 ? `${v.slice(0, 97)}...` : v}`);
  }
  lines.push(
    `Feature layer (CAM default): ${d.featureLayer ?? 'none'}${d.featureLayerWhy ? ` (${d.featureLayerWhy})` : ''}`,
  );
  lines.push(`Reduction layer (what gradient methods explain): ${d.reductionLayer}`);
  if (d.shapesUnknown) lines.push(`Shapes: unknown (${d.shapesUnknown})`);
  const hasDiff = d.layers.some((l) => l.differentiable !== undefined);
  const header = ['#', 'layer', 'op', 'shape', ...(hasDiff ? ['differentiable'] : [])];
  const rows = d.layers.map((l) => [
    String(l.index),
    l.name,
    l.opType,
    d.shapesUnknown && l.shape.length === 0 ? '?' : shape(l.shape),
    ...(hasDiff
      ? [l.differentiable === undefined ? '' : l.differentiable ? 'yes' : `no (${l.blockedBy ?? ''})`]
      : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  lines.push(`Layers (${d.layers.length}):`);
  lines.push(`  ${header.map((h, i) => pad(h, widths[i])).join('  ')}`);
  for (const r of rows) lines.push(`  ${r.map((c, i) => pad(c, widths[i])).join('  ')}`);
  return `${lines.join('\n')}\n`;
}
