/** Recognize a TF.js model.json among the files a user may pass as "the model". */
import { ModelError } from '../errors.js';
import { isObject } from './config.js';
import type { TfjsModelJson } from './types.js';

/**
 * Whether the bytes are a TF.js model.json (layers or graph model): a JSON object with a
 * `modelTopology` and a weights manifest. Cheap for non-JSON input (checks the first byte first).
 */
export function isTfjsModelJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b /* { */) return false;
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return (
      isObject(json) &&
      isObject(json.modelTopology) &&
      (Array.isArray(json.weightsManifest) || typeof json.format === 'string')
    );
  } catch {
    return false;
  }
}

/** Parse model.json text/bytes; a typed error when it is not JSON or not a TF.js model description. */
export function parseTfjsModelJson(text: string | Uint8Array, source = 'model.json'): TfjsModelJson {
  const str = typeof text === 'string' ? text : new TextDecoder().decode(text);
  let json: unknown;
  try {
    json = JSON.parse(str);
  } catch (err) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!isObject(json) || !isObject(json.modelTopology)) {
    throw new ModelError('INVALID_MODEL', `${source} is not a TF.js model.json (no modelTopology object)`);
  }
  return json as unknown as TfjsModelJson;
}
