/**
 * Class targets shared by every method: which output channel an explanation is about.
 *
 * A target is a class index (0-based) or a class name (matched case-insensitively against
 * `model.labels`); a list gives one target per image (or one for all); leaving it out means the
 * predicted class of each image.
 */
import { TargetError } from '../errors.js';
import { closestNames } from '../errors.js';
import type { Model, OutputDescription, TensorData } from '../types.js';

export type ClassTarget = number | string;
/** One target for all images, one per image, or undefined for the predicted class of each image. */
export type TargetOption = ClassTarget | readonly ClassTarget[] | undefined;

/** Number of classes of the main output: labels, else the last dim of the output shape. */
export function classCount(model: Pick<Model, 'labels' | 'outputs' | 'outputName'>): number | undefined {
  if (model.labels && model.labels.length > 0) return model.labels.length;
  const output = model.outputs.find((o) => o.name === model.outputName) ?? model.outputs[0];
  const last = output?.shape[output.shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/** Resolves one class index or name to a 0-based index in [0, numClasses). */
export function resolveClass(
  model: Pick<Model, 'labels'>,
  target: ClassTarget,
  numClasses: number | undefined,
): number {
  const labels = model.labels;
  if (typeof target === 'string') {
    const wanted = target.trim().toLowerCase();
    const found = labels?.findIndex((label) => label.toLowerCase() === wanted) ?? -1;
    if (found >= 0) return found;
    // A numeric string (as typed on a command line) is an index when no label matches it.
    if (/^\d+$/.test(wanted)) return resolveClass(model, Number(wanted), numClasses);
    if (!labels || labels.length === 0) {
      throw new TargetError(
        'INVALID_TARGET',
        `class "${target}" cannot be looked up by name: the model has no labels; give a class index` +
          (numClasses ? ` 0..${numClasses - 1}` : ''),
      );
    }
    throw new TargetError(
      'INVALID_TARGET',
      `unknown class "${target}": did you mean ${closestNames(target, labels)
        .map((n) => `"${n}"`)
        .join(', ')}?`,
    );
  }
  if (!Number.isInteger(target) || target < 0 || (numClasses !== undefined && target >= numClasses)) {
    const range =
      numClasses !== undefined ? `0..${numClasses - 1} (${numClasses} classes)` : 'a non-negative integer';
    throw new TargetError(
      'INVALID_TARGET',
      `class index ${String(target)} is out of range: expected ${range}`,
    );
  }
  return target;
}

/** Index of the largest entry of each row of a [N, C] score tensor. */
export function argmaxRows(scores: TensorData): number[] {
  const n = scores.dims[0];
  const c = scores.data.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (scores.data[i * c + j] > scores.data[i * c + best]) best = j;
    out.push(best);
  }
  return out;
}

/** The target option for image `index` of a batch: one target for all, or the image's own from a list. */
export function targetOfImage(target: TargetOption, index: number): TargetOption {
  if (target === undefined || !Array.isArray(target)) return target;
  const list = target as readonly ClassTarget[];
  return list[list.length === 1 ? 0 : index];
}

/**
 * One class index per image. `scores` ([N, C], the model output for the unmodified batch) supplies the
 * predicted classes when `target` is left out and the class count when the model declares none.
 */
export function resolveTargets(
  model: Pick<Model, 'labels' | 'outputs' | 'outputName'>,
  target: TargetOption,
  batchSize: number,
  scores?: TensorData,
): number[] {
  const numClasses = scores ? scores.data.length / scores.dims[0] : classCount(model);
  if (target === undefined) {
    if (!scores)
      throw new TargetError('INVALID_TARGET', 'no target given and no scores to pick the predicted class');
    return argmaxRows(scores);
  }
  const list = Array.isArray(target) ? (target as readonly ClassTarget[]) : [target as ClassTarget];
  if (list.length !== 1 && list.length !== batchSize) {
    throw new TargetError(
      'INVALID_TARGET',
      `expected one target or one per image (${batchSize}), got a list of ${list.length}`,
    );
  }
  const resolved = list.map((t) => resolveClass(model, t, numClasses));
  return resolved.length === 1 ? new Array<number>(batchSize).fill(resolved[0]) : resolved;
}

// -----------------------------------------------------------------------------------------------------------
// General targets for gradient methods: every target becomes a linear seed dY on one tensor, so the explained
// quantity is f(x) = <tensor(x), dY> and its gradient is one vector-Jacobian product.

/** Several classes at once: one explanation per image and class (K = classes.length per image). */
export interface ClassesTarget {
  kind: 'classes';
  classes: readonly ClassTarget[];
}

/**
 * Segmentation region (MATLAB's `reductionFcn` idea): the sum of a class's scores over a pixel mask of a
 * [N, C, H, W] score tensor. `class` defaults to the most frequent predicted class other than one labelled
 * 'background'; `mask` ([H, W] for every image or [N, H, W], non-zero = inside) defaults to the pixels
 * predicted as that class.
 */
export interface RegionTarget {
  kind: 'region';
  class?: ClassTarget | readonly ClassTarget[];
  mask?: TensorData | 'predicted';
  /** Inclusive box [x0, y0, x1, y1] in map pixels: the mask is the box (instead of `mask`). */
  box?: readonly number[];
}

/**
 * Sequence of class scores [N, T, K] (CTC, tagging): the class's score summed over a time step or an inclusive
 * span [first, last] of steps. `class` defaults to the class predicted at each step.
 */
export interface StepTarget {
  kind: 'step';
  step: number | readonly [number, number];
  class?: ClassTarget;
}

/** Regression: element `index` (default 0) of each item's score tensor. */
export interface OutputTarget {
  kind: 'output';
  index?: number;
}

/** One element of any tensor, `index` without the batch axis (e.g. [channel, row, col]). */
export interface ElementTarget {
  kind: 'element';
  tensor: string;
  index: readonly number[];
}

/** The mean of one or more channels of any tensor (channel axis `axis`, default 1), over all other axes. */
export interface ChannelTarget {
  kind: 'channel';
  tensor: string;
  channels: number | readonly number[];
  axis?: number;
}

/** An explicit seed: `seeds` is [N·K, ...item dims of `tensor`], item n·K + k for image n. */
export interface SeedTarget {
  kind: 'seed';
  tensor: string;
  seeds: TensorData;
  perImage?: number;
  descriptions?: readonly string[];
}

export type Target =
  | TargetOption
  | ClassesTarget
  | RegionTarget
  | StepTarget
  | OutputTarget
  | ElementTarget
  | ChannelTarget
  | SeedTarget;

/** What target resolution reads from a model: labels, outputs and (where known) what each output is. */
export type TargetModel = Pick<Model, 'labels' | 'outputs' | 'outputName'> &
  Partial<Pick<Model, 'outputDescriptions'>>;

/** A target resolved for one batch: seeds for K explanations per image. */
export interface ResolvedTarget {
  /** The tensor the seed applies to. */
  tensor: string;
  /** Explanations per image (K); item n·K + k belongs to image n. */
  perImage: number;
  /** [N·K, ...item dims of `tensor`]. */
  seeds: TensorData;
  /** Class index per item where the target is a class (or a region of a class). */
  classes: (number | undefined)[];
  /** Human-readable description per item, e.g. "class 3 (dress)". */
  descriptions: string[];
  /** The explained value f(x) = <tensor(x), seed> per item. */
  scores: number[];
}

export function isObjectTarget(
  target: Target,
): target is
  ClassesTarget | RegionTarget | StepTarget | OutputTarget | ElementTarget | ChannelTarget | SeedTarget {
  return typeof target === 'object' && target !== null && !Array.isArray(target) && 'kind' in target;
}

/** The tensor a target seeds: its own tensor, else `scoreTensor` (the method's reduction layer). */
export function targetTensor(target: Target, scoreTensor: string): string {
  if (isObjectTarget(target) && 'tensor' in target) return target.tensor;
  return scoreTensor;
}

/**
 * How a gradient run can resolve `target` on `tensor` by itself, without running the batch first (the VJP
 * recomputes the forward pass and returns the tensor): 'scores' where the seeds follow from the item dims alone
 * (class indices or names on a [N, C] score tensor, explicit seeds, fixed elements or channels) and only the
 * explained values are read from the run;
 * 'top-class' for the predicted class on a [N, C] score tensor (a VJP that seeds itself with the top class);
 * undefined otherwise.
 */
export function selfResolvingTarget(
  model: TargetModel,
  target: Target,
  tensor: string,
  itemDims: readonly number[],
): 'scores' | 'top-class' | undefined {
  if (isObjectTarget(target)) {
    // Explicit seeds (noisy copies, path points) and fixed elements or channels are known beforehand.
    if (['seed', 'output', 'element', 'channel'].includes(target.kind)) return 'scores';
    return target.kind === 'classes' && itemDims.length === 1 ? 'scores' : undefined;
  }
  if (itemDims.length !== 1 || describedAs(model, tensor)?.kind === 'sequence') return undefined;
  return target === undefined ? 'top-class' : 'scores';
}

function describeClass(model: Pick<Model, 'labels'>, cls: number): string {
  const label = model.labels?.[cls];
  return label !== undefined ? `class ${cls} (${label})` : `class ${cls}`;
}

/** Resolves `target` on `value`, the batch's value of `targetTensor(target, ...)`. */
export function resolveTarget(
  model: TargetModel,
  target: Target,
  tensor: string,
  value: TensorData,
): ResolvedTarget {
  const n = value.dims[0];
  const itemDims = value.dims.slice(1);
  const size = itemDims.reduce((a, b) => a * b, 1);
  if (!(n >= 1) || size < 1) {
    throw new TargetError(
      'INVALID_TARGET',
      `tensor '${tensor}' has dims [${value.dims}]: nothing to explain`,
    );
  }
  let resolved: Omit<ResolvedTarget, 'scores'>;
  const described = describedAs(model, tensor);
  if (!isObjectTarget(target)) {
    if (described?.kind === 'sequence' || (!described && itemDims.length === 2)) {
      resolved =
        target === undefined
          ? decodedSeeds(model, tensor, value, described?.decoding === 'ctc' ? (described.blank ?? 0) : -1)
          : stepSeeds(
              model,
              { kind: 'step', step: [0, itemDims[0] - 1], class: singleClass(target) },
              tensor,
              value,
            );
    } else {
      resolved =
        itemDims.length > 1
          ? regionSeeds(model, { kind: 'region', class: target }, tensor, value)
          : classSeeds(model, tensor, value, resolveTargets(model, target, n, value), 1);
    }
  } else {
    switch (target.kind) {
      case 'classes': {
        if (itemDims.length > 1) {
          throw new TargetError(
            'INVALID_TARGET',
            `'classes' needs a [N, classes] score tensor; '${tensor}' is [${value.dims}] (use 'region')`,
          );
        }
        if (target.classes.length === 0)
          throw new TargetError('INVALID_TARGET', "'classes' needs at least one class");
        const per = target.classes.map((c) => resolveClass(model, c, size));
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(...per);
        resolved = classSeeds(model, tensor, value, list, per.length);
        break;
      }
      case 'region':
        resolved = regionSeeds(model, target, tensor, value);
        break;
      case 'step':
        resolved = stepSeeds(model, target, tensor, value);
        break;
      case 'output':
        resolved = outputSeeds(target, tensor, value);
        break;
      case 'element':
        resolved = elementSeeds(target, value);
        break;
      case 'channel':
        resolved = channelSeeds(target, value);
        break;
      case 'seed':
        resolved = explicitSeeds(target, value);
        break;
      default:
        throw new TargetError('INVALID_TARGET', `unknown target kind ${JSON.stringify(target)}`);
    }
  }
  const scores: number[] = [];
  const k = resolved.perImage;
  for (let item = 0; item < n * k; item++) {
    const img = Math.floor(item / k);
    let s = 0;
    for (let i = 0; i < size; i++) s += value.data[img * size + i] * resolved.seeds.data[item * size + i];
    scores.push(s);
  }
  return { ...resolved, scores };
}

/** One-hot seeds for classes on a [N, C] tensor; `classes` has N·K entries. */
function classSeeds(
  model: Pick<Model, 'labels'>,
  tensor: string,
  value: TensorData,
  classes: number[],
  perImage: number,
): Omit<ResolvedTarget, 'scores'> {
  const c = value.dims[1];
  const seeds = new Float32Array(classes.length * c);
  classes.forEach((cls, item) => (seeds[item * c + cls] = 1));
  return {
    tensor,
    perImage,
    seeds: { data: seeds, dims: [classes.length, c] },
    classes,
    descriptions: classes.map((cls) => describeClass(model, cls)),
  };
}

function regionSeeds(
  model: Pick<Model, 'labels'> & Partial<Pick<Model, 'outputDescriptions'>>,
  target: RegionTarget,
  tensor: string,
  value: TensorData,
): Omit<ResolvedTarget, 'scores'> {
  if (value.dims.length !== 4) {
    throw new TargetError(
      'INVALID_TARGET',
      `a region target needs a [N, classes, H, W] score tensor; '${tensor}' is [${value.dims}]`,
    );
  }
  const [n, numClasses, h, w] = value.dims;
  const plane = h * w;
  const predicted = new Int32Array(n * plane);
  // One channel (a sigmoid map): the foreground is where the probability exceeds 1/2 (the logit 0); the rest
  // is background, numbered -1 so that the region's class is channel 0.
  const threshold = numClasses === 1 ? foregroundThreshold(model, tensor) : 0;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < plane; p++) {
      if (numClasses === 1) {
        predicted[i * plane + p] = value.data[i * plane + p] > threshold ? 0 : -1;
        continue;
      }
      let best = 0;
      for (let c = 1; c < numClasses; c++) {
        if (value.data[(i * numClasses + c) * plane + p] > value.data[(i * numClasses + best) * plane + p])
          best = c;
      }
      predicted[i * plane + p] = best;
    }
  }
  const list =
    target.class === undefined ? undefined : Array.isArray(target.class) ? target.class : [target.class];
  if (list && list.length !== 1 && list.length !== n) {
    throw new TargetError(
      'INVALID_TARGET',
      `expected one region class or one per image (${n}), got ${list.length}`,
    );
  }
  const background = model.labels?.findIndex((l) => l.toLowerCase() === 'background') ?? -1;
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (list) {
      classes.push(resolveClass(model, list.length === 1 ? list[0] : list[i], numClasses));
      continue;
    }
    const counts = new Array<number>(numClasses).fill(0);
    for (let p = 0; p < plane; p++) if (predicted[i * plane + p] >= 0) counts[predicted[i * plane + p]]++;
    let best = -1;
    for (let c = 0; c < numClasses; c++) {
      if (c === background || counts[c] === 0) continue;
      if (best < 0 || counts[c] > counts[best]) best = c;
    }
    if (best < 0) {
      throw new TargetError(
        'INVALID_TARGET',
        `image ${i}: every pixel is predicted as background; give the region's class`,
      );
    }
    classes.push(best);
  }
  const seeds = new Float32Array(n * numClasses * plane);
  const mask = target.box ? boxMask(h, w, target.box) : (target.mask ?? 'predicted');
  if (mask !== 'predicted') {
    const md = mask.dims;
    const ok = mask.data.length === plane || mask.data.length === n * plane;
    if (!ok || md[md.length - 1] !== w || md[md.length - 2] !== h) {
      throw new TargetError(
        'INVALID_TARGET',
        `region mask must be [${h}, ${w}] or [${n}, ${h}, ${w}], got [${md}]`,
      );
    }
  }
  const pixels: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = classes[i];
    let count = 0;
    for (let p = 0; p < plane; p++) {
      const inside =
        mask === 'predicted'
          ? predicted[i * plane + p] === cls
          : mask.data[mask.data.length === plane ? p : i * plane + p] !== 0;
      if (inside) {
        seeds[(i * numClasses + cls) * plane + p] = 1;
        count++;
      }
    }
    if (count === 0) {
      throw new TargetError(
        'INVALID_TARGET',
        `image ${i}: the region of ${describeClass(model, cls)} is empty` +
          (mask === 'predicted' ? ' (no pixel is predicted as that class); give a mask' : ''),
      );
    }
    pixels.push(count);
  }
  return {
    tensor,
    perImage: 1,
    seeds: { data: seeds, dims: [...value.dims] },
    classes,
    descriptions: classes.map((cls, i) => `${describeClass(model, cls)}, ${pixels[i]} pixels`),
  };
}

/** The description of the output `tensor` is, or whose final activation reads `tensor`. */
function describedAs(
  model: Partial<Pick<Model, 'outputDescriptions'>>,
  tensor: string,
): OutputDescription | undefined {
  return model.outputDescriptions?.find((d) => d.name === tensor || d.logits === tensor);
}

/** Foreground threshold of a one-channel map: 1/2 on a sigmoid's output, 0 on its logits. */
function foregroundThreshold(model: Partial<Pick<Model, 'outputDescriptions'>>, tensor: string): number {
  const d = describedAs(model, tensor);
  return d && d.name === tensor && d.activation === 'sigmoid' ? 0.5 : 0;
}

function singleClass(target: TargetOption): ClassTarget | undefined {
  if (target === undefined || !Array.isArray(target)) return target as ClassTarget | undefined;
  const list = target as readonly ClassTarget[];
  if (list.length !== 1) {
    throw new TargetError(
      'INVALID_TARGET',
      `a sequence output takes one class (with a time step: the step target), got a list of ${list.length}`,
    );
  }
  return list[0];
}

function argmaxAt(value: TensorData, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (value.data[offset + c] > value.data[offset + best]) best = c;
  return best;
}

function checkSequence(tensor: string, value: TensorData): [number, number, number] {
  if (value.dims.length !== 3) {
    throw new TargetError(
      'INVALID_TARGET',
      `a time-step target needs a [N, steps, classes] score tensor; '${tensor}' is [${value.dims}]`,
    );
  }
  return value.dims as [number, number, number];
}

/** The class at each step of a span (given, or each step's predicted class), summed. */
function stepSeeds(
  model: TargetModel,
  target: StepTarget,
  tensor: string,
  value: TensorData,
): Omit<ResolvedTarget, 'scores'> {
  const [n, steps, k] = checkSequence(tensor, value);
  const [first, last] = typeof target.step === 'number' ? [target.step, target.step] : target.step;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last >= steps) {
    throw new TargetError(
      'INVALID_TARGET',
      `time step ${first === last ? first : `${first}-${last}`} is out of range 0..${steps - 1} of '${tensor}'`,
    );
  }
  const cls = target.class === undefined ? undefined : resolveClass(model, target.class, k);
  const seeds = new Float32Array(n * steps * k);
  const classes: (number | undefined)[] = [];
  const descriptions: string[] = [];
  const span = first === last ? `step ${first}` : `steps ${first}-${last}`;
  for (let i = 0; i < n; i++) {
    const chosen = new Set<number>();
    for (let t = first; t <= last; t++) {
      const c = cls ?? argmaxAt(value, (i * steps + t) * k, k);
      seeds[(i * steps + t) * k + c] = 1;
      chosen.add(c);
    }
    classes.push(chosen.size === 1 ? [...chosen][0] : undefined);
    descriptions.push(
      cls !== undefined ? `${describeClass(model, cls)} at ${span}` : `the predicted class at ${span}`,
    );
  }
  return { tensor, perImage: 1, seeds: { data: seeds, dims: [...value.dims] }, classes, descriptions };
}

/**
 * The default target of a sequence: the decoded sequence, i.e. each step's predicted class summed over the steps
 * that are not the CTC blank (`blank` -1: every step).
 */
function decodedSeeds(
  model: TargetModel,
  tensor: string,
  value: TensorData,
  blank: number,
): Omit<ResolvedTarget, 'scores'> {
  const [n, steps, k] = checkSequence(tensor, value);
  const seeds = new Float32Array(n * steps * k);
  const descriptions: string[] = [];
  for (let i = 0; i < n; i++) {
    const path: number[] = [];
    for (let t = 0; t < steps; t++) path.push(argmaxAt(value, (i * steps + t) * k, k));
    const used = path.map((c, t) => [c, t]).filter(([c]) => c !== blank);
    if (used.length === 0) {
      throw new TargetError(
        'INVALID_TARGET',
        `image ${i}: every step of '${tensor}' is predicted as the blank; give a step and a class`,
      );
    }
    for (const [c, t] of used) seeds[(i * steps + t) * k + c] = 1;
    const text = decodeGreedy(path, blank, model.labels);
    descriptions.push(`the decoded sequence "${text}" (${used.length} of ${steps} steps)`);
  }
  return {
    tensor,
    perImage: 1,
    seeds: { data: seeds, dims: [...value.dims] },
    classes: new Array(n).fill(undefined),
    descriptions,
  };
}

/**
 * Greedy decoding of a path of classes: with a CTC `blank` (>= 0), repeats collapse and blanks drop; with -1
 * every step's class is kept. Labels join without a separator when each is one character.
 */
export function decodeGreedy(path: readonly number[], blank: number, labels?: readonly string[]): string {
  const out: number[] = [];
  let previous = -1;
  for (const c of path) {
    if (blank < 0) out.push(c);
    else if (c !== blank && c !== previous) out.push(c);
    previous = c;
  }
  const names = out.map((c) => labels?.[c] ?? String(c));
  return names.join(names.every((s) => s.length === 1) ? '' : ' ');
}

/** A [H, W] mask that is 1 inside the inclusive box [x0, y0, x1, y1] (pixel coordinates of the map). */
export function boxMask(height: number, width: number, box: readonly number[]): TensorData {
  const [x0, y0, x1, y1] = box;
  if (
    box.length !== 4 ||
    !box.every(Number.isInteger) ||
    x0 < 0 ||
    y0 < 0 ||
    x1 >= width ||
    y1 >= height ||
    x1 < x0 ||
    y1 < y0
  ) {
    throw new TargetError(
      'INVALID_TARGET',
      `box [${box.join(', ')}] must be x0,y0,x1,y1 integers inside the ${width}×${height} map with x0 <= x1, y0 <= y1`,
    );
  }
  const data = new Float32Array(height * width);
  for (let y = y0; y <= y1; y++) data.fill(1, y * width + x0, y * width + x1 + 1);
  return { data, dims: [height, width] };
}

function outputSeeds(
  target: OutputTarget,
  tensor: string,
  value: TensorData,
): Omit<ResolvedTarget, 'scores'> {
  const n = value.dims[0];
  const size = value.data.length / n;
  const index = target.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new TargetError('INVALID_TARGET', `output index ${index} is out of range 0..${size - 1}`);
  }
  const seeds = new Float32Array(n * size);
  for (let i = 0; i < n; i++) seeds[i * size + index] = 1;
  return {
    tensor,
    perImage: 1,
    seeds: { data: seeds, dims: [...value.dims] },
    classes: new Array(n).fill(undefined),
    descriptions: new Array(n).fill(`output ${index}`),
  };
}

function elementSeeds(target: ElementTarget, value: TensorData): Omit<ResolvedTarget, 'scores'> {
  const itemDims = value.dims.slice(1);
  const n = value.dims[0];
  if (
    target.index.length !== itemDims.length ||
    target.index.some((v, i) => !Number.isInteger(v) || v < 0 || v >= itemDims[i])
  ) {
    throw new TargetError(
      'INVALID_TARGET',
      `element index [${target.index}] does not fit tensor '${target.tensor}' item dims [${itemDims}]`,
    );
  }
  let flat = 0;
  for (let i = 0; i < itemDims.length; i++) flat = flat * itemDims[i] + target.index[i];
  const size = value.data.length / n;
  const seeds = new Float32Array(n * size);
  for (let i = 0; i < n; i++) seeds[i * size + flat] = 1;
  return {
    tensor: target.tensor,
    perImage: 1,
    seeds: { data: seeds, dims: [...value.dims] },
    classes: new Array(n).fill(undefined),
    descriptions: new Array(n).fill(`${target.tensor}[${target.index.join(', ')}]`),
  };
}

function channelSeeds(target: ChannelTarget, value: TensorData): Omit<ResolvedTarget, 'scores'> {
  const axis = target.axis ?? 1;
  const dims = value.dims;
  if (!Number.isInteger(axis) || axis < 1 || axis >= dims.length) {
    throw new TargetError('INVALID_TARGET', `channel axis ${axis} does not fit tensor dims [${dims}]`);
  }
  const channels = typeof target.channels === 'number' ? [target.channels] : [...target.channels];
  const count = dims[axis];
  if (channels.length === 0 || channels.some((c) => !Number.isInteger(c) || c < 0 || c >= count)) {
    throw new TargetError(
      'INVALID_TARGET',
      `channels [${channels}] are out of range 0..${count - 1} of tensor '${target.tensor}'`,
    );
  }
  const chosen = new Set(channels);
  const n = dims[0];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(1, axis).reduce((a, b) => a * b, 1);
  const size = value.data.length / n;
  // Mean over the chosen channels and every other non-batch axis.
  const weight = 1 / (chosen.size * inner * outer);
  const seeds = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outer; o++) {
      for (const c of chosen) {
        const start = i * size + (o * count + c) * inner;
        seeds.fill(weight, start, start + inner);
      }
    }
  }
  return {
    tensor: target.tensor,
    perImage: 1,
    seeds: { data: seeds, dims: [...dims] },
    classes: new Array(n).fill(undefined),
    descriptions: new Array(n).fill(`mean of ${target.tensor} channels ${channels.join(', ')}`),
  };
}

function explicitSeeds(target: SeedTarget, value: TensorData): Omit<ResolvedTarget, 'scores'> {
  const n = value.dims[0];
  const k = target.perImage ?? 1;
  const itemDims = value.dims.slice(1);
  const s = target.seeds;
  if (
    !Number.isInteger(k) ||
    k < 1 ||
    s.dims.length !== value.dims.length ||
    s.dims[0] !== n * k ||
    s.dims.slice(1).some((d, i) => d !== itemDims[i]) ||
    s.data.length !== n * k * itemDims.reduce((a, b) => a * b, 1)
  ) {
    throw new TargetError(
      'INVALID_TARGET',
      `seed for '${target.tensor}' must be [${n * k}, ${itemDims.join(', ')}], got [${s.dims}]`,
    );
  }
  return {
    tensor: target.tensor,
    perImage: k,
    seeds: s,
    classes: new Array(n * k).fill(undefined),
    descriptions: target.descriptions
      ? [...target.descriptions]
      : new Array(n * k).fill(`seed on ${target.tensor}`),
  };
}

/** A resolved target as an explicit seed target whose every image is repeated `times` times (noisy copies, path points). */
export function repeatTarget(resolved: ResolvedTarget, times: number): SeedTarget {
  const k = resolved.perImage;
  const size = resolved.seeds.data.length / resolved.seeds.dims[0];
  const images = resolved.seeds.dims[0] / k;
  const data = new Float32Array(images * times * k * size);
  for (let i = 0; i < images; i++) {
    const block = resolved.seeds.data.subarray(i * k * size, (i + 1) * k * size);
    for (let r = 0; r < times; r++) data.set(block, (i * times + r) * k * size);
  }
  const descriptions: string[] = [];
  for (let i = 0; i < images; i++)
    for (let r = 0; r < times; r++) descriptions.push(...resolved.descriptions.slice(i * k, (i + 1) * k));
  return {
    kind: 'seed',
    tensor: resolved.tensor,
    seeds: { data, dims: [images * times * k, ...resolved.seeds.dims.slice(1)] },
    perImage: k,
    descriptions,
  };
}
