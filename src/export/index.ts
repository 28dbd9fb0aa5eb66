/**
 * Explanation graphs: one ONNX model whose outputs are the model's own outputs, the explained class and the
 * explanation map, built from netlens's VJP graph plus the method's arithmetic in standard ONNX ops. Any ONNX
 * Runtime (Python, C++, mobile, browser) runs it without netlens.
 */
import { OptionError } from '../errors.js';
import type { ResizeMethod } from '../image/resample.js';
import type { ChannelReduction } from '../methods/attribution/common.js';
import type { IntegrationMethod } from '../methods/attribution/quadrature.js';
import type { OnnxModel } from '../model.js';
import { topologicalNodes } from '../onnx/graph.js';
import { makeValueInfo, type ModelProto } from '../onnx/proto.js';
import { EXPLAINED_CLASS_OUTPUT, TARGET_INPUT, exportContext, type ExportContext } from './context.js';
import { emitGradientCam } from './methods/grad-cam.js';
import { emitInputXGradient, emitRuleGradient } from './methods/gradient.js';
import { emitIntegratedGradients } from './methods/integrated-gradients.js';

export { EXPLAINED_CLASS_OUTPUT, TARGET_INPUT };
export { resampleMatrix } from './upsample-matrix.js';

/** Output name of the map ([N, H, W] at the model input's resolution). */
export const MAP_OUTPUT = 'explanation_map';

export interface ExportOptions {
  /** Take the class to explain as an int64 [N] input named `target` instead of the predicted class. */
  targetInput?: boolean;
  reductionLayer?: string;
  /** Gradient CAMs (gradcam, hirescam, layercam). */
  featureLayer?: string;
  outputUpsampling?: ResizeMethod;
  /** Gradient methods. */
  channelReduction?: ChannelReduction;
  /** Integrated gradients (fixed rule; the adaptive one needs control flow). */
  numSteps?: number;
  method?: IntegrationMethod;
  baseline?: 'black' | 'white';
}

type Emitter = (ctx: ExportContext, options: ExportOptions) => string | Promise<string>;

/** Methods whose maths fits in a graph, by their CLI command names. */
const EMITTERS: Record<string, Emitter> = {
  gradcam: (ctx, o) => emitGradientCam('gradcam', ctx, o),
  hirescam: (ctx, o) => emitGradientCam('hirescam', ctx, o),
  layercam: (ctx, o) => emitGradientCam('layercam', ctx, o),
  saliency: (ctx, o) => emitRuleGradient('gradient', ctx, o),
  'guided-backprop': (ctx, o) => emitRuleGradient('guided', ctx, o),
  deconvnet: (ctx, o) => emitRuleGradient('deconvnet', ctx, o),
  'input-x-gradient': emitInputXGradient,
  'integrated-gradients': emitIntegratedGradients,
};

export const EXPORTABLE_METHODS: readonly string[] = Object.keys(EMITTERS);

/** The explanation graph of `method` for `model`. */
export async function explanationGraph(
  model: OnnxModel,
  method: string,
  options: ExportOptions = {},
): Promise<ModelProto> {
  const emit = EMITTERS[method];
  if (!emit) {
    throw new OptionError(
      'INVALID_OPTION',
      `method '${method}' cannot be exported as a graph; exportable: ${EXPORTABLE_METHODS.join(', ')}`,
    );
  }
  const taken = new Set([...model.inputs, ...model.outputs].map((t) => t.name));
  for (const name of [MAP_OUTPUT, EXPLAINED_CLASS_OUTPUT, ...(options.targetInput ? [TARGET_INPUT] : [])]) {
    if (taken.has(name))
      throw new OptionError('INVALID_OPTION', `the model already has a tensor named '${name}'`);
  }
  const ctx = await exportContext(model, options);
  const map = await emit(ctx, options);
  const graph = ctx.graph.graph!;
  graph.node!.push(...ctx.ops.nodes, {
    opType: 'Identity',
    input: [map],
    output: [MAP_OUTPUT],
    name: MAP_OUTPUT,
  });
  graph.initializer!.push(...ctx.ops.initializers);
  graph.output!.push(makeValueInfo(MAP_OUTPUT, ['N', ctx.height, ctx.width]));
  // The seed feeds the appended gradient nodes: put every node after what it reads.
  graph.node = topologicalNodes(graph);
  const described = { method, ...options };
  ctx.graph.metadataProps = [
    ...(ctx.graph.metadataProps ?? []).filter((p) => p.key !== 'netlens.explanation'),
    { key: 'netlens.explanation', value: JSON.stringify(described) },
  ];
  return ctx.graph;
}
