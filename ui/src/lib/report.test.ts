import { describe, expect, it } from 'vitest';
import { byMonth, onTimePercent } from './report';
import type { TallyLine } from './backend';

const line = (month: string, outcome: string, requests: number, on_time: number): TallyLine => ({
  month, category: 'medicine', priority: 'normal', outcome, area: null, requests, on_time,
});

describe('byMonth', () => {
  it('adds live and tallied lines of a month, newest month first', () => {
    const m = byMonth([line('2026-01', 'closed', 3, 2), line('2026-03', 'new', 1, 1), line('2026-01', 'cancelled', 2, 2)]);
    expect(m).toEqual([
      { month: '2026-03', requests: 1, onTime: 1 },
      { month: '2026-01', requests: 5, onTime: 4 },
    ]);
    expect(onTimePercent(m[1])).toBe(80);
    expect(onTimePercent({ month: 'x', requests: 0, onTime: 0 })).toBeNull();
  });
});
