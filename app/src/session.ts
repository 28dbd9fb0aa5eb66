/** What the server offers (named files and bundled fixtures), and reading files into bytes and images. */
import { decodeImageBlob, type RawImage, type TfjsModelFiles } from '../../src/web/index';

export interface ServedFile {
  name: string;
  url: string;
}

export interface SessionInfo {
  model?: ServedFile;
  images: ServedFile[];
  fixtures: { name: string; model: ServedFile; images: ServedFile[] }[];
  maxUploadBytes: number;
}

export interface ImageItem {
  name: string;
  blob: Blob;
}

export async function fetchSession(): Promise<SessionInfo> {
  const response = await fetch('api/session');
  if (!response.ok) throw new Error(`the server did not answer (${response.status})`);
  return (await response.json()) as SessionInfo;
}

export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function fetchImages(files: readonly ServedFile[]): Promise<ImageItem[]> {
  return Promise.all(
    files.map(async (f) => {
      const response = await fetch(f.url);
      if (!response.ok) throw new Error(`cannot fetch ${f.url}: ${response.status}`);
      return { name: f.name, blob: await response.blob() };
    }),
  );
}

export function decodeAll(items: readonly ImageItem[], channels: 1 | 3): Promise<RawImage[]> {
  return Promise.all(items.map((item) => decodeImageBlob(item.blob, { channels })));
}

/** A TF.js model.json served by URL, with its weight shards from beside it (concatenated in manifest order). */
export async function fetchTfjs(url: string): Promise<TfjsModelFiles> {
  const base = new URL(url, document.baseURI);
  const modelJson = (await (await fetch(base)).json()) as { weightsManifest?: { paths: string[] }[] };
  const shards: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const p of group.paths) shards.push(await fetchBytes(new URL(p, base).href));
  }
  return { modelJson, weights: concatShards(shards) };
}

/** TF.js weight shards, in manifest order, as the one buffer the importer reads. */
export function concatShards(shards: readonly Uint8Array[]): Uint8Array {
  const weights = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let offset = 0;
  for (const s of shards) {
    weights.set(s, offset);
    offset += s.length;
  }
  return weights;
}
