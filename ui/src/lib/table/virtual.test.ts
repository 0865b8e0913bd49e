import { describe, expect, it } from 'vitest';
import { blocksFor, layout, MAX_SCROLL_PX, revealRow, scrollTopFor, virtualTop, visibleRange } from './virtual';

describe('virtual table window', () => {
  it('uses the rows own height when it fits', () => {
    const l = layout(20_000, 30, 600);
    expect(l.scale).toBe(1);
    expect(l.scrollHeight).toBe(600_000);
    const r = visibleRange(3000, l, 0);
    expect(r.first).toBe(100);
    expect(r.last).toBe(119);
    expect(r.top).toBe(3000);
  });

  it('compresses a million rows under the browsers height limit', () => {
    const l = layout(1_000_000, 30, 600);
    expect(l.scrollHeight).toBe(MAX_SCROLL_PX);
    expect(l.scale).toBeGreaterThan(3);
    // The bottom of the scroll range shows the last row.
    const end = visibleRange(l.scrollHeight - l.viewport, l, 0);
    expect(end.last).toBe(999_999);
    // Rows are drawn inside the viewport whatever the scale.
    const mid = visibleRange(4_000_000, l, 0);
    expect(mid.top).toBeGreaterThan(4_000_000 - 30);
    expect(mid.top).toBeLessThanOrEqual(4_000_000);
    expect(mid.first).toBe(Math.floor(virtualTop(4_000_000, l) / 30));
  });

  it('maps scroll positions both ways', () => {
    const l = layout(1_000_000, 30, 600);
    for (const v of [0, 12_345_678, l.content - l.viewport]) {
      expect(virtualTop(scrollTopFor(v, l), l)).toBeCloseTo(v, 3);
    }
  });

  it('adds overscan rows and clamps them to the table', () => {
    const l = layout(50, 30, 600);
    expect(visibleRange(0, l, 8)).toMatchObject({ first: 0, last: 27 });
    expect(visibleRange(900, l, 8).last).toBe(49);
    expect(visibleRange(0, layout(0, 30, 600))).toMatchObject({ first: 0, last: -1 });
  });

  it('asks for the blocks the visible rows fall in, at multiples of the block size', () => {
    expect(blocksFor(0, 27, 100, 20_000)).toEqual([0]);
    expect(blocksFor(92, 127, 100, 20_000)).toEqual([0, 100]);
    expect(blocksFor(250, 420, 100, 20_000)).toEqual([200, 300, 400]);
    // Never past the end of the query.
    expect(blocksFor(90, 130, 100, 105)).toEqual([0, 100]);
    expect(blocksFor(0, 20, 100, 0)).toEqual([]);
  });

  it('scrolls just enough to bring a row into view', () => {
    const l = layout(1000, 30, 300);
    expect(revealRow(5, 0, l)).toBeNull();
    expect(revealRow(10, 0, l)).toBe(30); // row 10 ends at 330: scroll 30
    expect(revealRow(2, 300, l)).toBe(60);
  });
});
