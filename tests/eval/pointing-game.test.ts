import { describe, expect, it } from 'vitest';
import { pointingGame } from '../../src/eval/pointing-game.js';

function map(height: number, width: number, peaks: [number, number][], value = 1): Float32Array {
  const data = new Float32Array(height * width);
  for (const [r, c] of peaks) data[r * width + c] = value;
  return data;
}

describe('pointing game', () => {
  it('counts a hit when the maximum is inside the box, scaling boxes from their frame', () => {
    const maps = new Float32Array([...map(8, 8, [[2, 3]]), ...map(8, 8, [[7, 7]])]);
    // Boxes on a 16x16 frame: columns 4..7, rows 2..7 cover map columns 2..3 and rows 1..3 of the 8x8 map.
    const boxes: [number, number, number, number][] = [
      [4, 2, 7, 7],
      [4, 2, 7, 7],
    ];
    const r = pointingGame({ data: maps, dims: [2, 8, 8] }, boxes, { frame: { width: 16, height: 16 } });
    expect(r.hits).toEqual([true, false]);
    expect(r.accuracy).toBe(0.5);
    expect(r.maxima[1]).toEqual({ row: 7, col: 7 });
    // Map column 4 (frame 8..10, centre 9) is outside unless the box grows by two frame pixels.
    const edge = { data: map(8, 8, [[2, 4]]), dims: [1, 8, 8] };
    expect(pointingGame(edge, [boxes[0]], { frame: { width: 16, height: 16 } }).hits).toEqual([false]);
    expect(pointingGame(edge, [boxes[0]], { frame: { width: 16, height: 16 }, tolerance: 2 }).hits).toEqual([
      true,
    ]);
  });

  it('lets every pixel of a flat maximum vote', () => {
    const box: [number, number, number, number] = [0, 0, 1, 1];
    const mostlyIn = map(4, 4, [
      [0, 0],
      [1, 1],
      [3, 3],
    ]);
    const mostlyOut = map(4, 4, [
      [0, 0],
      [2, 2],
      [3, 3],
    ]);
    expect(pointingGame({ data: mostlyIn, dims: [1, 4, 4] }, [box]).hits).toEqual([true]);
    expect(pointingGame({ data: mostlyOut, dims: [1, 4, 4] }, [box]).hits).toEqual([false]);
    expect(() => pointingGame({ data: mostlyIn, dims: [1, 4, 4] }, [])).toThrow(/1 boxes/);
  });
});
