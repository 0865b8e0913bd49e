// The app lock as the page sees it. The backend holds the lock (every command but the lock's
// own is refused while it is on); the page shows the lock screen, locks on demand, and locks
// after the district's idle time without keyboard or pointer.
import { api, toApiError } from './backend';
import type { LockState } from './backend';

export const lock = $state<{ state: LockState | null }>({ state: null });

let lastActivity = Date.now();

export async function refreshLock(): Promise<void> {
  try {
    lock.state = await api.lockState();
  } catch {
    // No store open yet: nothing to lock.
  }
}

export async function lockNow(): Promise<void> {
  lock.state = await api.lockNow();
}

export async function openLock(password: string): Promise<void> {
  lock.state = await api.lockOpen(password);
  lastActivity = Date.now();
}

/** True for the error every command gives while the app is locked. */
export function isLockedError(e: unknown): boolean {
  return toApiError(e).code === 'locked';
}

/** Watches for activity and locks after the idle time; returns the stop function. */
export function watchIdle(): () => void {
  const seen = () => (lastActivity = Date.now());
  const events = ['keydown', 'pointerdown', 'pointermove', 'wheel'] as const;
  for (const e of events) window.addEventListener(e, seen, { passive: true });
  const timer = setInterval(() => {
    const s = lock.state;
    if (!s || s.locked || s.by === 'nothing') return;
    if (Date.now() - lastActivity >= s.idle_minutes * 60_000) void lockNow().catch(() => {});
  }, 5_000);
  return () => {
    clearInterval(timer);
    for (const e of events) window.removeEventListener(e, seen);
  };
}
