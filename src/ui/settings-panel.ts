// Settings: max steps, memory budget, temperature, enabled tools, corpus upload; storage use and
// the Python warm-start snapshot (with Clear).
import type { Tool } from '../protocols';
import { toErrorData } from '../protocols';
import type { AppSettings } from '../app/index';
import { formatBytes, h, setChildren, uid } from './dom';
import type { PythonSnapshotInfo, StorageInfo } from './types';
import { readWebAccess, webAccessFieldset } from './web-access-settings';

export interface SettingsPanel {
  readonly el: HTMLElement;
  show(settings: AppSettings, tools: Tool[]): void;
  setCorpusStatus(text: string): void;
  /** Storage used by this site (sessions, Python snapshot, model weights). */
  setStorage(info: StorageInfo | undefined): void;
}

/** Reads and deletes the saved Python warm-start snapshot (PageServices.pythonSnapshot / clearPythonSnapshot). */
export interface SnapshotControls {
  read(): Promise<PythonSnapshotInfo | undefined>;
  clear(): Promise<void>;
}

function numberField(label: string, name: string, value: number, attrs: { min: number; max: number; step: number }, hint: string): HTMLElement {
  const id = uid(name);
  const hintId = `${id}-hint`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, type: 'number', value, min: attrs.min, max: attrs.max, step: attrs.step, required: true, 'aria-describedby': hintId }), h('span', { class: 'hint', id: hintId }, hint));
}

export function createSettingsPanel(onSave: (s: AppSettings) => void, onCorpus: ((files: File[]) => Promise<void>) | undefined, snapshot?: SnapshotControls): SettingsPanel {
  const form = h('form', { class: 'settings-form' });
  const corpusStatus = h('p', { class: 'hint', role: 'status' });
  const storageLine = h('p', { class: 'hint storage-use' }, 'Storage use unknown.');
  const snapshotRow = snapshot ? createSnapshotRow(snapshot) : undefined;
  const el = h('section', { class: 'settings', 'aria-labelledby': 'settings-heading' }, h('h2', { id: 'settings-heading' }, 'Settings'), form, storageLine, snapshotRow?.el);

  form.addEventListener('submit', onSubmit);

  return {
    el,
    setCorpusStatus(text) {
      corpusStatus.textContent = text;
    },
    setStorage(info) {
      storageLine.textContent =
        info?.usage === undefined
          ? 'Storage use unknown.'
          : `Storage used by this site: ${formatBytes(info.usage)} of ${formatBytes(info.quota)}${info.persisted ? ' (persistent: the browser will not evict it)' : ' (the browser may evict it under storage pressure)'}.`;
    },
    show(settings, tools) {
      void snapshotRow?.refresh();
      const toolBoxes = tools.map((t) => {
        const id = uid(`tool-${t.name}`);
        return h('div', { class: 'check-field' }, h('input', { type: 'checkbox', id, name: 'tool', value: t.name, checked: !settings.tools || settings.tools.includes(t.name) }), h('label', { for: id }, h('code', {}, t.name), ' ', h('span', { class: 'hint' }, t.description.split('. ')[0])));
      });
      const corpusId = uid('corpus');
      const corpusInput = h('input', { type: 'file', id: corpusId, multiple: true, accept: '.txt,.md,.markdown,.html,.htm,.json,text/*' });
      corpusInput.addEventListener('change', async () => {
        const files = [...(corpusInput.files ?? [])];
        if (files.length && onCorpus) await onCorpus(files);
      });
      setChildren(
        form,
        numberField('Max steps', 'maxSteps', settings.maxSteps, { min: 1, max: 100, step: 1 }, 'The run ends if no answer is submitted by then.'),
        numberField('Memory budget (tokens)', 'memoryTokens', settings.memoryTokens, { min: 0, max: 128000, step: 100 }, 'When the context grows past this, history collapses to task + notepad. 0 fits the model’s context window.'),
        numberField('Temperature', 'temperature', settings.temperature ?? 0.6, { min: 0, max: 2, step: 0.05 }, '0 is deterministic; higher is more varied.'),
        h('fieldset', { class: 'tools-field' }, h('legend', {}, 'Tools the agent may call'), toolBoxes.length ? toolBoxes : h('p', { class: 'hint' }, 'No tools available.')),
        onCorpus ? h('div', { class: 'field' }, h('label', { for: corpusId }, 'Local corpus (files searched by the corpus tool)'), corpusInput, corpusStatus) : null,
        webAccessFieldset(settings),
        h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')),
      );
    },
  };

  function read(): AppSettings {
    const data = new FormData(form);
    const num = (k: string) => Number(data.get(k));
    return { maxSteps: Math.round(num('maxSteps')), memoryTokens: Math.round(num('memoryTokens')), temperature: num('temperature'), tools: data.getAll('tool').map(String), ...readWebAccess(data) };
  }
  // Attached once: the form element lives as long as the panel.
  function onSubmit(e: Event): void {
    e.preventDefault();
    if (!form.reportValidity()) return;
    onSave(read());
  }
}

/** "Python warm-start snapshot: 14.6 MB, saved <date> [Clear]", or "none saved yet". The sandbox
 * saves the snapshot in the background after Python starts, so the row is read again on every open. */
function createSnapshotRow(snapshot: SnapshotControls): { el: HTMLElement; refresh(): Promise<void> } {
  const textId = uid('snapshot-text');
  // Focus lands here after Clear (the button goes away), and the new text is announced.
  const text = h('span', { id: textId, class: 'snapshot-text', role: 'status', tabindex: -1 }, 'Python warm-start snapshot: checking…');
  const clear = h('button', { type: 'button', class: 'small-button', 'aria-label': 'Clear the Python snapshot', 'aria-describedby': textId, hidden: true }, 'Clear');
  const el = h('p', { class: 'hint snapshot-use' }, text, ' ', clear);
  let reads = 0;

  function show(info: PythonSnapshotInfo | undefined, note = ''): void {
    text.textContent = info
      ? `Python warm-start snapshot: ${formatBytes(info.storedBytes)}, saved ${new Date(info.savedAt).toLocaleString()}.`
      : `Python warm-start snapshot: none saved yet.${note}`;
    clear.hidden = !info;
  }

  async function refresh(): Promise<void> {
    const n = ++reads; // a slow read must not overwrite a newer one (or a Clear)
    try {
      const info = await snapshot.read();
      if (n === reads) show(info);
    } catch (e) {
      if (n !== reads) return;
      text.textContent = `Python warm-start snapshot: unknown (${toErrorData(e, 'storage').message}).`;
      clear.hidden = true;
    }
  }

  clear.addEventListener('click', async () => {
    reads++;
    clear.disabled = true;
    text.textContent = 'Python warm-start snapshot: clearing…';
    try {
      await snapshot.clear();
      show(undefined, ' The next start of Python makes a new one.');
    } catch (e) {
      text.textContent = `Python warm-start snapshot: could not clear it (${toErrorData(e, 'storage').message}).`;
    } finally {
      clear.disabled = false;
    }
    text.focus();
  });

  return { el, refresh };
}
