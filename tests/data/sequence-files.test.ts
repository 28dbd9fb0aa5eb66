import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'npyjs';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../../src/errors.js';
import { loadSequenceArgs, readSequenceFile } from '../../src/data/sequence-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'netlens-seq-'));
const write = (name: string, content: string | ArrayBuffer): string => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : Buffer.from(content));
  return file;
};

async function failure(run: () => Promise<unknown>): Promise<NetlensError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(NetlensError);
    expect((err as Error).message).not.toContain('\n');
    return err as NetlensError;
  }
  throw new Error('expected a failure');
}

describe('sequence files', () => {
  it('reads CSV with and without a header, .npy [T, C] and [N, T, C], and JSON arrays', async () => {
    const [withHeader] = await readSequenceFile(write('a.csv', 'x,y\n1,2\n3,4.5\n-1e-2,0\n'));
    expect(withHeader.channelNames).toEqual(['x', 'y']);
    expect([withHeader.length, withHeader.channels]).toEqual([3, 2]);
    expect(Array.from(withHeader.values)).toEqual([1, 2, 3, 4.5, Math.fround(-0.01), 0]);
    const [plain] = await readSequenceFile(write('b.csv', '1,2,3\n4,5,6\n'));
    expect(plain.channelNames).toBeUndefined();
    expect([plain.length, plain.channels]).toEqual([2, 3]);
    const npy2 = await readSequenceFile(write('c.npy', dump(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2])));
    expect([npy2.length, npy2[0].length, npy2[0].channels]).toEqual([1, 3, 2]);
    const npy3 = await readSequenceFile(write('d.npy', dump(new Float64Array(24).map((_, i) => i), [2, 4, 3])));
    expect(npy3.map((s) => s.name)).toEqual([`${dir}/d.npy[0]`, `${dir}/d.npy[1]`]);
    expect(npy3[1].values[0]).toBe(12);
    const json = await readSequenceFile(write('e.json', '[[[1,2],[3,4]],[[5,6],[7,8]]]'));
    expect(json.map((s) => Array.from(s.values))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it('reads a folder with a labels file', async () => {
    const folder = path.join(dir, 'set');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 's1.csv'), '1,2\n3,4\n');
    writeFileSync(path.join(folder, 's2.json'), '[[1,2],[3,4],[5,6]]');
    writeFileSync(path.join(folder, 'labels.csv'), 'file,label\ns1.csv,ramp\ns2.json,plateau\n');
    const loaded = await loadSequenceArgs([folder], { channels: 2 });
    expect(loaded.sequences.map((s) => s.length)).toEqual([2, 3]);
    expect(loaded.labels).toEqual(['ramp', 'plateau']);
  });

  it('rejects bad input with one-line typed errors', async () => {
    const cases: [string, string | ArrayBuffer, RegExp][] = [
      ['ragged.csv', '1,2\n3\n', /not a rectangular CSV/],
      ['word.csv', '1,2\n3,abc\n', /row 2, column 2 holds 'abc'/],
      ['nan.csv', '1,2\n3,nan\n', /row 2, column 2 is NaN/],
      ['inf.json', '[[1, 2], [3, 1e999]]', /step 1, channel 1 is Infinity/],
      ['empty.csv', 'a,b\n', /empty/],
      ['empty.json', '[]', /empty/],
      ['int.npy', dump(new Int32Array([1, 2, 3, 4]), [2, 2]), /dtype is i4/],
      ['rank.npy', dump(new Float32Array([1, 2, 3]), [3]), /shape \[3\], expected \[T, C\]/],
      ['nan.npy', dump(new Float32Array([1, NaN]), [2, 1]), /step 1, channel 0 is NaN/],
    ];
    for (const [name, content, message] of cases) {
      const err = await failure(() => readSequenceFile(write(name, content)));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(message);
    }
    const wrong = await failure(() => loadSequenceArgs([write('three.csv', '1,2,3\n')], { channels: 12 }));
    expect(wrong.message).toMatch(/has 3 channels but the model takes 12/);
    expect((await failure(() => loadSequenceArgs([path.join(dir, 'missing.csv')]))).code).toBe('FILE_NOT_FOUND');
  });
});
