/** Realistic-size models for the bench beyond the fixtures: the nsfwjs MobileNetV2 converted from TF.js. */
import { encodeModel } from '../onnx/proto.js';
import { convertNsfwjsModel } from '../tfjs/nsfwjs.js';

export async function extraBenchModels(quick: boolean): Promise<{ name: string; bytes: Uint8Array }[]> {
  // Quick runs (smoke tests of the bench itself) stay on the small fixtures.
  if (quick) return [];
  return [{ name: 'mobilenet-v2', bytes: encodeModel(await convertNsfwjsModel('MobileNetV2')) }];
}
