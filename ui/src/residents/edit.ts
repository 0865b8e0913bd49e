// What the detail panel's edit form sends: null for every field left as it was, "" to clear,
// and the full tag list only when it changed (resident_update's contract).
import type { ResidentEdit, ResidentView } from '../lib/backend';

export const EDIT_FIELDS = ['name', 'id_number', 'phone', 'building', 'unit', 'room', 'address', 'notes'] as const;
export type EditField = (typeof EDIT_FIELDS)[number];
export type Draft = Record<EditField, string> & { tags: string[] };

/** The form's starting values. Identity number and phone are masked in the view: their
 * inputs start with the revealed value when there is one, else empty (= keep). */
export function draftOf(r: ResidentView, revealed: { id_number?: string; phone?: string }): Draft {
  return {
    name: r.name,
    id_number: revealed.id_number ?? '',
    phone: revealed.phone ?? '',
    building: r.building ?? '',
    unit: r.unit ?? '',
    room: r.room ?? '',
    address: r.address ?? '',
    notes: r.notes ?? '',
    tags: [...r.tags],
  };
}

export function editOf(before: Draft, after: Draft): ResidentEdit {
  const edit: ResidentEdit = {
    name: null, id_number: null, phone: null, building: null, unit: null, room: null,
    address: null, notes: null, tags: null,
  };
  for (const f of EDIT_FIELDS) {
    const was = before[f].trim();
    const now = after[f].trim();
    if (now === was) continue;
    // A masked value never revealed starts empty: leaving it empty keeps it.
    if ((f === 'id_number' || f === 'phone') && was === '' && now === '') continue;
    edit[f] = now;
  }
  const same = before.tags.length === after.tags.length && before.tags.every((x) => after.tags.includes(x));
  if (!same) edit.tags = [...after.tags];
  return edit;
}

export function isEmptyEdit(e: ResidentEdit): boolean {
  return Object.values(e).every((v) => v === null);
}
