/** The explorer's HTTP edge serves the app and the named files only, caps uploads, and binds to loopback. */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExplorer, startExplorer, type SessionInfo } from '../../src/server/server.js';

let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlens-serve-'));
  await mkdir(path.join(dir, 'app'));
  await writeFile(path.join(dir, 'app', 'index.html'), '<!doctype html><title>explorer</title>');
  await mkdir(path.join(dir, 'images', 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'images', 'a.png'), 'png bytes');
  await writeFile(path.join(dir, 'images', 'sub', 'b.png'), 'more png bytes');
  await writeFile(path.join(dir, 'secret.txt'), 'not to be served');
  await writeFile(path.join(dir, 'model.onnx'), 'onnx bytes');
  await symlink(path.join(dir, 'secret.txt'), path.join(dir, 'images', 'out.png'));
  await symlink(path.join(dir, 'images', 'a.png'), path.join(dir, 'images', 'in.png'));
  app = await createExplorer({
    model: path.join(dir, 'model.onnx'),
    images: [path.join(dir, 'images')],
    appDir: path.join(dir, 'app'),
    maxUploadBytes: 1024,
  });
});

afterAll(async () => {
  await app?.close();
});

describe('netlens serve: what is reachable', () => {
  it('serves the app, the session and the named files', async () => {
    expect((await app.inject({ url: '/' })).body).toContain('<title>explorer</title>');
    const session = (await app.inject({ url: '/api/session' })).json<SessionInfo>();
    expect(session.model?.url).toBe('/files/0/model.onnx');
    expect(session.images.map((i) => i.url).sort()).toEqual([
      '/files/1/a.png',
      '/files/1/in.png',
      '/files/1/sub/b.png',
    ]);
    expect((await app.inject({ url: '/files/1/sub/b.png' })).body).toBe('more png bytes');
    expect((await app.inject({ url: '/files/0/model.onnx' })).body).toBe('onnx bytes');
    // A symlink that stays inside the root is fine.
    expect((await app.inject({ url: '/files/1/in.png' })).body).toBe('png bytes');
  });

  it.each([
    // The request URL is normalised before routing here, so these miss the route; over a raw socket see below.
    ['../ in the path', '/files/1/../secret.txt', 404],
    ['encoded ../', '/files/1/%2e%2e/secret.txt', 404],
    ['encoded ../ deeper', '/files/1/sub/..%2F..%2Fsecret.txt', 400],
    ['an absolute path', '/files/1//etc/passwd', 400],
    ['an encoded absolute path', '/files/1/%2Fetc%2Fpasswd', 400],
    ['a backslash path', '/files/1/..%5Csecret.txt', 400],
    ['a symlink out of the root', '/files/1/out.png', 403],
    ['another file beside a named file', '/files/0/secret.txt', 404],
    ['an unknown root', '/files/7/a.png', 404],
    ['a file outside every root through the app route', '/secret.txt', 404],
    ['the app route with ../', '/../secret.txt', 404],
  ])('refuses %s', async (_what, url, status) => {
    const response = await app.inject({ url });
    expect(response.statusCode).toBe(status);
    expect(response.body).not.toContain('not to be served');
  });

  it('keeps uploads up to the cap and refuses larger ones', async () => {
    const small = Buffer.alloc(1000, 7);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/uploads',
      payload: small,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(ok.statusCode).toBe(200);
    const back = await app.inject({ url: ok.json<{ url: string }>().url });
    expect(back.rawPayload.equals(small)).toBe(true);
    const big = await app.inject({
      method: 'POST',
      url: '/api/uploads',
      payload: Buffer.alloc(1025, 7),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json<{ error: string }>().error).toContain('upload larger than 1024 bytes');
  });
});

describe('netlens serve: a TF.js model', () => {
  it('serves model.json with the weight shards beside it', async () => {
    const tfjs = path.join(dir, 'tfjs');
    await mkdir(tfjs);
    await writeFile(path.join(tfjs, 'model.json'), '{"weightsManifest":[{"paths":["w.bin"]}]}');
    await writeFile(path.join(tfjs, 'w.bin'), 'weights');
    const served = await createExplorer({
      model: path.join(tfjs, 'model.json'),
      appDir: path.join(dir, 'app'),
    });
    try {
      const session = (await served.inject({ url: '/api/session' })).json<SessionInfo>();
      expect(session.model?.url).toBe('/files/0/model.json');
      expect((await served.inject({ url: '/files/0/w.bin' })).body).toBe('weights');
      expect((await served.inject({ url: '/files/0/../secret.txt' })).statusCode).toBe(404);
    } finally {
      await served.close();
    }
  });
});

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A non-loopback IPv4 address of this machine, when it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** GET over a raw socket: the path goes out byte for byte, no client-side normalisation. */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

describe('netlens serve: raw request paths', () => {
  it.each([
    ['/files/0/../secret.txt', 400],
    ['/files/0/sub/../../secret.txt', 400],
    ['/files/0/%2e%2e/secret.txt', 400],
    ['/files/0/%2Fetc%2Fpasswd', 400],
    ['/../secret.txt', 403],
    ['/%2e%2e/secret.txt', 403],
  ])('refuses %s', async (target, status) => {
    const running = await startExplorer({
      images: [path.join(dir, 'images')],
      appDir: path.join(dir, 'app'),
    });
    try {
      const response = await rawGet(running.port, target);
      expect(response.status).toBe(status);
      expect(response.body).not.toContain('not to be served');
    } finally {
      await running.close();
    }
  });
});

describe('netlens serve: binding', () => {
  it('listens on 127.0.0.1 only unless --host says otherwise', async () => {
    const options = { appDir: path.join(dir, 'app') };
    const local = await startExplorer(options);
    try {
      expect(local.host).toBe('127.0.0.1');
      expect(local.url).toBe(`http://127.0.0.1:${local.port}/`);
      expect(await canConnect('127.0.0.1', local.port)).toBe(true);
      const external = externalAddress();
      if (external) expect(await canConnect(external, local.port)).toBe(false);
    } finally {
      await local.close();
    }
    const open = await startExplorer({ ...options, host: '0.0.0.0' });
    try {
      const external = externalAddress() ?? '127.0.0.1';
      expect(await canConnect(external, open.port)).toBe(true);
    } finally {
      await open.close();
    }
  });
});
