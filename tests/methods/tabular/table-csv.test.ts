/** CSV tables matched to a model's features by name, and the one-line errors for every kind of bad input. */
import { describe, expect, it } from 'vitest';
import { parseTableCsv, selectRows, type TableColumns } from '../../../src/data/table-csv.js';
import { FileError } from '../../../src/errors.js';

const COLUMNS: TableColumns = {
  features: ['a', 'b', 'colour'],
  categorical: [false, false, true],
  levels: [undefined, undefined, ['red', 'green', 'blue']],
};

function failure(text: string, columns: TableColumns = COLUMNS): string {
  try {
    parseTableCsv(text, 'data.csv', columns);
  } catch (err) {
    expect(err).toBeInstanceOf(FileError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a failure');
}

describe('parseTableCsv', () => {
  it('matches columns by name in any order, ignores extra ones, codes levels', () => {
    const t = parseTableCsv(
      'label,colour,b,a\nx,green,2.5,-1\ny,blue,"3",4e2\nz,0,0,0\n',
      'data.csv',
      COLUMNS,
    );
    expect(t.features).toEqual(['a', 'b', 'colour']);
    expect(t.rows).toBe(3);
    expect(Array.from(t.values)).toEqual([-1, 2.5, 1, 400, 3, 2, 0, 0, 0]);
    expect(Array.from(selectRows(t, [2, 0]).values)).toEqual([0, 0, 0, -1, 2.5, 1]);
    expect(() => selectRows(t, [3])).toThrow(/row 3 is out of range: the table has rows 0\.\.2/);
  });

  it('names what is wrong in one line', () => {
    expect(failure('a,colour\n1,red\n')).toMatch(/no column for feature 'b'/);
    expect(failure('a,B_,colour\n1,2,red\n')).toMatch(/'b' \(found 'B_'\)/);
    expect(failure('a,b,colour\n1,2,red,9\n')).toMatch(/data\.csv/);
    expect(failure('a,b,colour\n1,x,red\n')).toMatch(/line 2 column 'b' is not a number: 'x'/);
    expect(failure('a,b,colour\n1,,red\n')).toMatch(/line 2 column 'b' is not a number/);
    expect(failure('a,b,colour\n1,NaN,red\n')).toMatch(/line 2 column 'b' is NaN/);
    expect(failure('a,b,colour\n1,2,purple\n')).toMatch(
      /unknown level 'purple', expected one of red, green, blue/,
    );
    expect(failure('')).toMatch(/data\.csv is empty/);
    expect(failure('a,b,colour\n')).toMatch(/header but no data rows/);
    expect(failure('a,a,b,colour\n1,1,2,red\n')).toMatch(/column 'a' twice/);
    const codesOnly: TableColumns = { ...COLUMNS, levels: [undefined, undefined, undefined] };
    expect(failure('a,b,colour\n1,2,red\n', codesOnly)).toMatch(/not a level code/);
    expect(parseTableCsv('a,b,colour\n1,2,3\n', 'data.csv', codesOnly).values[2]).toBe(3);
  });
});
