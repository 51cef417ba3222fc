// Words for engines and runs, shared by the page and the widget (and the controller's messages).
import type { ErrorData, Trajectory } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';

/** The bundled replay demo of the page (relative to the page). */
export const DEMO_SCRIPT = 'demo/primes.json';
export const DEMO_ENGINE: EngineChoice = Object.freeze({ kind: 'replay', scriptUrl: DEMO_SCRIPT });

export const isDemo = (c: EngineChoice | undefined): boolean => c?.kind === 'replay' && c.scriptUrl === DEMO_SCRIPT && !c.turns;

export function describeChoice(c: EngineChoice): string {
  switch (c.kind) {
    case 'replay':
      return isDemo(c) ? 'Replay demo (no GPU needed)' : c.scriptUrl ? `Replay: ${c.scriptUrl}` : 'Replay of recorded turns';
    case 'openai':
      return `${c.model} @ ${c.baseUrl}`;
    case 'webllm':
      return `${c.model} (WebGPU)`;
  }
}

/** A few words for the top bar. */
export function shortChoice(c: EngineChoice): string {
  switch (c.kind) {
    case 'replay':
      return isDemo(c) ? 'Replay demo' : 'Replay';
    case 'openai':
      return c.model;
    case 'webllm':
      return c.model.replace(/-MLC$/, '');
  }
}

const steps = (n: number): string => `${n} step${n === 1 ? '' : 's'}`;

/** The status line once a run ended. Errors are shown by the error notice, not repeated here. */
export function endedStatus(t: Trajectory): string {
  switch (t.status) {
    case 'answered':
      return `Answered in ${steps(t.steps.length)}.`;
    case 'max-steps':
      return `Stopped at the step limit (${t.steps.length}) without an answer.`;
    case 'aborted':
      return 'Stopped.';
    case 'error':
      return 'Run failed.';
    default:
      return `Run ended: ${t.status}.`;
  }
}

/** The status line of a session opened from the list. */
export function sessionStatus(t: Trajectory): string {
  return `Session: ${t.status} · ${steps(t.steps.length)}`;
}

/**
 * An error of an endpoint, with what the user can do about it: a 401/403 with no key sent says that
 * keys are not kept across reloads (unless remembered on this device).
 */
export function explainEngineError(error: ErrorData, choice: EngineChoice | undefined): ErrorData {
  const status = (error.detail as { status?: unknown } | undefined)?.status;
  if (error.kind !== 'http' || (status !== 401 && status !== 403) || choice?.kind !== 'openai' || choice.apiKey) return error;
  return {
    ...error,
    message: `${error.message} No API key was sent: API keys are not kept across reloads unless “Remember the key on this device” is ticked. Enter the key again in Model.`,
  };
}
