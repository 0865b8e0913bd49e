// Time left on a request's clock, as an official reads it at a glance, and the colour it
// deserves. Pure: tested without a page.
import type { Escalation } from './backend';

export interface Span {
  /** A number and its unit, for the catalogue ("3 小时" / "3 h"). */
  n: number;
  unit: 'd' | 'h' | 'm';
}

/** The largest unit that says it: 2 d, 5 h, 40 min (rounded down, never "0 min" for a few seconds). */
export function span(secs: number): Span {
  const s = Math.abs(secs);
  if (s >= 2 * 86400) return { n: Math.floor(s / 86400), unit: 'd' };
  if (s >= 3600) return { n: Math.floor(s / 3600), unit: 'h' };
  return { n: Math.max(1, Math.floor(s / 60)), unit: 'm' };
}

export type Tone = 'ok' | 'soon' | 'late' | 'very-late' | 'paused' | 'none';

/** Green with time to spare, amber from the first escalation (75 %), red once overdue. */
export function tone(left: number | null, escalation: Escalation, paused: boolean): Tone {
  if (paused) return 'paused';
  if (left === null) return 'none';
  if (escalation === 'community' || escalation === 'street') return 'very-late';
  if (left < 0 || escalation === 'grid_lead') return 'late';
  if (escalation === 'warn_assignee') return 'soon';
  return 'ok';
}

/** Seconds left now, counting down from the page's reply while it stays on screen. Business
 * clocks stop outside office hours, so only continuous clocks count down locally; a business
 * clock keeps the server's figure until the next reload. */
export function leftNow(left: number | null, counting: 'continuous' | 'business' | null, since: number, now: number): number | null {
  if (left === null) return null;
  if (counting !== 'continuous') return left;
  return left - Math.floor((now - since) / 1000);
}
