// The live language: components read `t(...)` inside their markup, so switching `locale.lang`
// re-renders every string at once. The choice is remembered in localStorage.
import { en } from './en';
import { zhCN, type MessageKey } from './zh-CN';

export type Lang = 'zh-CN' | 'en';
export type { MessageKey };

const catalogues: Record<Lang, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'jiayuan.lang';

function remembered(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'zh-CN' || v === 'en') return v;
  } catch {
    // No storage (private mode, tests): the default language is fine.
  }
  return 'zh-CN';
}

export const locale = $state({ lang: remembered() });

export function setLang(lang: Lang): void {
  locale.lang = lang;
  // Unit tests run in Node, with no page.
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered across restarts, still switched now.
  }
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = catalogues[locale.lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** True when the catalogue has this key: for codes from the backend (fields, actions). */
export function hasKey(key: string): key is MessageKey {
  return key in zhCN;
}

/** A field key's label (`id_number` → 身份证号), or the key itself when unknown. */
export function fieldLabel(field: string): string {
  const key = `field.${field}`;
  return hasKey(key) ? t(key) : field;
}

/** A list as the language writes it (、 in Chinese, commas in English). */
export function list(items: string[]): string {
  return items.join(t('common.listSep'));
}

export function num(n: number): string {
  return new Intl.NumberFormat(locale.lang).format(n);
}

/** An RFC 3339 time in the official's local time, to the minute. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale.lang, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d);
}

/** How long something took, in the unit an official reads at a glance: 40 毫秒, 3.2 秒, 2 分 5 秒. */
export function duration(seconds: number): string {
  if (seconds < 0.9995) return t('common.millis', { n: Math.max(1, Math.round(seconds * 1000)) });
  if (seconds < 59.95) return t('common.seconds', { n: (Math.round(seconds * 10) / 10).toString() });
  const whole = Math.round(seconds);
  return t('common.minutes', { m: Math.floor(whole / 60), s: whole % 60 });
}

export function sexLabel(sex: string | null): string {
  if (sex === 'M' || sex === 'F') return t(`sex.${sex}`);
  return sex ?? '';
}
