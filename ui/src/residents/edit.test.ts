import { describe, expect, it } from 'vitest';
import type { ResidentView } from '../lib/backend';
import { draftOf, editOf, isEmptyEdit } from './edit';

const view: ResidentView = {
  id: 'r1', name: '王秀英', sex: 'F', birth_date: '1948-03-02', age: 78,
  id_number: '3304**********1822', phone: '138****5678', street: '城南街道', community: '城南社区', grid: '第1网格',
  building: '3', unit: '2', room: '301', address: null, notes: null, tags: ['elderly_alone'], attributes: [], batch_id: null,
};

describe('detail edit', () => {
  it('sends null for everything left alone', () => {
    const d = draftOf(view, {});
    const e = editOf(d, structuredClone(d));
    expect(isEmptyEdit(e)).toBe(true);
  });

  it('sends a changed field, an empty string to clear, and the full tag list', () => {
    const d = draftOf(view, {});
    const after = { ...structuredClone(d), notes: '  独居，每周回访 ', room: '', tags: ['elderly_alone', 'disabled'] };
    expect(editOf(d, after)).toEqual({
      name: null, id_number: null, phone: null, building: null, unit: null, room: '', address: null,
      notes: '独居，每周回访', tags: ['elderly_alone', 'disabled'],
    });
  });

  it('keeps a masked number left empty, and edits a revealed one', () => {
    const hidden = draftOf(view, {});
    expect(editOf(hidden, { ...hidden, phone: '' }).phone).toBeNull();
    expect(editOf(hidden, { ...hidden, phone: '13900001111' }).phone).toBe('13900001111');
    const shown = draftOf(view, { phone: '13812345678' });
    expect(shown.phone).toBe('13812345678');
    expect(editOf(shown, { ...shown, phone: '' }).phone).toBe('');
  });
});
