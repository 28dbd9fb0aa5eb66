/**
 * Peak memory of `netlens embed` over the 70 000 Fashion-MNIST images: the images are written once as PNG files
 * to a cache folder (os.tmpdir()/netlens-bench-fashion-70k), then the CLI runs as a child process whose peak
 * resident set (its own high-water mark, `ownPeakRssKiB`) it reports on exit through a preloaded module.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodePng } from '../render/png.js';
import { repoRoot } from './context.js';
import type { PixelRows } from './fashion-mnist.js';

/** The compiled peak-rss module beside this one, imported by the child's preload. */
const PEAK_RSS_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peak-rss.js');

export interface ChildRun {
  /** Peak resident set of the child in MiB. */
  maxRssMiB: number;
  seconds: number;
  cpuSeconds: number;
  stdout: string;
}

/** The images as `dir/<index>.png`, written only when the folder is missing or incomplete. */
export async function fashionPngFolder(fashion: PixelRows): Promise<string> {
  const dir = path.join(os.tmpdir(), `netlens-bench-fashion-${fashion.n}`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const side = Math.round(Math.sqrt(fashion.dim));
  const pixels = new Uint8Array(fashion.dim);
  for (let i = 0; i < fashion.n; i++) {
    const row = fashion.data.subarray(i * fashion.dim, (i + 1) * fashion.dim);
    for (let t = 0; t < fashion.dim; t++) pixels[t] = Math.round(row[t] * 255);
    const png = await encodePng({ data: pixels, width: side, height: side, channels: 1 });
    await writeFile(path.join(dir, `${String(i).padStart(5, '0')}.png`), png);
  }
  await writeFile(done, '');
  return dir;
}

/** Runs `node dist/cli/main.js ...args` and measures its peak resident set, wall and CPU time. */
export async function runCliMeasured(args: string[]): Promise<ChildRun> {
  const dir = path.join(os.tmpdir(), `netlens-bench-rss-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const preload = path.join(dir, 'rusage.mjs');
  const report = path.join(dir, 'rusage.json');
  await writeFile(
    preload,
    `import { writeFileSync } from 'node:fs';\n` +
      `import { ownPeakRssKiB } from ${JSON.stringify(pathToFileURL(PEAK_RSS_MODULE).href)};\n` +
      `process.on('exit', () => { const u = process.resourceUsage(); ` +
      `writeFileSync(${JSON.stringify(report)}, JSON.stringify({ maxRSS: ownPeakRssKiB(), user: u.userCPUTime, system: u.systemCPUTime })); });\n`,
  );
  const cli = path.join(repoRoot(), 'dist', 'cli', 'main.js');
  const start = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', preload, cli, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`netlens ${args[0]} exited with ${code}: ${out}`)),
    );
  });
  const seconds = (performance.now() - start) / 1000;
  const usage = JSON.parse(await readFile(report, 'utf8')) as {
    maxRSS: number;
    user: number;
    system: number;
  };
  await rm(dir, { recursive: true, force: true });
  return { maxRssMiB: usage.maxRSS / 1024, seconds, cpuSeconds: (usage.user + usage.system) / 1e6, stdout };
}
