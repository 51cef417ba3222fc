// The follow-up box under the answer, shared by the page and the widget: a question in the same
// session (same Python, notepad and conversation). When Python no longer holds the session's
// variables (a reload, Restart Python, another session ran), it says so and offers to re-run the
// saved cells first, as Continue does.
import { followUpTarget, type AppState } from '../app/index';
import { h, setChildren, uid } from './dom';
import { restorableCells } from './resume-notice';

export interface FollowUpBoxOptions {
  /** Asks the question; resolves true once it is part of the session, false when it was refused (the text comes back to edit). */
  ask(question: string, restoreCells: boolean): Promise<boolean>;
  /** Enter alone asks (the widget's small box; Shift+Enter adds a line). Ctrl+Enter always asks. */
  enterSubmits?: boolean;
  /** Class of the submit button (the page: 'primary'). */
  buttonClass?: string;
  /** The hint while a run goes on (the page: how to stop it). */
  busyHint?: string;
}

/** What the box shows for the session it continues. */
export interface FollowUpTarget {
  /** A run of this session is going on: the box stays (focus and Esc with it) but cannot ask. */
  busy: boolean;
  /** Python no longer has this session's variables (the model will be told). */
  variablesLost: boolean;
  /** Saved cells a re-run would restore (the agent's rule); 0 offers no re-run. */
  restorable: number;
}

export interface FollowUpBox {
  readonly el: HTMLElement;
  /** Shows the box for a session that can take a follow-up (or is running one), or hides it (undefined). */
  update(target: FollowUpTarget | undefined): void;
  focus(): void;
}

export function createFollowUpBox(options: FollowUpBoxOptions): FollowUpBox {
  const id = uid('follow-up');
  const input = h('textarea', { id, class: 'follow-up-input', name: 'follow-up', rows: 2, placeholder: 'Ask the next question in this session…', 'aria-describedby': `${id}-hint` });
  const rerunBox = h('input', { type: 'checkbox', class: 'follow-up-rerun' });
  const rerunLabel = h('span');
  const rerun = h('label', { class: 'follow-up-check', hidden: true }, rerunBox, ' ', rerunLabel);
  const hint = h('span', { id: `${id}-hint`, class: 'hint follow-up-hint' });
  const button = h('button', { type: 'submit', class: options.buttonClass ?? '' }, 'Ask');
  const el = h(
    'form',
    { class: 'follow-up', hidden: true },
    h('label', { for: id, class: 'follow-up-label' }, 'Follow-up question'),
    input,
    rerun,
    h('div', { class: 'follow-up-actions' }, hint, button),
  );
  let busy = false;

  async function submit(): Promise<void> {
    const question = input.value.trim();
    if (busy) return;
    if (!question) return input.focus();
    const restoreCells = !rerun.hidden && rerunBox.checked;
    // The question moves into the notebook at once; a refused one comes back to edit.
    input.value = '';
    rerunBox.checked = false;
    const asked = await options.ask(question, restoreCells).catch(() => false);
    if (asked) return;
    if (!input.value) input.value = question;
    input.focus();
  }
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  input.addEventListener('keydown', (e) => {
    const ctrl = e.ctrlKey || e.metaKey;
    if (e.key === 'Enter' && !e.isComposing && (ctrl || (options.enterSubmits && !e.shiftKey))) {
      e.preventDefault();
      void submit();
    }
  });

  return {
    el,
    update(target) {
      el.hidden = !target;
      if (!target) return;
      busy = target.busy;
      // Read-only rather than disabled while a run goes on: focus stays in the field, so Esc stops the run.
      input.readOnly = busy;
      button.disabled = busy;
      const n = target.restorable;
      const offer = !busy && target.variablesLost && n > 0;
      rerun.hidden = !offer;
      if (offer) rerunLabel.textContent = `Re-run the ${n} saved cell${n === 1 ? '' : 's'} first`;
      const keys = options.enterSubmits ? 'Enter asks' : 'Ctrl+Enter asks';
      const text = busy ? (options.busyHint ?? 'Running…') : target.variablesLost ? `${keys} · Python no longer has this session's variables (the model is told)` : `${keys} · same Python variables and notepad`;
      if (hint.textContent !== text) setChildren(hint, text);
    },
    focus() {
      input.focus();
    },
  };
}

/** What the box shows in this state, or undefined when it has no session to continue. */
export function followUpOf(s: AppState): FollowUpTarget | undefined {
  const busy = s.phase !== 'idle';
  // While a run goes on, the box stays for a session that had one before (a follow-up, a continue).
  const t = busy ? (s.trajectory?.sessionId === s.sessionId ? s.trajectory : undefined) : followUpTarget(s);
  if (!t) return undefined;
  const variablesLost = t.steps.length > 0 && s.python.session !== t.sessionId;
  return { busy, variablesLost, restorable: variablesLost ? restorableCells(t) : 0 };
}
