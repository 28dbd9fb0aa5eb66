/**
 * What every exported method shares: the combined graph (a copy of the model), the class to explain as a
 * seed on the score tensor (the predicted class, or a `target` input), and the image geometry.
 */
import { buildVjpGraph } from '../autodiff/index.js';
import { TargetError, UnsupportedError } from '../errors.js';
import type { OnnxModel } from '../model.js';
import { inputLayout, layerLayoutOf } from '../onnx/metadata.js';
import { DataType, cloneModel, makeValueInfo, opsetVersion, type ModelProto } from '../onnx/proto.js';
import { appendVjp, type AppendedVjp } from './merge.js';
import { GraphOps } from './ops.js';
import type { BackpropRule } from '../types.js';

export const TARGET_INPUT = 'target';
export const EXPLAINED_CLASS_OUTPUT = 'explained_class';

export interface ExportContext {
  model: OnnxModel;
  graph: ModelProto;
  ops: GraphOps;
  shapes: Record<string, number[]>;
  /** The class-score tensor the seed sits on ([N, K]). */
  reduction: string;
  /** One-hot seed [N, K] of the class to explain. */
  seed: string;
  layout: 'NCHW' | 'NHWC';
  layerLayout: 'NCHW' | 'NHWC';
  channels: number;
  height: number;
  width: number;
  /** Appends the VJP of the score (seeded) with respect to `wrt`, fed by `input` in place of the model input. */
  vjp(wrt: string, input: string, seed: string, prefix: string, rule?: BackpropRule): AppendedVjp;
}

export async function exportContext(
  model: OnnxModel,
  options: { reductionLayer?: string; targetInput?: boolean },
): Promise<ExportContext> {
  const graph = cloneModel(model.proto);
  const opset = opsetVersion(graph);
  const ops = new GraphOps('netlens/', opset);
  const shapes = await model.tensorShapes();
  const reduction = options.reductionLayer ?? (await model.reductionLayer());
  const scoreShape = shapes[reduction];
  if (!scoreShape || scoreShape.length !== 2) {
    throw new TargetError(
      'INVALID_TARGET',
      `an explanation graph explains a class of a [N, K] score tensor; '${reduction}' has dims [${scoreShape?.join(', ') ?? '?'}]`,
    );
  }
  const classes = scoreShape[1];
  const inputShape = model.inputs.find((i) => i.name === model.inputName)?.shape ?? [];
  if (inputShape.length !== 4) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `an explanation graph needs an image input [N, C, H, W] or [N, H, W, C]`,
    );
  }
  const layout = inputLayout(model.inputSpec, inputShape);
  const itemDims = (shapes[model.inputName] ?? []).slice(1);
  const [channels, height, width] = layout === 'NCHW' ? itemDims : [itemDims[2], itemDims[0], itemDims[1]];

  let indices: string;
  if (options.targetInput) {
    graph.graph!.input!.push(makeValueInfo(TARGET_INPUT, ['N'], DataType.INT64));
    indices = TARGET_INPUT;
  } else {
    indices = ops.op('ArgMax', [reduction], { axis: 1, keepdims: 0 }, 'predicted_class');
  }
  const seed = ops.op(
    'OneHot',
    [indices, ops.ints([1], [classes], 'depth'), ops.floats([2], [0, 1], 'off_on')],
    {
      axis: -1,
    },
    'seed',
  );
  graph.graph!.output!.push(makeValueInfo(EXPLAINED_CLASS_OUTPUT, ['N'], DataType.INT64));
  graph.graph!.node!.push({
    opType: 'Identity',
    input: [indices],
    output: [EXPLAINED_CLASS_OUTPUT],
    name: EXPLAINED_CLASS_OUTPUT,
  });

  return {
    model,
    graph,
    ops,
    shapes,
    reduction,
    seed,
    layout,
    layerLayout: layerLayoutOf(model.metadata, layout),
    channels,
    height,
    width,
    vjp(wrt, input, seedTensor, prefix, rule = 'gradient') {
      const built = buildVjpGraph(model.proto, { output: reduction, wrt: [wrt], rule, shapes });
      return appendVjp(graph, built, {
        prefix,
        inputs: { [model.inputName]: input, [built.seedName]: seedTensor },
      });
    },
  };
}

/** Reduce the channel axis of an [N, C, H, W] or [N, H, W, C] attribution to an [N, H, W] map. */
export function emitChannelReduction(
  ctx: ExportContext,
  attribution: string,
  how: 'maxAbs' | 'sum' | 'sumAbs' | 'l2',
): string {
  const axis = ctx.layout === 'NCHW' ? 1 : 3;
  const { ops } = ctx;
  switch (how) {
    case 'maxAbs':
      return ops.reduce('ReduceMax', ops.op('Abs', [attribution]), [axis], false);
    case 'sum':
      return ops.reduce('ReduceSum', attribution, [axis], false);
    case 'sumAbs':
      return ops.reduce('ReduceSum', ops.op('Abs', [attribution]), [axis], false);
    case 'l2':
      return ops.op('Sqrt', [
        ops.reduce('ReduceSum', ops.op('Mul', [attribution, attribution]), [axis], false),
      ]);
  }
}
