import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('README', () => {
  it('starts with the install+demo and test commands', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm install && npm run demo/m);
    expect(firstBlock).toMatch(/^npm test/m);
  });

  it('library example runs as written and writes a PNG', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const code = /## Library\n+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'README has a ```ts block under "## Library"').toBeDefined();
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-readme-'));
    const out = path.join(dir, 'gradcam.png');
    const script = code!
      .replace(/from 'netlens'/g, `from ${JSON.stringify(path.join(root, 'src', 'index.js'))}`)
      .replace(/'fixtures\//g, `'${root}/fixtures/`)
      .replace(/'gradcam\.png'/g, JSON.stringify(out));
    const file = path.join(root, 'tests', `.readme-example-${process.pid}.ts`);
    await writeFile(file, `${script}\nexport {};\n`);
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(file, { force: true }));
    }
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(64);
  });
});
