import { describe, expect, it } from 'vitest';
import { SEQUENCE_MS, ShortcutReader, type KeyPress } from './shortcuts';

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({
  key, ctrl: false, meta: false, alt: false, focus: 'other', time: 0, ...extra,
});

describe('shortcuts', () => {
  it('maps single keys to actions outside text fields', () => {
    const r = new ShortcutReader();
    expect(r.read(press('/'))).toBe('search');
    expect(r.read(press('j'))).toBe('next');
    expect(r.read(press('k'))).toBe('prev');
    expect(r.read(press('Enter'))).toBe('open');
    expect(r.read(press('?'))).toBe('help');
    expect(r.read(press('Escape'))).toBe('close');
    expect(r.read(press('z'))).toBeNull();
  });

  it('maps the triage keys outside text fields only', () => {
    const r = new ShortcutReader();
    expect(r.read(press('a'))).toBe('accept');
    expect(r.read(press('p'))).toBe('priority');
    expect(r.read(press('t'))).toBe('transfer');
    expect(r.read(press('m'))).toBe('merge');
    expect(r.read(press('x'))).toBe('select');
    expect(r.read(press('n'))).toBe('new');
    expect(r.read({ ...press('a'), focus: 'text' })).toBeNull();
    expect(r.read({ ...press('a'), focus: 'control' })).toBeNull();
    r.read(press('g'));
    expect(r.read(press('q'))).toBe('go-requests');
  });

  it('reads 1–9 as sending the n-th proposed volunteer, outside text fields only', () => {
    const r = new ShortcutReader();
    expect(r.read(press('1'))).toBe('pick-1');
    expect(r.read(press('9'))).toBe('pick-9');
    expect(r.read(press('0'))).toBeNull();
    expect(r.read(press('3', { focus: 'text' }))).toBeNull();
    expect(r.read(press('3', { focus: 'control' }))).toBeNull();
  });

  it('leaves typed letters to the text field, but Esc and Ctrl+P still act', () => {
    const r = new ShortcutReader();
    for (const k of ['/', 'j', 'k', '?', 'g', 'Enter']) expect(r.read(press(k, { focus: 'text' }))).toBeNull();
    expect(r.read(press('Escape', { focus: 'text' }))).toBe('close');
    expect(r.read(press('p', { focus: 'text', ctrl: true }))).toBe('print');
    expect(r.read(press('P', { meta: true }))).toBe('print');
  });

  it('lets Enter activate a focused button instead of opening a row', () => {
    const r = new ShortcutReader();
    expect(r.read(press('Enter', { focus: 'control' }))).toBeNull();
    expect(r.read(press('j', { focus: 'control' }))).toBe('next');
  });

  it('reads g then a letter as a page jump', () => {
    const r = new ShortcutReader();
    const pages = { d: 'go-dashboard', r: 'go-residents', i: 'go-import', s: 'go-settings', c: 'go-conflicts', v: 'go-volunteers' } as const;
    for (const [k, action] of Object.entries(pages)) {
      expect(r.read(press('g', { time: 1000 }))).toBeNull();
      expect(r.read(press(k, { time: 1200 }))).toBe(action);
    }
  });

  it('forgets a g pressed too long ago, or followed by another key', () => {
    const r = new ShortcutReader();
    r.read(press('g', { time: 0 }));
    expect(r.read(press('d', { time: SEQUENCE_MS + 1 }))).toBeNull();
    r.read(press('g', { time: 0 }));
    expect(r.read(press('j', { time: 10 }))).toBe('next');
    expect(r.read(press('d', { time: 20 }))).toBeNull();
  });

  it('ignores modified keys other than Ctrl+P', () => {
    const r = new ShortcutReader();
    expect(r.read(press('j', { ctrl: true }))).toBeNull();
    expect(r.read(press('p', { alt: true, ctrl: true }))).toBeNull();
  });
});
