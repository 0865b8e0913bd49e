// Events the shell emits by itself (not replies to a command): the background sync loop's
// outcome after every attempt, and a running sync's progress. Outside the shell (a plain
// browser, unit tests) there is nobody to listen to, so subscribing is a no-op there.
import { listen } from '@tauri-apps/api/event';
import type { SyncProgress, SyncStatus } from './bindings';

function inShell(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

async function on<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
  if (!inShell()) return () => {};
  const unlisten = await listen<T>(event, (e) => handler(e.payload));
  return () => void unlisten();
}

/** `sync-status`: after every attempt of the background loop (about every 30 s). */
export const onSyncStatus = (handler: (s: SyncStatus) => void) => on<SyncStatus>('sync-status', handler);

/** `store-wiped`: the server revoked this computer and its stores were wiped (the message). */
export const onStoreWiped = (handler: (message: string) => void) => on<string>('store-wiped', handler);

/** `sync-progress`: a sync's push and pull phases, page by page. */
export const onSyncProgress = (handler: (p: SyncProgress) => void) => on<SyncProgress>('sync-progress', handler);
