// The notice over a session that stopped mid-run (page closed or reloaded): what was kept, what
// was lost, and the two ways to go on. Also the one-line note shown when a continued run starts.
import { turnsOf, type AgentEvent, type Trajectory } from '../protocols';
import { replayableSteps } from '../agent/index';
import { h, setChildren, uid } from './dom';

export interface ResumeNotice {
  readonly el: HTMLElement;
  /** Shows the notice for an interrupted trajectory; hides it for any other. */
  show(t: Trajectory): void;
  hide(): void;
}

/** Saved cells that a re-run would restore (the agent's own rule: ran OK, did not answer). */
export function restorableCells(t: Trajectory): number {
  return replayableSteps(t.steps).length;
}

export function createResumeNotice(onContinue: (restoreCells: boolean) => void): ResumeNotice {
  const headingId = uid('l0-interrupted');
  const text = h('p', { class: 'resume-text' });
  const plain = h('button', { type: 'button', onclick: () => onContinue(false) }, 'Continue');
  const rerun = h('button', { type: 'button', class: 'primary', onclick: () => onContinue(true) }, 'Continue and re-run cells');
  const el = h(
    'section',
    { class: 'resume-notice', hidden: true, 'aria-labelledby': headingId, 'data-status': 'interrupted' },
    h('h2', { id: headingId }, 'Interrupted'),
    text,
    h('div', { class: 'resume-actions' }, rerun, plain),
  );
  return {
    el,
    show(t) {
      if (t.status !== 'interrupted') return void (el.hidden = true);
      const n = t.steps.length;
      const cells = restorableCells(t);
      const questions = turnsOf(t).length;
      const what = questions > 1 ? `Question ${questions}` : 'This run';
      setChildren(
        text,
        n ? `${what} stopped after step ${n}, when the page was closed or reloaded. ` : `${what} stopped before its first step finished, when the page was closed or reloaded. `,
        `Its ${n} finished step${n === 1 ? '' : 's'} and the notepad were saved; Python variables were not. `,
        cells
          ? `“Continue and re-run cells” first runs the ${cells} saved cell${cells === 1 ? '' : 's'} that worked again to bring the variables back (tool calls in them run again too).`
          : 'No saved cell ran without errors, so there is nothing to re-run.',
      );
      rerun.disabled = cells === 0;
      el.hidden = false;
    },
    hide() {
      el.hidden = true;
    },
  };
}

/** The line shown in the notebook when a continued run starts. */
export function resumedNote(ev: Extract<AgentEvent, { type: 'resumed' }>): HTMLElement {
  let text: string;
  if (ev.variablesRestored) text = `Resumed: ${ev.restoredCells} saved cell${ev.restoredCells === 1 ? '' : 's'} re-run, variables restored.`;
  else if (ev.failedSteps.length) text = `Resumed: ${ev.restoredCells} saved cell(s) re-run; step(s) ${ev.failedSteps.join(', ')} failed again, so some variables are missing.`;
  else text = 'Resumed in a fresh Python: variables from earlier steps are gone (the model was told).';
  return h('p', { class: 'resumed-note', 'data-restored': String(ev.variablesRestored), role: 'note' }, text);
}
