// The follow-up box under the answer, shared by the page and the widget: a question in the same
// session (same Python, notepad and conversation). When Python no longer holds the session's
// variables (a reload, Restart Python, another session ran), it says so and offers to re-run the
// saved cells first, as Continue does.
import { followUpTarget, type AppState } from '../app/index';
import { h, setChildren, uid } from './dom';
import { restorableCells } from './resume-notice';

export interface FollowUpBoxOptions {
  ask(question: string, restoreCells: boolean): void;
  /** Enter alone asks (the widget's small box; Shift+Enter adds a line). Ctrl+Enter always asks. */
  enterSubmits?: boolean;
  /** Class of the submit button (the page: 'primary'). */
  buttonClass?: string;
}

/** What the box shows for the session it continues. */
export interface FollowUpTarget {
  /** Python no longer has this session's variables (the model will be told). */
  variablesLost: boolean;
  /** Saved cells a re-run would restore (the agent's rule); 0 offers no re-run. */
  restorable: number;
}

export interface FollowUpBox {
  readonly el: HTMLElement;
  /** Shows the box for a session that can take a follow-up, or hides it (undefined). */
  update(target: FollowUpTarget | undefined): void;
  /** Empties the question field (once the question was asked). */
  clear(): void;
  focus(): void;
}

export function createFollowUpBox(options: FollowUpBoxOptions): FollowUpBox {
  const id = uid('follow-up');
  const input = h('textarea', { id, class: 'follow-up-input', name: 'follow-up', rows: 2, placeholder: 'Ask about this result: the variables and the notepad are still there…', 'aria-describedby': `${id}-hint` });
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

  function submit(): void {
    const question = input.value.trim();
    if (!question) return input.focus();
    options.ask(question, !rerun.hidden && rerunBox.checked);
  }
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (e) => {
    const ctrl = e.ctrlKey || e.metaKey;
    if (e.key === 'Enter' && !e.isComposing && (ctrl || (options.enterSubmits && !e.shiftKey))) {
      e.preventDefault();
      submit();
    }
  });

  return {
    el,
    update(target) {
      el.hidden = !target;
      if (!target) return;
      const offer = target.variablesLost && target.restorable > 0;
      rerun.hidden = !offer;
      if (offer) rerunLabel.textContent = `Re-run the ${target.restorable} saved cell${target.restorable === 1 ? '' : 's'} first`;
      const keys = options.enterSubmits ? 'Enter asks' : 'Ctrl+Enter asks';
      setChildren(hint, target.variablesLost ? `${keys} · Python no longer has this session's variables (the model is told)` : `${keys} · same Python variables and notepad`);
    },
    clear() {
      input.value = '';
      rerunBox.checked = false;
    },
    focus() {
      input.focus();
    },
  };
}

/** What the box shows in this state, or undefined when no follow-up can be asked now. */
export function followUpOf(s: AppState): FollowUpTarget | undefined {
  const t = followUpTarget(s);
  if (!t) return undefined;
  const variablesLost = t.steps.length > 0 && s.python.session !== t.sessionId;
  return { variablesLost, restorable: variablesLost ? restorableCells(t) : 0 };
}
