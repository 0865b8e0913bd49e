// Volunteers' codes in words, pure apart from the live language: why the ranking put someone
// where it did (each Reason of dispatch_suggest as a short chip), a track record as a
// reliability figure, and which records an official can make on an assignment now (the
// backend's forward-only status machine, mirrored so only possible buttons show).
import type { Assignment, AssignmentStatus, Move, Reason, Track } from '../backend';
import { list, locale, t } from '../i18n/index.svelte';

/** Done-or-missed tasks below which a record says too little (the ranking's TRACK_MIN). */
export const TRACK_MIN = 3;

export type Reliability =
  | { known: false; tasks: number }
  | { known: true; percent: number; done: number; noShow: number; late: number };

/** Percent of tasks done among done and missed, rounded down, as the ranking counts it. */
export function reliability(track: Track): Reliability {
  const tasks = track.done + track.no_show;
  if (tasks < TRACK_MIN) return { known: false, tasks };
  return { known: true, percent: Math.floor((track.done * 100) / tasks), done: track.done, noShow: track.no_show, late: track.late };
}

/** "92%", or "new" under three tasks. */
export function reliabilityShort(track: Track): string {
  const r = reliability(track);
  return r.known ? `${r.percent}%` : t('vol.new');
}

/** The figures behind it: done, no-shows, late. */
export function reliabilityDetail(track: Track): string {
  return t('vol.trackDetail', { done: track.done, no: track.no_show, late: track.late });
}

export type Tone = 'good' | 'info' | 'warn' | 'bad' | 'block';

/** A time of the coming days as an official says it on the phone: 03-02 18:00. */
export function shortTime(ms: number): string {
  return new Intl.DateTimeFormat(locale.lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms));
}

/** A window's end, with the day only when it differs from the start's. */
export function windowText(from: number, to: number): string {
  const a = new Date(from);
  const b = new Date(to);
  const sameDay = a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  const end = sameDay
    ? new Intl.DateTimeFormat(locale.lang, { hour: '2-digit', minute: '2-digit', hour12: false }).format(b)
    : shortTime(to);
  return `${shortTime(from)}–${end}`;
}

export function healthLabel(h: string): string {
  return t(`health.${h}` as 'health.well');
}

/** One reason of the ranking as a short chip; `skill` names a skill key. */
export function reasonText(r: Reason, skill: (key: string) => string): string {
  switch (r.code) {
    case 'skills': {
      const has = list(r.matched.map(skill));
      const lacks = list(r.missing.map(skill));
      if (r.missing.length === 0) return t('vr.skills', { has });
      if (r.matched.length === 0) return t('vr.skillsMissing', { lacks });
      return t('vr.skillsSome', { has, lacks });
    }
    case 'unavailable':
      return r.next_from_ms === null ? t('vr.unavailable') : t('vr.unavailableUntil', { at: shortTime(r.next_from_ms) });
    case 'load':
      return t('vr.load', { x: r.current, y: r.capacity });
    case 'at_capacity':
      return t('vr.at_capacity', { n: r.capacity });
    case 'overlap':
      return t('vr.overlap', { at: windowText(r.from_ms, r.to_ms) });
    case 'reliability':
      return t('vr.reliability', { p: r.percent });
    case 'health':
      return healthLabel(r.status);
    default:
      return t(`vr.${r.code}`);
  }
}

/** More about a reason, for its tooltip (the reliability's figures). */
export function reasonDetail(r: Reason): string {
  if (r.code === 'reliability') return t('vol.trackDetail', { done: r.done, no: r.no_show, late: r.late });
  return '';
}

/** How a reason weighs: for, neutral, against, or why the volunteer cannot be sent. */
export function reasonTone(r: Reason): Tone {
  switch (r.code) {
    case 'same_grid':
    case 'same_community':
    case 'available_now':
    case 'available_then':
      return 'good';
    case 'skills':
      return r.missing.length === 0 ? 'good' : r.matched.length === 0 ? 'bad' : 'warn';
    case 'reliability':
      return r.percent >= 90 ? 'good' : r.percent < 70 ? 'bad' : 'info';
    case 'unavailable':
    case 'outside_hours':
    case 'missed_last_task':
      return 'bad';
    case 'load':
      return 'warn';
    case 'at_capacity':
    case 'overlap':
    case 'health':
    case 'inactive':
      return 'block';
    default:
      return 'info';
  }
}

/** The records an official can make on an assignment in this status (assignment::next). */
export function movesFor(status: AssignmentStatus): Move[] {
  switch (status) {
    case 'proposed':
      return ['accept', 'decline', 'start', 'done', 'no_show', 'release'];
    case 'accepted':
      return ['decline', 'start', 'done', 'no_show', 'release'];
    case 'started':
      return ['done', 'release'];
    default:
      return [];
  }
}

/** A move that needs the official to say why (the history keeps it). */
export function needsReason(m: Move): boolean {
  return m === 'decline' || m === 'release';
}

/** Still holding the volunteer. */
export function isActive(status: AssignmentStatus): boolean {
  return status === 'proposed' || status === 'accepted' || status === 'started';
}

/** Done and not yet confirmed: the official confirms the service, which earns the points. */
export function canConfirm(a: Assignment): boolean {
  return a.status === 'done' && a.confirmed_by === null;
}
