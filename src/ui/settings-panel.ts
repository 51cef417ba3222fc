// Settings: max steps, memory budget, temperature, enabled tools, corpus upload.
import type { Tool } from '../protocols';
import { formatBytes, h, setChildren, uid } from './dom';
import type { StorageInfo, UiSettings } from './types';

export interface SettingsPanel {
  readonly el: HTMLElement;
  show(settings: UiSettings, tools: Tool[]): void;
  setCorpusStatus(text: string): void;
  /** Storage used by this site (sessions, Python snapshot, model weights). */
  setStorage(info: StorageInfo | undefined): void;
}

function numberField(label: string, name: string, value: number, attrs: { min: number; max: number; step: number }, hint: string): HTMLElement {
  const id = uid(name);
  const hintId = `${id}-hint`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, type: 'number', value, min: attrs.min, max: attrs.max, step: attrs.step, required: true, 'aria-describedby': hintId }), h('span', { class: 'hint', id: hintId }, hint));
}

export function createSettingsPanel(onSave: (s: UiSettings) => void, onCorpus: ((files: File[]) => Promise<void>) | undefined): SettingsPanel {
  const form = h('form', { class: 'settings-form' });
  const corpusStatus = h('p', { class: 'hint', role: 'status' });
  const storageLine = h('p', { class: 'hint storage-use' }, 'Storage use unknown.');
  const el = h('section', { class: 'settings', 'aria-labelledby': 'settings-heading' }, h('h2', { id: 'settings-heading' }, 'Settings'), form, storageLine);

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
      const toolBoxes = tools.map((t) => {
        const id = uid(`tool-${t.name}`);
        return h('div', { class: 'check-field' }, h('input', { type: 'checkbox', id, name: 'tool', value: t.name, checked: settings.tools.includes(t.name) }), h('label', { for: id }, h('code', {}, t.name), ' ', h('span', { class: 'hint' }, t.description.split('. ')[0])));
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
        numberField('Temperature', 'temperature', settings.temperature, { min: 0, max: 2, step: 0.05 }, '0 is deterministic; higher is more varied.'),
        h('fieldset', { class: 'tools-field' }, h('legend', {}, 'Tools the agent may call'), toolBoxes.length ? toolBoxes : h('p', { class: 'hint' }, 'No tools available.')),
        onCorpus ? h('div', { class: 'field' }, h('label', { for: corpusId }, 'Local corpus (files searched by the corpus tool)'), corpusInput, corpusStatus) : null,
        h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')),
      );
    },
  };

  function read(): UiSettings {
    const data = new FormData(form);
    const num = (k: string) => Number(data.get(k));
    return { maxSteps: Math.round(num('maxSteps')), memoryTokens: Math.round(num('memoryTokens')), temperature: num('temperature'), tools: data.getAll('tool').map(String) };
  }
  // Attached once: the form element lives as long as the panel.
  function onSubmit(e: Event): void {
    e.preventDefault();
    if (!form.reportValidity()) return;
    onSave(read());
  }
}
