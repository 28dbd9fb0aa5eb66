/**
 * `netlens serve`: a local HTTP edge for the explorer app. It serves the built app, the files the user named
 * and the bundled fixtures — nothing else — and keeps uploads in memory with a size cap. Every computation
 * happens in the browser; the server only hands out bytes.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { FileError, OptionError } from '../errors.js';
import { listRoot, makeRoot, resolveInRoot, type Root } from './roots.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 2 ** 20;
const MAX_UPLOADS = 32;

export interface ExplorerOptions {
  /** A model file to open on start (ONNX, or a TF.js model.json with its shards beside it). */
  model?: string;
  /** Image files or folders of images. */
  images?: readonly string[];
  /** The built app (index.html and assets). */
  appDir: string;
  /** Bundled fixtures offered in the app: name → folder holding model.onnx and samples/images. */
  fixtures?: Record<string, string>;
  /** Largest accepted upload in bytes (default 64 MiB). */
  maxUploadBytes?: number;
}

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

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;
const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

function fileUrl(rootIndex: number, relative: string): string {
  return `/files/${rootIndex}/${relative.split('/').map(encodeURIComponent).join('/')}`;
}

/** The model named on the command line: the root that serves it and its file name inside that root. */
interface NamedModel {
  root: number;
  file: string;
}

async function describeSession(
  roots: Root[],
  named: NamedModel | undefined,
  imageRoots: number[],
  fixtureRoots: number[],
  maxUploadBytes: number,
): Promise<SessionInfo> {
  const images: ServedFile[] = [];
  for (const index of imageRoots) {
    for (const rel of await listRoot(roots[index], (n) => IMAGE_FILE.test(n))) {
      images.push({
        name: roots[index].kind === 'file' ? roots[index].label : `${roots[index].label}/${rel}`,
        url: fileUrl(index, rel),
      });
    }
  }
  const fixtures = [];
  for (const index of fixtureRoots) {
    const root = roots[index];
    const sampleImages = await listRoot(root, (n) => n.startsWith('samples/images/') && IMAGE_FILE.test(n));
    fixtures.push({
      name: root.label,
      model: { name: `${root.label}/model.onnx`, url: fileUrl(index, 'model.onnx') },
      images: sampleImages.map((rel) => ({ name: path.posix.basename(rel), url: fileUrl(index, rel) })),
    });
  }
  const model = named && { name: roots[named.root].label, url: fileUrl(named.root, named.file) };
  return { ...(model ? { model } : {}), images, fixtures, maxUploadBytes };
}

function refuse(reply: FastifyReply, status: number, reason: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: reason });
}

/** The explorer's HTTP app, not yet listening (tests inject requests into it). */
export async function createExplorer(options: ExplorerOptions): Promise<FastifyInstance> {
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  if (!(maxUploadBytes > 0))
    throw new OptionError('INVALID_OPTION', `upload cap ${maxUploadBytes} must be positive`);
  if (!existsSync(path.join(options.appDir, 'index.html'))) {
    throw new FileError(
      'FILE_NOT_FOUND',
      `the explorer app is not built (${options.appDir}); run npm run build`,
    );
  }
  const roots: Root[] = [];
  let named: NamedModel | undefined;
  if (options.model) {
    const root = await makeRoot(options.model);
    if (root.kind !== 'file')
      throw new FileError('NOT_A_FILE', `model ${options.model} is a folder, expected a file`);
    // A TF.js model.json needs its weight shards: serve its folder, open the file in it.
    const tfjs = root.real.toLowerCase().endsWith('.json');
    roots.push(tfjs ? await makeRoot(path.dirname(root.real), options.model) : root);
    named = { root: 0, file: path.basename(root.real) };
  }
  const imageRoots: number[] = [];
  for (const image of options.images ?? []) {
    imageRoots.push(roots.push(await makeRoot(image)) - 1);
  }
  const fixtureRoots: number[] = [];
  for (const [name, dir] of Object.entries(options.fixtures ?? {})) {
    fixtureRoots.push(roots.push(await makeRoot(dir, name)) - 1);
  }

  const app = Fastify({ bodyLimit: maxUploadBytes, logger: false });
  const uploads = new Map<string, { bytes: Buffer; type: string }>();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/api/session', async () => {
    return describeSession(roots, named, imageRoots, fixtureRoots, maxUploadBytes);
  });

  app.get<{ Params: { root: string; '*': string } }>('/files/:root/*', async (request, reply) => {
    const index = Number(request.params.root);
    if (!Number.isInteger(index) || index < 0 || index >= roots.length)
      return refuse(reply, 404, 'no such root');
    const raw = request.params['*'];
    let relative: string;
    try {
      relative = decodeURIComponent(raw);
    } catch {
      return refuse(reply, 400, 'malformed path');
    }
    const resolved = await resolveInRoot(roots[index], relative);
    if (typeof resolved !== 'string') return refuse(reply, resolved.status, resolved.reason);
    const type = TYPES[path.extname(resolved).toLowerCase()] ?? 'application/octet-stream';
    return reply.type(type).send(createReadStream(resolved));
  });

  app.post('/api/uploads', async (request, reply) => {
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) return refuse(reply, 400, 'empty upload');
    if (uploads.size >= MAX_UPLOADS) uploads.delete(uploads.keys().next().value as string);
    const id = randomUUID();
    uploads.set(id, { bytes: body, type: request.headers['content-type'] ?? 'application/octet-stream' });
    return { url: `/uploads/${id}`, bytes: body.length };
  });

  app.get<{ Params: { id: string } }>('/uploads/:id', async (request, reply) => {
    const upload = uploads.get(request.params.id);
    if (!upload) return refuse(reply, 404, 'no such upload');
    return reply.type(upload.type).send(upload.bytes);
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    refuse(reply, status, status === 413 ? `upload larger than ${maxUploadBytes} bytes` : error.message);
  });

  await app.register(fastifyStatic, {
    root: path.resolve(options.appDir),
    prefix: '/',
    index: ['index.html'],
  });
  return app;
}

export interface RunningExplorer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Create the explorer and listen on host:port (port 0: any free port). */
export async function startExplorer(
  options: ExplorerOptions & { host?: string; port?: number },
): Promise<RunningExplorer> {
  const app = await createExplorer(options);
  const host = options.host ?? DEFAULT_HOST;
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}/`, host, port, close: () => app.close() };
}
