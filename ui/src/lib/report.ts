// The requests report as the dashboard shows it: per month, how many requests and how many kept
// every deadline. The backend's lines already hold the purged requests' tallies beside the live
// ones, so the figures do not drop when the district's retention removes old requests.
import type { TallyLine } from './backend';

export interface MonthTotal {
  month: string;
  requests: number;
  onTime: number;
}

/** Totals per month, newest first. */
export function byMonth(lines: TallyLine[]): MonthTotal[] {
  const months = new Map<string, MonthTotal>();
  for (const l of lines) {
    const m = months.get(l.month) ?? { month: l.month, requests: 0, onTime: 0 };
    m.requests += l.requests;
    m.onTime += l.on_time;
    months.set(l.month, m);
  }
  return [...months.values()].sort((a, b) => b.month.localeCompare(a.month));
}

/** Whole percent on time; null when there is nothing to count. */
export function onTimePercent(m: MonthTotal): number | null {
  return m.requests > 0 ? Math.round((m.onTime * 100) / m.requests) : null;
}
