/**
 * Models below opset 11, upgraded in memory op by op to the opset-11 forms the rest of netlens emits and
 * reads: attributes that became inputs (Clip min/max, Pad pads/value, Slice starts/ends/axes/steps, TopK k),
 * Upsample and opset-10 Resize as opset-11 Resize with their old coordinate rules, and BatchNormalization
 * without its retired attributes. Ops whose form did not change are kept as they are; an op whose old form
 * has no opset-11 equivalent here is refused by name.
 */
import { UnsupportedError } from '../errors.js';
import {
  attrFloat,
  attrInts,
  attrString,
  cloneModel,
  floatTensor,
  getAttr,
  int64Tensor,
  makeAttr,
  opsetVersion,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto.js';

export const TARGET_OPSET = 11;

/** Ops whose signature changed between opset 1 and 11 in a way this module does not rewrite. */
const NO_EQUIVALENT = new Set(['Scan', 'Loop', 'If', 'Upsample_linear_align', 'Crop', 'ImageScaler']);

export interface UpgradeResult {
  model: ModelProto;
  from: number;
  /** Rewritten ops and how many of each. */
  rewritten: Record<string, number>;
}

/** `model` at opset 11 when it is older (a copy; the original is left alone), else undefined. */
export function upgradeOpset(model: ModelProto, source: string): UpgradeResult | undefined {
  const from = opsetVersion(model);
  if (from >= TARGET_OPSET) return undefined;
  const work = cloneModel(model);
  const graph = work.graph!;
  const added: TensorProto[] = [];
  const rewritten: Record<string, number> = {};
  let counter = 0;
  const constant = (t: TensorProto): string => {
    added.push(t);
    return t.name!;
  };
  const fresh = (hint: string) => `opset11_${hint}_${counter++}`;
  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    if (NO_EQUIVALENT.has(op)) {
      throw new UnsupportedError(
        'UNSUPPORTED_OP',
        `${source} is opset ${from}; its ${op} node '${node.name ?? ''}' has no opset-${TARGET_OPSET} form here (re-export it at opset ${TARGET_OPSET} or newer)`,
      );
    }
    const changed = rewriteNode(node, from, { constant, fresh });
    if (changed) rewritten[op] = (rewritten[op] ?? 0) + 1;
  }
  graph.initializer = [...(graph.initializer ?? []), ...added];
  for (const imp of work.opsetImport ?? []) {
    if (!imp.domain || imp.domain === 'ai.onnx') imp.version = TARGET_OPSET;
  }
  // Older IR versions require every initializer to be a graph input; opset 11 needs IR version 6 or newer.
  if (Number(work.irVersion ?? 0) < 6) work.irVersion = 6;
  return { model: work, from, rewritten };
}

interface Helpers {
  constant(t: TensorProto): string;
  fresh(hint: string): string;
}

function dropAttrs(node: NodeProto, names: readonly string[]): void {
  node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
}

function setAttr(node: NodeProto, name: string, value: string): void {
  dropAttrs(node, [name]);
  node.attribute = [...(node.attribute ?? []), makeAttr(name, value)];
}

/** Rewrites one node in place; true when its form changed. */
function rewriteNode(node: NodeProto, from: number, h: Helpers): boolean {
  const inputs = node.input ?? [];
  switch (node.opType) {
    case 'Clip': {
      if (getAttr(node, 'min') === undefined && getAttr(node, 'max') === undefined) return false;
      const min = attrFloat(node, 'min', -3.4028234663852886e38);
      const max = attrFloat(node, 'max', 3.4028234663852886e38);
      node.input = [
        inputs[0],
        h.constant(floatTensor(h.fresh('clip_min'), [], [min])),
        h.constant(floatTensor(h.fresh('clip_max'), [], [max])),
      ];
      dropAttrs(node, ['min', 'max']);
      return true;
    }
    case 'Pad': {
      const pads = attrInts(node, 'pads') ?? attrInts(node, 'paddings');
      if (!pads) return false;
      const value = attrFloat(node, 'value', 0);
      node.input = [
        inputs[0],
        h.constant(int64Tensor(h.fresh('pads'), [pads.length], pads)),
        h.constant(floatTensor(h.fresh('pad_value'), [], [value])),
      ];
      dropAttrs(node, ['pads', 'paddings', 'value']);
      return true;
    }
    case 'Slice': {
      const starts = attrInts(node, 'starts');
      const ends = attrInts(node, 'ends');
      if (!starts || !ends) return false;
      const axes = attrInts(node, 'axes') ?? starts.map((_, i) => i);
      node.input = [
        inputs[0],
        h.constant(int64Tensor(h.fresh('starts'), [starts.length], starts)),
        h.constant(int64Tensor(h.fresh('ends'), [ends.length], ends)),
        h.constant(int64Tensor(h.fresh('axes'), [axes.length], axes)),
      ];
      dropAttrs(node, ['starts', 'ends', 'axes']);
      return true;
    }
    case 'TopK': {
      const k = getAttr(node, 'k');
      if (typeof k !== 'number') return false;
      node.input = [inputs[0], h.constant(int64Tensor(h.fresh('k'), [1], [k]))];
      dropAttrs(node, ['k']);
      return true;
    }
    case 'Upsample':
    case 'Resize': {
      if (node.opType === 'Resize' && from >= 11) return false;
      const mode = attrString(node, 'mode', 'nearest');
      let scales = inputs[1];
      if (!scales) {
        const given = getAttr(node, 'scales');
        if (!Array.isArray(given)) return false;
        scales = h.constant(floatTensor(h.fresh('scales'), [given.length], given as number[]));
      }
      node.opType = 'Resize';
      node.input = [inputs[0], h.constant(floatTensor(h.fresh('roi'), [0], [])), scales];
      dropAttrs(node, ['scales', 'mode', 'coordinate_transformation_mode', 'nearest_mode']);
      // The old ops sample at x_in = x_out / scale ('asymmetric'), nearest rounding down.
      setAttr(node, 'mode', mode === 'bilinear' ? 'linear' : mode);
      setAttr(node, 'coordinate_transformation_mode', 'asymmetric');
      if (mode === 'nearest') setAttr(node, 'nearest_mode', 'floor');
      return true;
    }
    case 'BatchNormalization': {
      const retired = ['spatial', 'is_test', 'consumed_inputs'];
      if (!(node.attribute ?? []).some((a) => retired.includes(a.name ?? ''))) return false;
      dropAttrs(node, retired);
      return true;
    }
    default:
      if ((node.attribute ?? []).some((a) => a.name === 'consumed_inputs')) {
        dropAttrs(node, ['consumed_inputs']);
        return true;
      }
      return false;
  }
}

/** "upgraded in memory from opset 9 to 11 (Clip ×2)" for notes. */
export function describeUpgrade(result: UpgradeResult): string {
  const ops = Object.entries(result.rewritten).map(([op, n]) => `${op} ×${n}`);
  return (
    `opset ${result.from} model upgraded in memory to opset ${TARGET_OPSET}` +
    (ops.length ? ` (rewritten: ${ops.join(', ')})` : ' (no op needed a new form)')
  );
}
