// Sync as the frame shares it: the shell's latest status, a running sync's progress, and the
// actions (sync now, log in and out). The status bar, the settings section, the conflicts page
// and the sidebar read it; the shell's events and a poll keep it current.
import { api, onStoreWiped, onSyncProgress, onSyncStatus, toApiError, type SyncProgress, type SyncReport, type SyncStatus } from './backend';
import { app, dataChanged } from './app.svelte';
import { num, t } from './i18n/index.svelte';
import { count } from './sync';
import { fail, notify } from './toasts.svelte';

export const sync = $state({
  status: null as SyncStatus | null,
  /** The running sync's latest step; null when no sync runs. */
  progress: null as SyncProgress | null,
  /** The running sync is this store's first (it never synced before): the big bar shows. */
  first: false,
  /** "Sync now" waits for its reply. */
  running: false,
  /** Bumped whenever the conflicts or refusals may have changed, so the page reloads. */
  version: 0,
  /** The clock relative times are read against; ticks while the app is open. */
  now: Date.now(),
});

/** A progress event missed its end (the shell's status event lost, say): the bar goes after
 * this long without news rather than stay forever. */
const STALE_PROGRESS_MS = 20_000;
let staleTimer: ReturnType<typeof setTimeout> | undefined;

function clearProgress(): void {
  clearTimeout(staleTimer);
  sync.progress = null;
  sync.first = false;
}

/** Takes a status from the shell and tells the pages what changed with it. */
function take(next: SyncStatus): void {
  const before = sync.status;
  sync.status = next;
  if (!before) return;
  if (count(before.conflicts) !== count(next.conflicts) || count(before.cursor) !== count(next.cursor)) sync.version += 1;
  // New rows arrived from the server: counts, lists and facets are stale.
  if (count(before.cursor) !== count(next.cursor)) void dataChanged();
}

export async function refreshSync(): Promise<void> {
  try {
    take(await api.syncStatus());
  } catch (e) {
    fail(e);
  }
}

function progressed(p: SyncProgress): void {
  if (!sync.progress) sync.first = !sync.status?.last_sync_at;
  sync.progress = p;
  clearTimeout(staleTimer);
  staleTimer = setTimeout(clearProgress, STALE_PROGRESS_MS);
}

/** Subscribes to the shell's events and polls; returns the unsubscribe for the frame. */
export function startSync(): () => void {
  let stops: (() => void)[] = [];
  let stopped = false;
  Promise.all([
    onSyncStatus((s) => {
      clearProgress();
      take(s);
    }),
    onSyncProgress(progressed),
    onStoreWiped(() => wiped()),
  ])
    .then((s) => (stopped ? s.forEach((f) => f()) : (stops = s)))
    .catch(fail);
  void refreshSync();
  // The shell reports each attempt itself; the poll catches what changes between attempts
  // (an edit here adds an op waiting to be sent), and the tick moves "3 min ago" on.
  const poll = setInterval(() => void refreshSync(), 30_000);
  const tick = setInterval(() => (sync.now = Date.now()), 15_000);
  return () => {
    stopped = true;
    stops.forEach((f) => f());
    clearInterval(poll);
    clearInterval(tick);
    clearTimeout(staleTimer);
  };
}

function reported(r: SyncReport): void {
  if (r.rejected > 0) notify(t('sync.refusedNow', { n: num(r.rejected) }), 'error');
  else notify(t('sync.doneNow', { pushed: num(r.pushed), pulled: num(r.pulled) }));
}

/** "Sync now": push and pull at once, then the status again (also after a failure, which the
 * status records as the last error). */
export async function syncNow(): Promise<void> {
  if (sync.running) return;
  sync.running = true;
  try {
    const r = await api.syncNow();
    reported(r);
    sync.version += 1;
    if (r.pulled > 0 || r.rejected > 0) void dataChanged();
  } catch (e) {
    if (toApiError(e).code === 'wiped') return wiped();
    fail(e);
  } finally {
    sync.running = false;
    clearProgress();
    sync.now = Date.now();
    await refreshSync();
  }
}

export async function login(serverUrl: string, username: string, password: string): Promise<void> {
  // Errors go back to the form, which shows them beside the fields.
  sync.status = await api.syncLogin(serverUrl, username, password);
  sync.version += 1;
  // A store that took the account's district has a new name for the title and status bar.
  void dataChanged();
}

export async function logout(): Promise<boolean> {
  try {
    sync.status = await api.syncLogout();
    sync.version += 1;
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}

/** After a store switch the other store has its own login and figures. */
export function storeSwitched(): void {
  clearProgress();
  void refreshSync();
}

export const isDemo = () => app.info?.is_demo ?? false;

const WIPED_KEY = 'jiayuan.wiped';

/** The stores were wiped (this computer was revoked): the page starts again on the fresh
 *  store and says why once it has. */
export function wiped(): void {
  try {
    sessionStorage.setItem(WIPED_KEY, t('sync.wiped'));
  } catch {
    // Without storage the reload still happens; only the explanation is lost.
  }
  location.reload();
}

/** After a reload: why the stores were wiped, once. */
export function takeWipedMessage(): string | null {
  try {
    const m = sessionStorage.getItem(WIPED_KEY);
    sessionStorage.removeItem(WIPED_KEY);
    return m;
  } catch {
    return null;
  }
}
