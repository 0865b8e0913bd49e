// Light and dark: follow the OS until the official picks one, then remember the pick.
export type ThemeMode = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'jiayuan.theme';

function remembered(): ThemeMode {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // No storage: follow the system.
  }
  return 'system';
}

const query = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

export const theme = $state({ mode: remembered(), systemDark: query?.matches ?? false });

query?.addEventListener('change', (e) => {
  theme.systemDark = e.matches;
  apply();
});

export function effectiveTheme(): 'light' | 'dark' {
  if (theme.mode === 'system') return theme.systemDark ? 'dark' : 'light';
  return theme.mode;
}

export function apply(): void {
  document.documentElement.dataset.theme = effectiveTheme();
}

export function setTheme(mode: ThemeMode): void {
  theme.mode = mode;
  try {
    localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    // Still switched for this session.
  }
  apply();
}

export function toggleTheme(): void {
  setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark');
}
