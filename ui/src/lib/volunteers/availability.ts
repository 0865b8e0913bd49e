// Weekly hours as an official reads them, pure: the compact 7-day strip of the list and the
// panel (each day's covered stretches as fractions of the day, today marked), and the text the
// edit box starts from, written as the backend's `format_weekly` writes it so that parsing it
// again gives the same slots.
import type { Slot } from '../backend';

/** Minutes in a day: a slot may end at 24:00. */
export const DAY_END = 1440;

export interface Span {
  /** Start and end as fractions of the day, 0–1. */
  from: number;
  to: number;
  fromMin: number;
  toMin: number;
}

export interface StripDay {
  /** 1 = Monday … 7 = Sunday. */
  day: number;
  today: boolean;
  spans: Span[];
  allDay: boolean;
}

/** The ISO weekday of a local date: 1 = Monday … 7 = Sunday. */
export function weekday(d: Date): number {
  const js = d.getDay();
  return js === 0 ? 7 : js;
}

function valid(s: Slot): boolean {
  return s.day >= 1 && s.day <= 7 && s.to_min <= DAY_END && s.from_min < s.to_min;
}

/** Slots sorted by day and time, overlapping or touching ones on a day joined, invalid ones dropped. */
export function mergeSlots(slots: Slot[]): Slot[] {
  const sorted = slots.filter(valid).map((s) => ({ ...s })).sort((a, b) => a.day - b.day || a.from_min - b.from_min || a.to_min - b.to_min);
  const out: Slot[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && last.day === s.day && s.from_min <= last.to_min) last.to_min = Math.max(last.to_min, s.to_min);
    else out.push(s);
  }
  return out;
}

/** Seven days, Monday first, each with its stretches of stated hours. */
export function strip(slots: Slot[], today: number | null): StripDay[] {
  const merged = mergeSlots(slots);
  return [1, 2, 3, 4, 5, 6, 7].map((day) => {
    const spans = merged
      .filter((s) => s.day === day)
      .map((s) => ({ from: s.from_min / DAY_END, to: s.to_min / DAY_END, fromMin: s.from_min, toMin: s.to_min }));
    return { day, today: day === today, spans, allDay: spans.length === 1 && spans[0].fromMin === 0 && spans[0].toMin === DAY_END };
  });
}

/** Minutes after midnight as HH:MM (24:00 for the end of the day). */
export function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

const ZH_DAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const EN_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function daysText(mask: number, zh: boolean): string {
  if (mask === 0b111_1111) return zh ? '每天' : 'Every day';
  const names = zh ? ZH_DAYS : EN_DAYS;
  const runs: string[] = [];
  let i = 0;
  while (i < 7) {
    if ((mask & (1 << i)) === 0) {
      i += 1;
      continue;
    }
    const start = i;
    while (i + 1 < 7 && (mask & (1 << (i + 1))) !== 0) i += 1;
    if (i === start) runs.push(names[start]);
    else if (i - start === 1) runs.push(`${names[start]}${zh ? '、' : ', '}${names[i]}`);
    else runs.push(`${names[start]}${zh ? '至' : '–'}${names[i]}`);
    i += 1;
  }
  return runs.join(zh ? '、' : ', ');
}

function hoursText(hours: [number, number][], zh: boolean): string {
  return hours
    .map(([from, to]) => (from === 0 && to === DAY_END ? (zh ? '全天' : 'all day') : `${hhmm(from)}${zh ? '-' : '–'}${hhmm(to)}`))
    .join(zh ? '、' : ', ');
}

/** The weekly hours as text (周一至周五 18:00-21:00；周六 全天): days with the same hours
 * grouped, a run of three or more days as a range, groups in the order of their first day. */
export function formatWeekly(slots: Slot[], zh: boolean): string {
  const perDay: [number, number][][] = [[], [], [], [], [], [], []];
  for (const s of mergeSlots(slots)) perDay[s.day - 1].push([s.from_min, s.to_min]);
  const groups: { mask: number; hours: [number, number][] }[] = [];
  const same = (a: [number, number][], b: [number, number][]) => a.length === b.length && a.every((x, i) => x[0] === b[i][0] && x[1] === b[i][1]);
  perDay.forEach((hours, i) => {
    if (hours.length === 0) return;
    const g = groups.find((x) => same(x.hours, hours));
    if (g) g.mask |= 1 << i;
    else groups.push({ mask: 1 << i, hours });
  });
  return groups.map((g) => `${daysText(g.mask, zh)} ${hoursText(g.hours, zh)}`).join(zh ? '；' : '; ');
}

/** A planned slot typed as a date and two times, in the computer's local time, as epoch ms;
 * null while incomplete or when the end is not after the start. */
export function plannedSlot(date: string, from: string, to: string): [number, number] | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const a = /^(\d{1,2}):(\d{2})$/.exec(from);
  const b = /^(\d{1,2}):(\d{2})$/.exec(to);
  if (!d || !a || !b) return null;
  const at = (h: string, m: string) => new Date(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(h), Number(m)).getTime();
  const start = at(a[1], a[2]);
  const end = at(b[1], b[2]);
  return end > start ? [start, end] : null;
}
