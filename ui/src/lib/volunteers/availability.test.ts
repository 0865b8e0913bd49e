import { describe, expect, it } from 'vitest';
import { formatWeekly, hhmm, mergeSlots, plannedSlot, strip, weekday } from './availability';

const slot = (day: number, from: number, to: number) => ({ day, from_min: from * 60, to_min: to * 60 });

describe('the 7-day strip', () => {
  it('places each day’s stretches as fractions of the day and marks today', () => {
    const days = strip([slot(1, 18, 21), slot(6, 0, 24), slot(6, 0, 12)], 6);
    expect(days.map((d) => d.day)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(days[0].spans).toEqual([{ from: 0.75, to: 0.875, fromMin: 1080, toMin: 1260 }]);
    expect(days[1].spans).toEqual([]);
    expect(days[5]).toMatchObject({ today: true, allDay: true });
    expect(days.filter((d) => d.today).length).toBe(1);
  });

  it('joins touching slots and drops impossible ones', () => {
    expect(mergeSlots([slot(2, 20, 21), slot(2, 18, 20), slot(8, 1, 2), { day: 3, from_min: 600, to_min: 600 }])).toEqual([slot(2, 18, 21)]);
  });

  it('reads the weekday Monday first', () => {
    expect(weekday(new Date(2026, 2, 1))).toBe(7); // a Sunday
    expect(weekday(new Date(2026, 2, 2))).toBe(1);
  });
});

describe('weekly hours as text', () => {
  it('writes them as the backend does, in both languages', () => {
    const weekdays = [1, 2, 3, 4, 5].map((d) => slot(d, 18, 21));
    expect(formatWeekly([...weekdays, slot(6, 0, 24)], true)).toBe('周一至周五 18:00-21:00；周六 全天');
    expect(formatWeekly([...weekdays, slot(6, 0, 24)], false)).toBe('Mon–Fri 18:00–21:00; Sat all day');
    expect(formatWeekly([slot(1, 9, 12), slot(3, 9, 12)], true)).toBe('周一、周三 09:00-12:00');
    expect(formatWeekly([1, 2, 3, 4, 5, 6, 7].map((d) => slot(d, 8, 20)), true)).toBe('每天 08:00-20:00');
    expect(formatWeekly([slot(6, 8, 12), slot(7, 8, 12), slot(6, 14, 18), slot(7, 14, 18)], true)).toBe('周六、周日 08:00-12:00、14:00-18:00');
    expect(formatWeekly([], true)).toBe('');
  });

  it('writes minutes as HH:MM', () => {
    expect(hhmm(0)).toBe('00:00');
    expect(hhmm(1440)).toBe('24:00');
    expect(hhmm(545)).toBe('09:05');
  });
});

describe('a planned slot', () => {
  it('is a date with two local times, the end after the start', () => {
    const s = plannedSlot('2026-03-02', '9:00', '10:30');
    expect(s).not.toBeNull();
    expect(s![1] - s![0]).toBe(90 * 60_000);
    expect(new Date(s![0]).getHours()).toBe(9);
    expect(plannedSlot('2026-03-02', '10:00', '09:00')).toBeNull();
    expect(plannedSlot('', '9:00', '10:00')).toBeNull();
  });
});
