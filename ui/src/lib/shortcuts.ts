// Keyboard shortcuts as pure logic: the frame feeds key presses in and gets an action back, so
// the rules (what works while typing, the two-key "g" sequences) are tested without a DOM.
import type { MessageKey } from './i18n/zh-CN';

export type Action =
  | 'search'
  | 'next'
  | 'prev'
  | 'open'
  | 'close'
  | 'print'
  | 'help'
  | 'go-dashboard'
  | 'go-residents'
  | 'go-import'
  | 'go-settings'
  | 'go-requests'
  | 'go-conflicts'
  | 'go-volunteers'
  | `pick-${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`
  | 'accept'
  | 'priority'
  | 'transfer'
  | 'merge'
  | 'select'
  | 'new';

/** Where the key was pressed: typing in a field, on a button or link, or anywhere else. */
export type Focus = 'text' | 'control' | 'other';

export interface KeyPress {
  key: string;
  ctrl: boolean;
  meta: boolean;
  alt: boolean;
  focus: Focus;
  /** Milliseconds, any monotonic clock (event.timeStamp). */
  time: number;
}

/** How long after "g" the second key still counts. */
export const SEQUENCE_MS = 1500;

const AFTER_G: Record<string, Action> = {
  d: 'go-dashboard',
  r: 'go-residents',
  i: 'go-import',
  s: 'go-settings',
  q: 'go-requests',
  c: 'go-conflicts',
  v: 'go-volunteers',
};

/** Single keys for triage, on the requests page (other pages ignore them). */
const TRIAGE: Record<string, Action> = {
  a: 'accept',
  p: 'priority',
  t: 'transfer',
  m: 'merge',
  x: 'select',
  n: 'new',
};

export class ShortcutReader {
  private gAt: number | null = null;

  /** The action for a key press, or null when the key belongs to someone else. */
  read(k: KeyPress): Action | null {
    const key = k.key;
    if (key === 'Escape') {
      this.gAt = null;
      return 'close';
    }
    // Ctrl+P (Cmd+P on macOS) prints the current list even from the search box; without this
    // the webview would print the whole window.
    if ((k.ctrl || k.meta) && !k.alt && key.toLowerCase() === 'p') return 'print';
    // While typing, every other key is text.
    if (k.focus === 'text' || k.ctrl || k.meta || k.alt) {
      this.gAt = null;
      return null;
    }
    if (this.gAt !== null) {
      const started = this.gAt;
      this.gAt = null;
      if (k.time - started <= SEQUENCE_MS && AFTER_G[key]) return AFTER_G[key];
    }
    switch (key) {
      case 'g':
        this.gAt = k.time;
        return null;
      case '/':
        return 'search';
      case '?':
        return 'help';
      case 'j':
      case 'ArrowDown':
        return k.focus === 'other' || key === 'j' ? 'next' : null;
      case 'k':
      case 'ArrowUp':
        return k.focus === 'other' || key === 'k' ? 'prev' : null;
      case 'Enter':
        // Enter on a focused button or link activates it; it opens the selected row only when
        // nothing else would take it.
        return k.focus === 'other' ? 'open' : null;
      default:
        if (k.focus !== 'other') return null;
        // 1–9 on the request page: send the n-th volunteer proposed.
        if (/^[1-9]$/.test(key)) return `pick-${Number(key) as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`;
        return TRIAGE[key] ?? null;
    }
  }
}

/** What the "?" overlay lists, in its order. */
export const SHORTCUT_LIST: { keys: string[]; label: MessageKey }[] = [
  { keys: ['/'], label: 'shortcut.search' },
  { keys: ['j'], label: 'shortcut.next' },
  { keys: ['k'], label: 'shortcut.prev' },
  { keys: ['Enter'], label: 'shortcut.open' },
  { keys: ['a'], label: 'shortcut.accept' },
  { keys: ['p'], label: 'shortcut.priority' },
  { keys: ['t'], label: 'shortcut.transfer' },
  { keys: ['m'], label: 'shortcut.merge' },
  { keys: ['x'], label: 'shortcut.select' },
  { keys: ['n'], label: 'shortcut.new' },
  { keys: ['1…9'], label: 'shortcut.pick' },
  { keys: ['Esc'], label: 'shortcut.close' },
  { keys: ['g', 'd'], label: 'shortcut.goDashboard' },
  { keys: ['g', 'q'], label: 'shortcut.goRequests' },
  { keys: ['g', 'v'], label: 'shortcut.goVolunteers' },
  { keys: ['g', 'r'], label: 'shortcut.goResidents' },
  { keys: ['g', 'i'], label: 'shortcut.goImport' },
  { keys: ['g', 'c'], label: 'shortcut.goConflicts' },
  { keys: ['g', 's'], label: 'shortcut.goSettings' },
  { keys: ['Ctrl', 'P'], label: 'shortcut.print' },
  { keys: ['?'], label: 'shortcut.help' },
];

/** Classifies the element a key press came from. */
export function focusOf(target: EventTarget | null): Focus {
  if (!(target instanceof HTMLElement)) return 'other';
  if (target.isContentEditable) return 'text';
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return 'text';
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return ['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes(type) ? 'control' : 'text';
  }
  if (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY') return 'control';
  return 'other';
}
