// Files dropped on the window. The webview swallows the browser's own drop events for files
// and reports paths through Tauri's drag-drop event instead; in a plain browser (no shell)
// there is nothing to subscribe to.
import { getCurrentWebview } from '@tauri-apps/api/webview';

export type DropState = 'over' | 'left';

/** Calls `onDrop` with the first dropped path and `onHover` as a drag enters or leaves.
 * Returns the unsubscribe function (a no-op outside the shell). */
export async function onFileDrop(
  onDrop: (path: string) => void,
  onHover: (state: DropState) => void,
): Promise<() => void> {
  const internals = (window as unknown as { __TAURI_INTERNALS__?: { metadata?: unknown } }).__TAURI_INTERNALS__;
  if (!internals?.metadata) return () => {};
  const unlisten = await getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    if (p.type === 'enter' || p.type === 'over') onHover('over');
    else if (p.type === 'leave') onHover('left');
    else if (p.type === 'drop') {
      onHover('left');
      if (p.paths.length > 0) onDrop(p.paths[0]);
    }
  });
  return () => void unlisten();
}
