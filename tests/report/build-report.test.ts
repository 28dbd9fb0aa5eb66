import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors.js';
import { buildReport } from '../../src/report/report.js';
import type { ReportInput, ReportSection } from '../../src/report/section.js';

const input = {
  modelName: 'm.onnx',
  images: [],
  spec: { height: 4, width: 4, channels: 1, layout: 'NCHW' },
} as unknown as ReportInput;

function section(id: string, render: () => Promise<string>): ReportSection {
  return { id, title: id.toUpperCase(), render };
}

describe('buildReport', () => {
  it('keeps every other section when one throws, and shows the error in its place', async () => {
    const pages: string[] = [];
    const report = await buildReport(
      input,
      [
        section('first', async () => '<p>first body</p>'),
        section('broken', async () => {
          const maps: { width: number }[] = [];
          return String(maps[3].width);
        }),
        section('unsupported', async () => {
          throw new UnsupportedError('UNSUPPORTED_MODEL', 'no spatial layer');
        }),
        section('last', async () => '<p>last body</p>'),
      ],
      { onPage: (html) => void pages.push(html) },
    );
    expect(report.rendered).toEqual(['first', 'last']);
    expect(report.skipped).toEqual([{ id: 'unsupported', reason: 'no spatial layer' }]);
    expect(report.failed.map((f) => f.id)).toEqual(['broken']);
    expect(report.failed[0].error).toMatch(/width/);
    expect(report.html).toContain('<p>first body</p>');
    expect(report.html).toContain('<p>last body</p>');
    expect(report.html).toMatch(/This section failed: .*width/);
    // The page is handed out after every section: the first one already holds the first body and the rest pending.
    expect(pages).toHaveLength(4);
    expect(pages[0]).toContain('<p>first body</p>');
    expect(pages[0]).toContain('Not computed yet');
    expect(pages[0]).not.toContain('last body');
    expect(pages[3]).toBe(report.html);
  });
});
