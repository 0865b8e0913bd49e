// The district's volunteer reference data (skills, what each category asks, partner shops,
// settings), read once per store and shared by the volunteer pages, the dispatch panel and
// settings. A store switch or an edit in settings reads it again.
import { api, type Category, type VolunteerRefdata } from '../backend';
import { app } from '../app.svelte';
import { locale } from '../i18n/index.svelte';
import { fail } from '../toasts.svelte';

export const vol = $state({
  refdata: null as VolunteerRefdata | null,
  /** The request categories, to name them in assignments. */
  categories: [] as Category[],
  /** The store contents (app.dataVersion) the refdata was read for. */
  version: -1,
});

let loading: Promise<void> | null = null;

/** Reads the reference data unless it is current. */
export function ensureRefdata(): Promise<void> {
  if (vol.refdata && vol.version === app.dataVersion) return Promise.resolve();
  return (loading ??= (async () => {
    try {
      const version = app.dataVersion;
      [vol.refdata, vol.categories] = await Promise.all([api.volunteerRefdata(), api.requestCategories()]);
      vol.version = version;
    } catch (e) {
      fail(e);
    } finally {
      loading = null;
    }
  })());
}

/** Reads it again after an edit. */
export async function refreshRefdata(): Promise<void> {
  vol.version = -1;
  await ensureRefdata();
}

/** A skill key's label in the current language (the key itself when unknown). */
export function skillLabel(key: string): string {
  const s = vol.refdata?.skills.find((x) => x.key === key);
  if (!s) return key;
  return locale.lang === 'en' ? s.label_en : s.label_zh;
}

/** A request category's label in the current language (the key itself when unknown). */
export function categoryLabel(key: string): string {
  const c = vol.categories.find((x) => x.key === key);
  if (!c) return key;
  return locale.lang === 'en' ? c.label_en : c.label_zh;
}

/** An assignment's request label ("medicine · 降压药吃完了") with its category named. */
export function requestLabel(label: string): string {
  const at = label.indexOf(' · ');
  if (at < 0) return label;
  return `${categoryLabel(label.slice(0, at))} · ${label.slice(at + 3)}`;
}
