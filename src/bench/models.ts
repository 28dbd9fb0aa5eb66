/** Realistic-size models for the bench beyond the fixtures (the converted nsfwjs MobileNetV2 when available). */
export async function extraBenchModels(_quick: boolean): Promise<{ name: string; bytes: Uint8Array }[]> {
  return [];
}
