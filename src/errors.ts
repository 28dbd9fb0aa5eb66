/**
 * Typed errors. Every failure a user can cause surfaces as a `NetlensError` with a stable `code`
 * and a one-line message saying what was expected and what was found.
 */
export type NetlensErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'INVALID_MODEL'
  | 'INVALID_IMAGE'
  | 'INVALID_AUDIO'
  | 'AUDIO_TOO_LONG'
  | 'UNSUPPORTED_AUDIO'
  | 'IMAGE_TOO_LARGE'
  | 'INVALID_INPUT'
  | 'INVALID_OPTION'
  | 'UNKNOWN_LAYER'
  | 'UNKNOWN_TENSOR'
  | 'INVALID_TARGET'
  | 'UNSUPPORTED_MODEL'
  | 'UNSUPPORTED_OP'
  | 'UNSUPPORTED_LAYER'
  | 'NOT_IMPLEMENTED'
  | 'RUNTIME_ERROR'
  | 'OUTPUT_ERROR';

export class NetlensError extends Error {
  readonly code: NetlensErrorCode;
  constructor(code: NetlensErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A path that does not exist or is not a regular file. */
export class FileError extends NetlensError {}
/** Bytes that are not a usable ONNX / TF.js model. */
export class ModelError extends NetlensError {}
/** Image decoding, channel count or size problems. */
export class ImageError extends NetlensError {}
/** WAV reading problems: not a WAV file, truncated, empty, too long, an encoding netlens does not read. */
export class AudioError extends NetlensError {}
/** A user-supplied option or argument out of its domain. */
export class OptionError extends NetlensError {}
/** A layer or tensor name that the model does not have. */
export class LayerError extends NetlensError {}
/** A class index / name / region that is not valid for the model. */
export class TargetError extends NetlensError {}
/** An op or layer type that netlens cannot handle (yet) on the path it is asked to use. */
export class UnsupportedError extends NetlensError {}
/** ONNX Runtime rejected a session or a run. */
export class RuntimeError extends NetlensError {}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The `count` names closest to `wanted`, for error messages. */
export function closestNames(wanted: string, names: readonly string[], count = 3): string[] {
  // A caller in plain JavaScript may pass anything: the message must still be made.
  const lower = String(wanted).toLowerCase();
  return [...names]
    .map((name) => ({
      name,
      d: name.toLowerCase().includes(lower) ? 0 : editDistance(lower, name.toLowerCase()),
    }))
    .sort((x, y) => x.d - y.d)
    .slice(0, count)
    .map((x) => x.name);
}
