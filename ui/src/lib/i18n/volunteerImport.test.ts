import { describe, expect, it } from 'vitest';
import { setLang } from './index.svelte';
import { tv, volunteerCatalogues, volunteerFieldLabel } from './volunteerImport';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the volunteer import catalogue', () => {
  const { 'zh-CN': zh, en } = volunteerCatalogues;

  it('has the same keys, none empty, with the same placeholders in both languages', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const k of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(zh[k].trim(), k).not.toBe('');
      expect(en[k].trim(), k).not.toBe('');
      expect(placeholders(en[k]), k).toEqual(placeholders(zh[k]));
    }
  });

  it('names every field a volunteer column can map to', () => {
    const fields = ['name', 'phone', 'id_number', 'street', 'community', 'grid', 'skills', 'availability',
      'capacity', 'health', 'vehicle', 'notes', 'attribute', 'ignore'];
    for (const f of fields) expect(zh).toHaveProperty(`field.${f}`);
  });

  it('follows the live language and falls back to the key for an unknown field', () => {
    setLang('en');
    expect(tv('kind.volunteers')).toBe('Import a volunteer roster');
    expect(volunteerFieldLabel('skills')).toBe('Skills');
    setLang('zh-CN');
    expect(volunteerFieldLabel('capacity')).toBe('同时任务数');
    expect(volunteerFieldLabel('nonsense')).toBe('nonsense');
  });
});
