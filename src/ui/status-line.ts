// What is happening, in one line: the controller's status text, the step and the clock of a run,
// and (on the page) Python's state with a Restart button when it failed. Plus the error notice:
// the one place an error is shown. Shared by the page and the widget.
import type { AppState } from '../app/index';
import type { ErrorData } from '../protocols';
import { formatMs, h } from './dom';

export interface StatusLine {
  readonly el: HTMLElement;
  update(state: AppState): void;
  dispose(): void;
}

/** The page's line: status, "Step 3 / 12", elapsed time, Python's state (and Restart Python). */
export function createStatusLine(onRestartPython: () => void): StatusLine {
  const text = h('span', { class: 'status-text', role: 'status', 'aria-live': 'polite' });
  const step = h('span', { class: 'step-counter' });
  const elapsed = h('span', { class: 'elapsed' });
  const python = h('span', { class: 'python-status', role: 'status' }, 'Python: starting…');
  const restart = h('button', { type: 'button', class: 'small-button restart-python', hidden: true, onclick: () => onRestartPython() }, 'Restart Python');
  const el = h('div', { class: 'run-status' }, text, step, elapsed, python, restart);
  let timer: ReturnType<typeof setInterval> | undefined;
  let startedAt: number | undefined;

  const tick = () => startedAt !== undefined && (elapsed.textContent = formatMs(Date.now() - startedAt));
  return {
    el,
    update(s) {
      text.textContent = s.status;
      step.textContent = s.phase !== 'idle' && s.step ? `Step ${s.step} / ${s.maxSteps}` : '';
      python.textContent = s.python.message || 'Python: starting…';
      restart.hidden = s.python.state !== 'failed' || s.phase !== 'idle';
      if (s.startedAt !== startedAt) {
        startedAt = s.startedAt;
        elapsed.textContent = '';
      }
      // The clock runs while a run does and keeps its last value after.
      if (s.phase !== 'idle' && !timer) timer = setInterval(tick, 250);
      if (s.phase === 'idle' && timer) {
        tick();
        clearInterval(timer);
        timer = undefined;
      }
    },
    dispose() {
      clearInterval(timer);
    },
  };
}

/** The widget's line: the status, or the step while a run goes on. */
export function compactStatus(s: AppState): string {
  return s.phase === 'running' && s.step ? `Step ${s.step} of at most ${s.maxSteps}` : s.status;
}

/** "kind: message", as the page and the widget show an error. */
function errorText(e: ErrorData): string {
  return `${e.kind}: ${e.message}`;
}

/** The error notice (role alert): shows `error`, else `warning`, else nothing. */
export function showNotice(el: HTMLElement, error: ErrorData | undefined, warning?: ErrorData): void {
  const shown = error ?? warning;
  const text = shown ? errorText(shown) : '';
  el.hidden = !shown;
  if (el.textContent !== text) el.textContent = text;
}
