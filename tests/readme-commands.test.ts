/**
 * Every command of the README's "Command line" block, run exactly as written from a folder that holds the
 * repository's fixtures (and, for `convert`, a small TF.js model at the path the README names).
 */
import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { randomizeWeights, saveToJson, tf, useWasmBackend } from './tfjs/harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const block = /## Command line\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx netlens '));
}

/** The files and folders a command names after --out, or convert's second argument. */
function outputsOf(args: string[]): string[] {
  const out: string[] = [];
  const i = args.indexOf('--out');
  if (i >= 0) out.push(args[i + 1]);
  if (args[0] === 'convert') out.push(args[2]);
  return out;
}

async function tinyTfjsModel(dir: string): Promise<void> {
  await useWasmBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, activation: 'relu', name: 'c' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'probs' }),
    ],
  });
  randomizeWeights(model, 3);
  const { modelJson, weightData } = await saveToJson(model);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  await writeFile(path.join(dir, 'group1-shard1of1.bin'), weightData);
}

describe('README command line', () => {
  const cwd = process.cwd();
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netlens-readme-cli-'));
    await symlink(path.join(root, 'fixtures'), path.join(dir, 'fixtures'));
    await tinyTfjsModel(path.join(dir, 'path/to/tfjs'));
    process.chdir(dir);
  });
  afterAll(() => process.chdir(cwd));

  it('lists the commands', async () => {
    expect((await readmeCommands()).length).toBeGreaterThanOrEqual(7);
  });

  it('runs each command as written and writes what it names', async () => {
    for (const line of await readmeCommands()) {
      const args = line.replace(/^npx netlens /, '').split(/\s+/);
      const { code, stderr } = await cli(...args);
      expect({ line, code, stderr }).toEqual({ line, code: 0, stderr: [] });
      for (const out of outputsOf(args)) {
        expect((await stat(path.join(dir, out))).size, `${line}: ${out}`).toBeGreaterThan(0);
      }
    }
  });
});
