/**
 * The committed selection of ONNX's backend test suite (tests/autodiff/data/conformance, chosen by
 * tools/conformance/select.ts): every (output, input) pair recorded as passing still agrees with finite
 * differences on the case's own inputs, and every pair recorded as refused is still refused by name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPair, loadCase, probeCaseShapes } from './conformance.js';

const root = path.join(import.meta.dirname, 'data', 'conformance');
const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as {
  case: string;
  pairs: { output: string; wrt: string; outcome: string }[];
}[];

describe('ONNX backend suite cases vs finite differences', () => {
  it('the selection covers many op sets', () => {
    expect(index.length).toBeGreaterThan(80);
  });
  for (const entry of index) {
    it(entry.case, async () => {
      const c = await loadCase(path.join(root, entry.case));
      const shapes = await probeCaseShapes(c);
      for (const pair of entry.pairs) {
        const result = await checkPair(c, pair.output, pair.wrt, shapes);
        // 'kink' / 'edge': the case's input sits on a kink or on the edge of the op's domain, where only the
        // moved input can be checked.
        expect(`${pair.wrt}: ${result.outcome} ${result.detail}`).toBe(
          `${pair.wrt}: ${pair.outcome} ${result.detail}`,
        );
      }
    });
  }
});
