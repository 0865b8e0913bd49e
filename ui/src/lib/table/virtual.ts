// Window math for the residents table: a fixed row height, only the visible rows in the DOM,
// and blocks of rows fetched on demand. Browsers cap an element's height (Chromium and WebKit
// near 33.5 million px), so past MAX_SCROLL_PX the scroll range is compressed by a scale factor
// and rows are positioned relative to the viewport instead of the content's top.

/** Safe element height on every Tauri webview (WebView2, WKWebView, WebKitGTK). */
export const MAX_SCROLL_PX = 8_000_000;

export interface Layout {
  total: number;
  rowHeight: number;
  viewport: number;
  /** Height the rows would need (virtual pixels). */
  content: number;
  /** Height given to the scrolling element (real pixels), at most maxPx. */
  scrollHeight: number;
  /** Virtual pixels per real scrolled pixel: 1 unless the content was compressed. */
  scale: number;
}

export function layout(total: number, rowHeight: number, viewport: number, maxPx = MAX_SCROLL_PX): Layout {
  const content = Math.max(0, total) * rowHeight;
  const scrollHeight = Math.min(content, maxPx);
  const realRange = scrollHeight - viewport;
  const virtualRange = content - viewport;
  const scale = realRange > 0 && virtualRange > realRange ? virtualRange / realRange : 1;
  return { total, rowHeight, viewport, content, scrollHeight, scale };
}

/** The virtual offset (from the first row's top) shown at the viewport's top. */
export function virtualTop(scrollTop: number, l: Layout): number {
  const max = Math.max(0, l.content - l.viewport);
  return Math.min(max, Math.max(0, scrollTop * l.scale));
}

/** The real scrollTop that shows a virtual offset at the viewport's top. */
export function scrollTopFor(vTop: number, l: Layout): number {
  const max = Math.max(0, l.scrollHeight - l.viewport);
  return Math.min(max, Math.max(0, vTop / l.scale));
}

export interface Range {
  /** First and last row index to render (inclusive); last < first when there are none. */
  first: number;
  last: number;
  /** Where row `first` is drawn, in real pixels from the scrolling content's top. */
  top: number;
}

export function visibleRange(scrollTop: number, l: Layout, overscan = 8): Range {
  if (l.total <= 0) return { first: 0, last: -1, top: 0 };
  const vTop = virtualTop(scrollTop, l);
  const firstVisible = Math.floor(vTop / l.rowHeight);
  const lastVisible = Math.min(l.total - 1, Math.floor((vTop + l.viewport - 1) / l.rowHeight));
  const first = Math.max(0, firstVisible - overscan);
  const last = Math.min(l.total - 1, lastVisible + overscan);
  // Real position = where the viewport's top is, plus how far below it the row sits.
  const top = scrollTop + (first * l.rowHeight - vTop);
  return { first, last, top };
}

/** Offsets of the blocks (multiples of blockSize) that hold rows first..last. */
export function blocksFor(first: number, last: number, blockSize: number, total: number): number[] {
  const out: number[] = [];
  const end = Math.min(last, total - 1);
  if (end < first || first < 0) return out;
  for (let b = Math.floor(first / blockSize) * blockSize; b <= end; b += blockSize) out.push(b);
  return out;
}

/** The scrollTop that brings row `index` fully into view, or null when it already is. */
export function revealRow(index: number, scrollTop: number, l: Layout): number | null {
  const vTop = virtualTop(scrollTop, l);
  const rowTop = index * l.rowHeight;
  const rowBottom = rowTop + l.rowHeight;
  if (rowTop < vTop) return scrollTopFor(rowTop, l);
  if (rowBottom > vTop + l.viewport) return scrollTopFor(rowBottom - l.viewport, l);
  return null;
}
