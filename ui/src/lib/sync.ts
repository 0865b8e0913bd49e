// What the status bar and the sync pages compute from the shell's sync figures. Pure: tested
// without a page.
import type { SyncProgress, SyncStatus } from './backend';

/** A count from the shell (plain JSON numbers; `null` before the first status arrives). */
export function count(v: bigint | number | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** The dot and word in the status bar. The demo district never syncs; a revoked device and a
 * store nobody logged in to say so; otherwise the last attempt decides (no attempt yet reads as
 * offline: nothing has reached the server). */
export type Connection = 'demo' | 'logged-out' | 'revoked' | 'online' | 'offline' | 'untrusted';

export function connection(s: SyncStatus | null, isDemo: boolean): Connection {
  if (isDemo) return 'demo';
  if (!s) return 'logged-out';
  if (s.revoked) return 'revoked';
  if (!s.logged_in) return 'logged-out';
  // Right after a login nothing has been attempted yet, but the login itself reached the server.
  if (!s.last_attempt_at) return 'online';
  if (s.online) return 'online';
  // The server answered, but with a certificate this computer does not trust: waiting will not help.
  return s.last_error_code === 'untrusted' ? 'untrusted' : 'offline';
}

export type Ago = { unit: 'now' } | { unit: 'm' | 'h' | 'd'; n: number };

/** How long ago, in the largest unit that says it: just now (under a minute), 3 min, 5 h, 2 d.
 * A time slightly in the future (clocks of two machines) reads as just now. */
export function ago(iso: string, now: number): Ago | null {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  const secs = Math.max(0, (now - at) / 1000);
  if (secs < 60) return { unit: 'now' };
  if (secs < 3600) return { unit: 'm', n: Math.floor(secs / 60) };
  if (secs < 2 * 86400) return { unit: 'h', n: Math.floor(secs / 3600) };
  return { unit: 'd', n: Math.floor(secs / 86400) };
}

/** Whole percent done, never 100 before the end and never above it. */
export function percent(p: SyncProgress): number {
  const done = count(p.done);
  const total = count(p.total);
  if (total <= 0) return done > 0 ? 100 : 0;
  if (done >= total) return 100;
  return Math.min(99, Math.floor((done * 100) / total));
}

/** Roles the server knows, for the catalogue's `sync.role.*` words. */
export const ROLES = ['city_admin', 'district_supervisor', 'street_official', 'community_official', 'grid_lead', 'grid_official'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(r: string | null): r is Role {
  return r !== null && (ROLES as readonly string[]).includes(r);
}

/** Whether this official may set the district's settings (retention, deadlines): district
 * supervisors and city admins, or anyone before the first login (the server decides then). */
export function setsDistrict(role: string | null | undefined): boolean {
  return !role || role === 'city_admin' || role === 'district_supervisor';
}

/** A server address as typed: trimmed, "http(s)://" added when missing, no trailing slash. */
export function normaliseUrl(typed: string): string {
  let u = typed.trim().replace(/\/+$/, '');
  if (u && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `https://${u}`;
  return u;
}
