/** The library example of docs/table-models.md runs as written. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('docs/table-models.md', () => {
  it('library example runs and its numbers hold', async () => {
    const page = await readFile(path.join(root, 'docs', 'table-models.md'), 'utf8');
    const code = /## Library\n+```ts\n([\s\S]*?)```/.exec(page)?.[1];
    expect(code).toBeDefined();
    const script = code!
      .replace(/from 'netlens'/g, `from ${JSON.stringify(path.join(root, 'src', 'index.js'))}`)
      .replace(/'fixtures\//g, `'${root}/fixtures/`);
    const file = path.join(root, 'tests', `.table-docs-example-${process.pid}.ts`);
    await writeFile(file, `${script}\nexport const result = { s, l, png };\n`);
    try {
      const { result } = (await import(/* @vite-ignore */ file)) as {
        result: {
          s: { explanations: { values: Float32Array; prediction: Float32Array }[]; baseValue: Float32Array };
          l: { importantPredictors: string[] };
          png: Uint8Array;
        };
      };
      const e = result.s.explanations[0];
      for (let o = 0; o < 3; o++) {
        const sum = e.values.slice(o * 13, (o + 1) * 13).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(e.prediction[o] - result.s.baseValue[o], 5);
      }
      expect(result.l.importantPredictors.length).toBe(5);
      expect(Buffer.from(result.png.subarray(1, 4)).toString()).toBe('PNG');
    } finally {
      await rm(file, { force: true });
    }
  });

  it('the example of the Speed section runs both routes and gives additive values', async () => {
    const page = await readFile(path.join(root, 'docs', 'table-models.md'), 'utf8');
    const code = /## Speed[\s\S]*?```ts\n([\s\S]*?)```/.exec(page)?.[1];
    expect(code).toBeDefined();
    const script = code!
      .replace(/from 'netlens'/g, `from ${JSON.stringify(path.join(root, 'src', 'index.js'))}`)
      .replace(/'fixtures\//g, `'${root}/fixtures/`);
    const file = path.join(root, 'tests', `.table-docs-speed-${process.pid}.ts`);
    await writeFile(file, `${script}\nexport const result = [s, r];\n`);
    try {
      const { result } = (await import(/* @vite-ignore */ file)) as {
        result: { evaluation: string; explanations: { additivityError: number }[] }[];
      };
      expect(result.map((x) => x.evaluation)).toEqual(['graph', 'rows']);
      for (const x of result) {
        expect(x.explanations.length).toBe(4);
        for (const e of x.explanations) expect(e.additivityError).toBeLessThan(1e-5);
      }
    } finally {
      await rm(file, { force: true });
    }
  });
});
