// Sync's codes in words: roles, operation kinds, conflicting fields and their values. Codes the
// catalogue does not know are shown as they came rather than hidden.
import { tagLabel } from '../lib/app.svelte';
import { fieldLabel, hasKey, t } from '../lib/i18n/index.svelte';
import { ago, isRole, type Ago } from '../lib/sync';

export function roleLabel(role: string | null): string {
  if (isRole(role)) return t(`sync.role.${role}`);
  return role ?? '';
}

/** "" is the whole district; otherwise the names from street down, as the server sends them. */
export function scopeLabel(scope: string | null): string {
  return scope ? scope : t('sync.wholeDistrict');
}

export function opKindLabel(kind: string): string {
  const key = `opkind.${kind}`;
  if (hasKey(key)) return t(key);
  const action = kind.startsWith('request.') ? `act.${kind.slice('request.'.length)}` : '';
  if (action && hasKey(action)) return t('conflicts.kindRequest', { action: t(action) });
  return kind;
}

export function fieldName(field: string): string {
  if (field.startsWith('tags.')) return t('conflicts.tagField', { tag: tagLabel(field.slice(5)) });
  if (field.startsWith('attributes.')) return t('conflicts.attrField', { name: field.slice(11) });
  const key = `syncfield.${field}`;
  if (hasKey(key)) return t(key);
  return fieldLabel(field);
}

/** A value as the official reads it: priorities and statuses in words, the rest as recorded
 * (the backend already masked identity numbers and phones). */
export function valueText(field: string, value: string): string {
  const key = field === 'priority' ? `priority.${value}` : field === 'status' ? `status.${value}` : '';
  if (key && hasKey(key)) return t(key);
  if (value === 'true') return t('common.yes');
  if (value === 'false') return t('common.no');
  return value;
}

export function agoText(a: Ago | null): string {
  if (!a) return '';
  return a.unit === 'now' ? t('sync.ago.now') : t(`sync.ago.${a.unit}`, { n: a.n });
}

export function lastSyncText(at: string | null, now: number): string {
  return at ? t('sync.last', { ago: agoText(ago(at, now)) }) : t('sync.never');
}
