// Words for engines and runs, shared by the page and the widget (and the controller's messages).
import { turnsOf, type ErrorData, type Trajectory, type TrajectoryStep } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';

/** A recorded run bundled with the page: its task and its replay script (relative to the page). */
export interface Demo {
  task: string;
  script: string;
}

/** The bundled demos, one per example task (public/demo/; a unit test checks the files' tasks). */
export const DEMOS: readonly Demo[] = Object.freeze([
  { task: 'How many prime numbers are there below 10,000, and what is the largest gap between two consecutive ones?', script: 'demo/primes.json' },
  { task: 'What is the 50th Fibonacci number, and how many of its digits are even?', script: 'demo/fibonacci.json' },
  { task: 'Find all integer solutions of x² + y² = 2025 with 0 ≤ x ≤ y.', script: 'demo/squares.json' },
]);

/** The demo model (its first recording stands for all of them). */
export const DEMO_SCRIPT = DEMOS[0]!.script;
export const DEMO_ENGINE: EngineChoice = Object.freeze({ kind: 'replay', scriptUrl: DEMO_SCRIPT });

export const isDemo = (c: EngineChoice | undefined): boolean => c?.kind === 'replay' && !c.turns && DEMOS.some((d) => d.script === c.scriptUrl);

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

/** The status line once a run ended (its latest question's steps). Errors are shown by the error notice, not repeated here. */
export function endedStatus(t: Trajectory): string {
  const n = turnsOf(t).at(-1)!.steps.length;
  switch (t.status) {
    case 'answered':
      return `Answered in ${steps(n)}.`;
    case 'max-steps':
      return `Stopped at the step limit (${n}) without an answer.`;
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
  const questions = turnsOf(t).length;
  return `Session: ${t.status} · ${questions > 1 ? `${questions} questions · ` : ''}${steps(t.steps.length)}`;
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

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A step's token figures, when its engine reported them (prompt tokens above 0: an engine that sends
 * no usage is counted in chunks, not tokens, and shows nothing): generation speed over the whole
 * generation (prefill included), tokens generated, prompt tokens and how many of them came from a
 * reused prefix (KV cache), e.g. "31 tokens/s · 120 generated · 1,234 prompt tokens (1,100 reused)".
 */
export function stepStats(step: Pick<TrajectoryStep, 'usage' | 'timings'>): string | undefined {
  const u = step.usage;
  if (!u || !(u.promptTokens > 0) || !(u.completionTokens > 0)) return undefined;
  const parts: string[] = [];
  const ms = step.timings?.generateMs ?? 0;
  if (ms > 0) {
    const rate = u.completionTokens / (ms / 1000);
    parts.push(`${rate < 10 ? rate.toFixed(1) : Math.round(rate)} tokens/s`);
  }
  parts.push(`${count(u.completionTokens)} generated`);
  const reused = typeof u.prefillTokens === 'number' ? Math.max(0, u.promptTokens - u.prefillTokens) : undefined;
  parts.push(`${count(u.promptTokens)} prompt tokens${reused !== undefined ? ` (${count(reused)} reused)` : ''}`);
  return parts.join(' · ');
}
