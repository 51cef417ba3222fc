// Sessions sidebar: saved runs from IndexedDB: reopen, rename, delete, continue, export, import.
// Rename and Delete happen in the list itself (an inline editor, an inline confirmation), never in
// the browser's own prompt and confirm dialogs: those are blocked in sandboxed iframes, freeze the
// page and look foreign.
import type { SessionMeta } from '../protocols';
import { toErrorData } from '../protocols';
import { h, uid } from './dom';

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

/** What the user is in the middle of for one session. Kept across re-renders: the list re-renders
 * whenever the store changes (a run saving a step), and an edit must not be lost to that. */
type Pending =
  | { kind: 'rename'; id: string; value: string; error?: string; showError?: (message: string | undefined) => void }
  | { kind: 'delete'; id: string; error?: string; busy?: boolean };

/** A focusable control, named by its session and its role (`data-focus`), so focus survives a re-render. */
interface FocusTarget {
  id?: string;
  role: string;
  selection?: [number, number];
}

const titleOf = (s: SessionMeta): string => s.title || s.task || 'Untitled';
/** "3 questions · " for a session with follow-ups; nothing for one question. */
const questions = (s: SessionMeta): string => (s.questionCount !== undefined && s.questionCount > 1 ? `${s.questionCount} questions · ` : '');

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
    h('div', { class: 'panel-head' }, h('h2', { id: 'sessions-heading' }, 'Sessions'), h('button', { type: 'button', class: 'small-button', 'data-focus': 'new', onclick: () => actions.newSession() }, '+ New')),
    list,
    h('button', { type: 'button', class: 'small-button import-button', onclick: () => importInput.click() }, 'Import session (.json)'),
    importInput,
  );

  let sessions: SessionMeta[] = [];
  let activeId: string | undefined;
  let pending: Pending | undefined;
  /** True while the list is being rebuilt: the blur of a removed editor is not the user leaving it. */
  let rebuilding = false;

  function item(s: SessionMeta, active: boolean): HTMLElement {
    const title = titleOf(s);
    const li = h('li', { class: active ? 'active' : '', 'data-session-id': s.id, 'data-status': s.status });
    if (pending?.kind === 'rename' && pending.id === s.id) {
      li.append(renameEditor(s, pending));
      return li;
    }
    const openBtn = h(
      'button',
      { type: 'button', class: 'session-open', 'data-focus': 'open', 'aria-current': active ? 'true' : undefined, onclick: () => actions.open(s.id) },
      h('span', { class: 'session-title' }, title),
      h('span', { class: 'session-meta' }, `${STATUS_LABEL[s.status] ?? s.status} · ${questions(s)}${s.stepCount} step${s.stepCount === 1 ? '' : 's'} · ${new Date(s.updatedAt).toLocaleString()}`),
    );
    // Re-running restores the variables a reload lost; off by default since tool calls run again.
    const rerunBox = h('input', { type: 'checkbox', class: 'rerun-cells', 'data-focus': 'rerun' });
    const rerun = h('label', { class: 'menu-check', title: 'Runs the saved cells that worked again first, to bring the Python variables back' }, rerunBox, ' Re-run saved cells');
    const menuButton = (label: string, role: string, onclick: () => void, cls?: string) => h('button', { type: 'button', class: cls, 'data-focus': role, onclick }, label);
    const menu = h(
      'details',
      { class: 'session-menu' },
      h('summary', { 'aria-label': `Actions for ${title}`, 'data-focus': 'menu' }, '⋯'),
      h(
        'div',
        { class: 'menu-items' },
        rerun,
        menuButton('Continue', 'continue', () => actions.continue(s.id, rerunBox.checked)),
        menuButton('Rename', 'rename', () => startRename(s)),
        menuButton('Export .ipynb', 'export-ipynb', () => void actions.exportAs(s.id, 'ipynb')),
        menuButton('Export Markdown', 'export-md', () => void actions.exportAs(s.id, 'md')),
        menuButton('Export JSON', 'export-json', () => void actions.exportAs(s.id, 'json')),
        menuButton('Delete', 'delete', () => startDelete(s), 'danger'),
      ),
    );
    // Any action closes the menu, so it never lingers over the list.
    menu.addEventListener('click', (e) => {
      if ((e.target as Element).closest('button')) menu.open = false;
    });
    li.append(openBtn, menu);
    if (pending?.kind === 'delete' && pending.id === s.id) li.append(deleteConfirmation(title, pending));
    return li;
  }

  function renameEditor(s: SessionMeta, edit: Extract<Pending, { kind: 'rename' }>): HTMLElement {
    const id = uid('rename');
    const errorId = `${id}-error`;
    const input = h('input', {
      id,
      type: 'text',
      class: 'rename-input',
      value: edit.value,
      maxlength: 200,
      autocomplete: 'off',
      enterkeyhint: 'done',
      'data-focus': 'rename-input',
      'aria-label': `New name for ${titleOf(s)}`,
      'aria-describedby': errorId,
    });
    const error = h('span', { id: errorId, class: 'rename-error', 'aria-live': 'polite' });
    const form = h('form', { class: 'rename-form', 'aria-label': 'Rename session' }, input, error);
    // The message changes in place: rebuilding the field would interrupt typing.
    edit.showError = (message) => {
      edit.error = message;
      error.textContent = message ?? 'Enter saves · Esc cancels';
      error.classList.toggle('danger', !!message);
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    };
    edit.showError(edit.error);
    input.addEventListener('input', () => {
      edit.value = input.value;
      if (edit.error) edit.showError?.(undefined);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      // Handled here: the app's Escape (stop the run, close the phone drawer) must not see it.
      e.preventDefault();
      e.stopPropagation();
      endEdit({ id: s.id, role: 'menu' });
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void commitRename(s, edit, true);
    });
    input.addEventListener('blur', () => {
      if (rebuilding || !input.isConnected || pending !== edit) return;
      // Leaving the field saves a valid name and drops an empty one; focus stays where the user went.
      if (edit.value.trim()) void commitRename(s, edit, false);
      else endEdit(undefined);
    });
    return form;
  }

  async function commitRename(s: SessionMeta, edit: Extract<Pending, { kind: 'rename' }>, keyboard: boolean): Promise<void> {
    if (pending !== edit) return;
    const title = edit.value.trim();
    if (!title) {
      edit.showError?.('A name cannot be empty.');
      return;
    }
    if (title === titleOf(s)) {
      endEdit(keyboard ? { id: s.id, role: 'menu' } : undefined);
      return;
    }
    try {
      // The list re-renders from the store once saved; until then it shows the new name.
      sessions = sessions.map((x) => (x.id === s.id ? { ...x, title } : x));
      pending = undefined;
      rerender(keyboard ? { id: s.id, role: 'menu' } : undefined);
      await actions.rename(s.id, title);
    } catch (e) {
      sessions = sessions.map((x) => (x.id === s.id ? s : x));
      pending = { kind: 'rename', id: s.id, value: edit.value, error: `Could not rename: ${toErrorData(e, 'storage').message}` };
      rerender({ id: s.id, role: 'rename-input' });
    }
  }

  function deleteConfirmation(title: string, del: Extract<Pending, { kind: 'delete' }>): HTMLElement {
    const questionId = uid('delete-question');
    const row = h(
      'div',
      { class: 'confirm-delete', role: 'group', 'aria-labelledby': questionId },
      h('p', { id: questionId, class: 'confirm-text' }, del.error ?? `Delete “${title}”? This cannot be undone.`),
      h(
        'div',
        { class: 'confirm-actions' },
        h('button', { type: 'button', class: 'small-button danger-fill', 'data-focus': 'confirm-delete', onclick: () => void confirmDelete(del) }, 'Delete'),
        h('button', { type: 'button', class: 'small-button', 'data-focus': 'confirm-cancel', onclick: () => del.busy || endEdit({ id: del.id, role: 'menu' }) }, 'Cancel'),
      ),
    );
    row.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      endEdit({ id: del.id, role: 'menu' });
    });
    return row;
  }

  async function confirmDelete(del: Extract<Pending, { kind: 'delete' }>): Promise<void> {
    if (pending !== del || del.busy) return;
    // Focus moves on to the next session (or the one before, or "+ New"): never lost on <body>.
    const at = sessions.findIndex((s) => s.id === del.id);
    const neighbour = sessions[at + 1] ?? sessions[at - 1];
    del.busy = true;
    try {
      await actions.remove(del.id);
      if (pending === del) pending = undefined;
      sessions = sessions.filter((s) => s.id !== del.id);
      rerender(neighbour ? { id: neighbour.id, role: 'open' } : { role: 'new' });
    } catch (e) {
      pending = { kind: 'delete', id: del.id, error: `Could not delete: ${toErrorData(e, 'storage').message}` };
      rerender({ id: del.id, role: 'confirm-cancel' });
    }
  }

  function startRename(s: SessionMeta): void {
    pending = { kind: 'rename', id: s.id, value: titleOf(s) };
    rerender({ id: s.id, role: 'rename-input', selection: [0, titleOf(s).length] });
  }

  function startDelete(s: SessionMeta): void {
    pending = { kind: 'delete', id: s.id };
    // Cancel first: Enter on a freshly shown confirmation must not destroy anything.
    rerender({ id: s.id, role: 'confirm-cancel' });
  }

  function endEdit(focus: FocusTarget | undefined): void {
    pending = undefined;
    rerender(focus);
  }

  /** The control that has focus now, as a target that can be found again after a rebuild. */
  function currentFocus(): FocusTarget | undefined {
    const root = el.getRootNode() as Document | ShadowRoot;
    const active = root.activeElement as HTMLElement | null;
    if (!active || !el.contains(active) || !active.dataset.focus) return undefined;
    const target: FocusTarget = { id: active.closest('li')?.dataset.sessionId, role: active.dataset.focus };
    if (active instanceof HTMLInputElement && active.type === 'text') target.selection = [active.selectionStart ?? 0, active.selectionEnd ?? 0];
    return target;
  }

  function findControl(t: FocusTarget): HTMLElement | undefined {
    const scope = t.id === undefined ? el : [...list.querySelectorAll<HTMLLIElement>('li[data-session-id]')].find((li) => li.dataset.sessionId === t.id);
    return scope?.querySelector<HTMLElement>(`[data-focus="${t.role}"]`) ?? undefined;
  }

  /** The row built for each session, with what it was built from: an unchanged row is kept as it
   * is, so an open menu, a checkbox, focus and a click in progress survive a save of another step. */
  const rows = new Map<string, { signature: string; el: HTMLElement }>();

  function signature(s: SessionMeta): string {
    const p = pending?.id === s.id ? pending : undefined;
    return JSON.stringify([s.title, s.task, s.status, s.stepCount, s.updatedAt, s.id === activeId, p?.kind, p?.kind === 'delete' ? p.error : undefined]);
  }

  function rerender(focus?: FocusTarget): void {
    const target = focus ?? currentFocus();
    if (pending && !sessions.some((s) => s.id === pending!.id)) pending = undefined; // deleted elsewhere
    rebuilding = true;
    try {
      const next: HTMLElement[] = [];
      for (const s of sessions) {
        const sig = signature(s);
        const kept = rows.get(s.id);
        if (kept && kept.signature === sig) {
          next.push(kept.el);
          continue;
        }
        const el = item(s, s.id === activeId);
        // A rebuilt row keeps its menu open, with its checkbox as it was.
        const oldMenu = kept?.el.querySelector<HTMLDetailsElement>('details.session-menu[open]');
        const menu = el.querySelector<HTMLDetailsElement>('details.session-menu');
        if (oldMenu && menu && !focus) {
          menu.open = true;
          const box = menu.querySelector<HTMLInputElement>('.rerun-cells');
          if (box) box.checked = oldMenu.querySelector<HTMLInputElement>('.rerun-cells')?.checked ?? false;
        }
        rows.set(s.id, { signature: sig, el });
        next.push(el);
      }
      for (const id of rows.keys()) if (!sessions.some((s) => s.id === id)) rows.delete(id);
      placeChildren(list, next.length ? next : [h('li', { class: 'muted empty' }, 'No saved sessions yet.')]);
    } finally {
      rebuilding = false;
    }
    if (!target) return;
    const root = el.getRootNode() as Document | ShadowRoot;
    const control = findControl(target) ?? (target.role === 'open' ? el.querySelector<HTMLElement>('[data-focus="new"]') ?? undefined : undefined);
    if (!control || control === root.activeElement) return;
    control.focus();
    if (control instanceof HTMLInputElement && target.selection) control.setSelectionRange(...target.selection);
  }

  return {
    el,
    render(list, active) {
      sessions = list;
      activeId = active;
      rerender();
    },
  };
}

/** Puts `nodes` into `parent` in order, moving only what is out of place: a node that stays where
 * it is keeps focus (removing a focused node, even to put it back, would drop focus to <body>). */
function placeChildren(parent: HTMLElement, nodes: HTMLElement[]): void {
  let cursor: ChildNode | null = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next: ChildNode | null = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}
