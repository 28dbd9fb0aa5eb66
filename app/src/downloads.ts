/** Downloads of a result: the picture as PNG (encoded by the browser's canvas) and the numbers as JSON. */
import { encodePng, type ExplainerRun, type RawImage } from '../../src/web/index';

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function downloadPng(image: RawImage, name: string): Promise<void> {
  save(await encodePng(image), name);
}

export function downloadJson(run: ExplainerRun, meta: Record<string, unknown>, name: string): void {
  const value = {
    ...meta,
    classes: run.classes,
    descriptions: run.descriptions,
    numbers: run.numbers,
    map: { dims: run.maps.dims, data: Array.from(run.maps.data) },
  };
  save(new Blob([JSON.stringify(value)], { type: 'application/json' }), name);
}
