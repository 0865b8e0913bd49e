// Printing a list: fetch it (print_list is audited like an export), render the print-only
// view, let the webview's print dialog take it, then drop it.
import { tick } from 'svelte';
import { api, type PrintKind, type PrintList, type ResidentQuery } from './backend';
import { fail, notify } from './toasts.svelte';
import { t } from './i18n/index.svelte';

export const printing = $state({ list: null as PrintList | null });

export async function printList(query: ResidentQuery, kind: PrintKind): Promise<void> {
  try {
    const list = await api.printList(query, kind);
    printing.list = list;
    if (list.truncated) notify(t('res.printTruncated', { n: list.rows.length }), 'info');
    await tick();
    // Wait a frame so the view is laid out before the print snapshot is taken.
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    window.print();
  } catch (e) {
    fail(e);
  }
}

export function clearPrint(): void {
  printing.list = null;
}
