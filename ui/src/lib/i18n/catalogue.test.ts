import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  it('have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
  });

  it('have no empty value', () => {
    for (const [lang, cat] of Object.entries({ zhCN, en })) {
      for (const [k, v] of Object.entries(cat)) expect(v.trim(), `${lang} ${k}`).not.toBe('');
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const k of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
      expect(placeholders(en[k]), k).toEqual(placeholders(zhCN[k]));
    }
  });

  it('name every field a roster column can map to', () => {
    const fields = ['name', 'sex', 'id_number', 'phone', 'street', 'community', 'grid', 'building', 'unit',
      'room', 'address', 'tags', 'notes', 'birth_date', 'attribute', 'ignore'];
    for (const f of fields) expect(zhCN).toHaveProperty(`field.${f}`);
  });
});
