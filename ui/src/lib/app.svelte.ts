// What the whole frame shares: the page shown, the open store, the filters' facets, and the
// overlays. Pages read it; changes go through these functions so they refresh what depends on
// the store (a store switch or an import changes counts, facets and history).
import { api, type Facets, type StoreInfo, type StoreKind, type TagFacet } from './backend';
import { locale } from './i18n/index.svelte';
import { fail } from './toasts.svelte';
import type { Action } from './shortcuts';

export type Page = 'dashboard' | 'requests' | 'volunteers' | 'residents' | 'import' | 'conflicts' | 'settings';

export const app = $state({
  page: 'dashboard' as Page,
  info: null as StoreInfo | null,
  facets: null as Facets | null,
  /** A message while a long command (building the demo) runs; null when idle. */
  busy: null as string | null,
  welcome: false,
  shortcuts: false,
  /** Bumped whenever the store's contents change, so pages reload what they show. */
  dataVersion: 0,
  /** A path dropped on the window, waiting for the import wizard to take it. */
  droppedPath: null as string | null,
  /** A file is being dragged over the window. */
  dragging: false,
  /** Set by "/" from another page: the residents page focuses its search box when it mounts. */
  focusSearch: false,
});

export function go(page: Page): void {
  app.page = page;
}

export async function refreshInfo(): Promise<void> {
  try {
    app.info = await api.appInfo();
  } catch (e) {
    fail(e);
  }
}

export async function refreshFacets(): Promise<void> {
  try {
    app.facets = await api.residentFacets();
  } catch (e) {
    fail(e);
  }
}

/** After a write that changes residents: counts, facets and every page's data. */
export async function dataChanged(): Promise<void> {
  app.dataVersion += 1;
  await Promise.all([refreshInfo(), refreshFacets()]);
}

export async function openStore(kind: StoreKind, busyText: string): Promise<boolean> {
  app.busy = busyText;
  try {
    app.info = await api.openStore(kind);
    app.dataVersion += 1;
    await refreshFacets();
    return true;
  } catch (e) {
    fail(e);
    return false;
  } finally {
    app.busy = null;
  }
}

export function tagFacet(key: string): TagFacet | undefined {
  return app.facets?.tags.find((x) => x.key === key);
}

/** A tag key's label in the current language (the key itself when the facets lack it). */
export function tagLabel(key: string): string {
  const f = tagFacet(key);
  if (!f) return key;
  if (locale.lang !== 'en') return f.label_zh;
  // The backend's English labels are lower case ("elderly living alone"); a label starts a phrase.
  return f.label_en.charAt(0).toUpperCase() + f.label_en.slice(1);
}

/** The page's own shortcut handler (the residents table); returns true when it took the key. */
let pageKeys: ((a: Action) => boolean) | null = null;

export function setPageKeys(handler: ((a: Action) => boolean) | null): void {
  pageKeys = handler;
}

export function pageKey(a: Action): boolean {
  return pageKeys ? pageKeys(a) : false;
}

/** Esc closes the innermost open thing: dialogs and panels push a closer while they are open. */
const closers: (() => void)[] = [];

export function pushCloser(close: () => void): () => void {
  closers.push(close);
  return () => {
    const i = closers.lastIndexOf(close);
    if (i >= 0) closers.splice(i, 1);
  };
}

/** Runs the innermost closer; false when nothing was open. */
export function closeTop(): boolean {
  const close = closers.at(-1);
  if (!close) return false;
  close();
  return true;
}
