import { describe, expect, it } from 'vitest';
import { leftNow, span, tone } from './timeleft';

describe('time left', () => {
  it('reads in the largest unit that says it', () => {
    expect(span(30)).toEqual({ n: 1, unit: 'm' });
    expect(span(59 * 60)).toEqual({ n: 59, unit: 'm' });
    expect(span(3600)).toEqual({ n: 1, unit: 'h' });
    expect(span(47 * 3600)).toEqual({ n: 47, unit: 'h' });
    expect(span(-3 * 86400)).toEqual({ n: 3, unit: 'd' });
  });

  it('colours by escalation, overdue and pause', () => {
    expect(tone(7200, 'none', false)).toBe('ok');
    expect(tone(600, 'warn_assignee', false)).toBe('soon');
    expect(tone(-60, 'grid_lead', false)).toBe('late');
    expect(tone(-60, 'street', false)).toBe('very-late');
    expect(tone(-60, 'street', true)).toBe('paused');
    expect(tone(null, 'none', false)).toBe('none');
  });

  it('counts continuous clocks down between reloads and leaves business clocks alone', () => {
    expect(leftNow(600, 'continuous', 0, 61_000)).toBe(539);
    expect(leftNow(600, 'business', 0, 61_000)).toBe(600);
    expect(leftNow(null, 'continuous', 0, 1)).toBeNull();
  });
});
