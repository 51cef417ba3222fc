// Sessions sidebar: saved runs from IndexedDB: reopen, rename, delete, continue, export, import.
import type { SessionMeta } from '../protocols';
import { h, setChildren } from './dom';

export interface SessionsActions {
  open(id: string): void;
  /** `restoreCells`: re-run the saved cells first to bring the Python variables back. */
  continue(id: string, restoreCells: boolean): void;
  rename(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  exportAs(id: string, format: 'ipynb' | 'md' | 'json'): Promise<void>;
  importFile(file: File): Promise<void>;
  newSession(): void;
}

export interface SessionsSidebar {
  readonly el: HTMLElement;
  render(list: SessionMeta[], activeId?: string): void;
}

const STATUS_LABEL: Record<string, string> = {
  answered: 'answered',
  'max-steps': 'step limit',
  aborted: 'stopped',
  error: 'error',
  running: 'running',
  interrupted: 'interrupted',
};

export function createSessionsSidebar(actions: SessionsActions): SessionsSidebar {
  const list = h('ul', { class: 'session-list' });
  const importInput = h('input', { type: 'file', accept: '.json,application/json', class: 'visually-hidden', id: 'session-import', tabindex: -1, 'aria-hidden': 'true' });
  importInput.addEventListener('change', async () => {
    const file = importInput.files?.[0];
    if (file) await actions.importFile(file);
    importInput.value = '';
  });
  const el = h(
    'nav',
    { class: 'panel sessions', 'aria-labelledby': 'sessions-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'sessions-heading' }, 'Sessions'), h('button', { type: 'button', class: 'small-button', onclick: () => actions.newSession() }, '+ New')),
    list,
    h('button', { type: 'button', class: 'small-button import-button', onclick: () => importInput.click() }, 'Import session (.json)'),
    importInput,
  );

  function item(s: SessionMeta, active: boolean): HTMLElement {
    const title = s.title || s.task || 'Untitled';
    const openBtn = h(
      'button',
      { type: 'button', class: 'session-open', 'aria-current': active ? 'true' : undefined, onclick: () => actions.open(s.id) },
      h('span', { class: 'session-title' }, title),
      h('span', { class: 'session-meta' }, `${STATUS_LABEL[s.status] ?? s.status} · ${s.stepCount} step${s.stepCount === 1 ? '' : 's'} · ${new Date(s.updatedAt).toLocaleString()}`),
    );
    // Re-running restores the variables a reload lost; off by default since tool calls run again.
    const rerunBox = h('input', { type: 'checkbox', class: 'rerun-cells' });
    const rerun = h('label', { class: 'menu-check', title: 'Runs the saved cells that worked again first, to bring the Python variables back' }, rerunBox, ' Re-run saved cells');
    const menu = h(
      'details',
      { class: 'session-menu' },
      h('summary', { 'aria-label': `Actions for ${title}` }, '⋯'),
      h(
        'div',
        { class: 'menu-items' },
        rerun,
        h('button', { type: 'button', onclick: () => actions.continue(s.id, rerunBox.checked) }, 'Continue'),
        h('button', {
          type: 'button',
          onclick: async () => {
            const next = prompt('Rename session', title);
            if (next && next.trim()) await actions.rename(s.id, next.trim());
          },
        }, 'Rename'),
        h('button', { type: 'button', onclick: () => actions.exportAs(s.id, 'ipynb') }, 'Export .ipynb'),
        h('button', { type: 'button', onclick: () => actions.exportAs(s.id, 'md') }, 'Export Markdown'),
        h('button', { type: 'button', onclick: () => actions.exportAs(s.id, 'json') }, 'Export JSON'),
        h('button', {
          type: 'button',
          class: 'danger',
          onclick: async () => {
            if (confirm(`Delete “${title}”? This cannot be undone.`)) await actions.remove(s.id);
          },
        }, 'Delete'),
      ),
    );
    // Any action closes the menu, so it never lingers over the list.
    menu.addEventListener('click', (e) => {
      if ((e.target as Element).closest('button')) menu.open = false;
    });
    return h('li', { class: active ? 'active' : '', 'data-session-id': s.id, 'data-status': s.status }, openBtn, menu);
  }

  return {
    el,
    render(sessions, activeId) {
      // The list re-renders whenever the store changes (a run saving a step, another tab): a menu the
      // user has open stays open, with its checkbox as it was.
      const openMenu = list.querySelector<HTMLDetailsElement>('details.session-menu[open]');
      const openId = openMenu?.closest('li')?.dataset.sessionId;
      const rerunChecked = openMenu?.querySelector<HTMLInputElement>('.rerun-cells')?.checked ?? false;
      setChildren(list, sessions.length ? sessions.map((s) => item(s, s.id === activeId)) : [h('li', { class: 'muted empty' }, 'No saved sessions yet.')]);
      if (!openId) return;
      const again = [...list.querySelectorAll<HTMLLIElement>('li[data-session-id]')].find((li) => li.dataset.sessionId === openId);
      const menu = again?.querySelector<HTMLDetailsElement>('details.session-menu');
      if (!menu) return;
      menu.open = true;
      const box = menu.querySelector<HTMLInputElement>('.rerun-cells');
      if (box) box.checked = rerunChecked;
    },
  };
}
