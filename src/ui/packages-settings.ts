// Settings: Python packages. Which package source the next Python start uses (a folder with a
// pyodide-lock.json and its wheels; empty: the default), and the package files kept in this
// browser (they load offline), with their sizes and a Clear button.
import { toErrorData } from '../protocols';
import { formatBytes, h, uid } from './dom';
import type { CachedPackage, PackageSourceChoice } from './types';

export interface PackageControls {
  source(): PackageSourceChoice;
  /** Saves the package source ('' = the default) and restarts Python so it applies. */
  setSource(url: string): Promise<void>;
  list(): Promise<CachedPackage[]>;
  clear(): Promise<void>;
}

const ORIGIN: Record<PackageSourceChoice['origin'], string> = {
  link: "from this page's link (?packageBaseUrl=)",
  setting: 'saved in Settings',
  build: 'packages that came with this site',
  default: 'the official Pyodide distribution',
};

/** Lists at most this many packages by name; the rest are counted. */
const NAMED = 30;

export function createPackagesRow(controls: PackageControls): { el: HTMLElement; refresh(): Promise<void> } {
  const inputId = uid('package-source');
  const hintId = `${inputId}-hint`;
  const input = h('input', { id: inputId, type: 'url', name: 'packageBaseUrl', spellcheck: false, autocomplete: 'off', 'aria-describedby': hintId });
  const use = h('button', { type: 'button', class: 'small-button' }, 'Use');
  const sourceHint = h('span', { class: 'hint', id: hintId });
  const cacheText = h('span', { class: 'packages-text', role: 'status', tabindex: -1 }, 'Cached packages: checking…');
  const clear = h('button', { type: 'button', class: 'small-button', 'aria-label': 'Clear the cached Python packages', hidden: true }, 'Clear');
  const el = h(
    'fieldset',
    { class: 'packages-field' },
    h('legend', {}, 'Python packages'),
    h('div', { class: 'field' }, h('label', { for: inputId }, 'Package source (a folder with pyodide-lock.json and its wheels)'), h('div', { class: 'inline-field' }, input, use), sourceHint),
    h('p', { class: 'hint packages-use' }, cacheText, ' ', clear),
  );
  let reads = 0;

  function showSource(): void {
    const s = controls.source();
    input.value = s.origin === 'setting' || s.origin === 'link' ? s.url : '';
    input.placeholder = s.origin === 'setting' || s.origin === 'link' ? '' : s.url;
    const linkWins = s.origin === 'link' ? " The page's link wins over what is saved here." : '';
    sourceHint.textContent = `In use: ${s.url} (${ORIGIN[s.origin]}). Packages a cell imports load from there and are kept in this browser. Empty: the default.${linkWins}${s.warning ? ` ${s.warning}` : ''}`;
  }

  async function refresh(): Promise<void> {
    showSource();
    const n = ++reads;
    try {
      const files = await controls.list();
      if (n !== reads) return;
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      const named = files.slice(0, NAMED).map((f) => `${f.name} ${f.version} (${formatBytes(f.bytes)})`.replace(/ +/g, ' '));
      const more = files.length > NAMED ? `, and ${files.length - NAMED} more` : '';
      cacheText.textContent = files.length ? `Cached packages (${formatBytes(total)}): ${named.join(', ')}${more}.` : 'Cached packages: none yet (the first import of a package downloads it).';
      clear.hidden = files.length === 0;
    } catch (e) {
      if (n === reads) cacheText.textContent = `Cached packages: unknown (${toErrorData(e, 'storage').message}).`;
    }
  }

  async function useSource(): Promise<void> {
    use.disabled = true;
    try {
      await controls.setSource(input.value);
      showSource();
      sourceHint.textContent += ' Python was restarted to use it.';
    } catch (e) {
      sourceHint.textContent = `Not used: ${toErrorData(e).message}`;
    } finally {
      use.disabled = false;
    }
  }
  use.addEventListener('click', () => void useSource());

  async function clearCache(): Promise<void> {
    reads++;
    clear.disabled = true;
    try {
      await controls.clear();
      cacheText.textContent = 'Cached packages: cleared. The next import downloads again.';
      clear.hidden = true;
    } catch (e) {
      cacheText.textContent = `Cached packages: could not clear them (${toErrorData(e, 'storage').message}).`;
    } finally {
      clear.disabled = false;
    }
    cacheText.focus();
  }
  clear.addEventListener('click', () => void clearCache());

  return { el, refresh };
}
