// Messages for the official: errors carry the backend's ApiError.message, so no failure passes
// unseen. Errors stay until dismissed; confirmations fade.
import { toApiError } from './backend';
import { t } from './i18n/index.svelte';

export interface Toast {
  id: number;
  kind: 'error' | 'ok' | 'info';
  text: string;
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function notify(text: string, kind: Toast['kind'] = 'ok'): void {
  const id = next++;
  toasts.push({ id, kind, text });
  if (kind !== 'error') setTimeout(() => dismiss(id), 6000);
}

/** Shows a failed command's message. */
export function fail(e: unknown): void {
  const err = toApiError(e);
  // While the app or its store is locked every command says so; the lock screen, or the
  // passphrase screen, already does.
  if (err.code === 'locked' || err.code === 'store_locked' || err.code === 'store_needs_passphrase') return;
  notify(t('common.error', { message: err.message }), 'error');
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((x) => x.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
