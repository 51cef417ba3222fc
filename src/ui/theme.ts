// Dark/light theme: follows prefers-color-scheme until the user picks one with the toggle.
const KEY = 'l0-theme';

export type Theme = 'light' | 'dark';

export function initialTheme(): Theme {
  const saved = safeGet();
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function saveTheme(t: Theme): void {
  try {
    localStorage.setItem(KEY, t);
  } catch {
    // Storage can be blocked (private mode, sandboxed frames): the theme just is not remembered.
  }
}

function safeGet(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}
