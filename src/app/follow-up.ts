// Follow-up questions in the app: which session the views may ask a follow-up in, and the step
// numbers a question's run may reach (steps are numbered across the session; each question has
// its own step limit). Pure functions of the state, shared by the page and the widget.
import { turnsOf, type Trajectory } from '../protocols';
import type { AppState } from './types';

/**
 * The session a follow-up question would continue: the one shown, once its run ended (answered,
 * step limit, stopped, failed). Undefined while a run goes on, for a new empty session, and for a
 * session interrupted mid-run (reload) or running in another tab: those offer Continue instead.
 */
export function followUpTarget(s: AppState): Trajectory | undefined {
  const t = s.trajectory;
  if (s.phase !== 'idle' || !t || t.sessionId !== s.sessionId || s.interrupted) return undefined;
  return t.status === 'running' || t.status === 'interrupted' ? undefined : t;
}

/**
 * The highest step number a run may reach: `maxSteps` for a new session; after the session's last
 * step for a follow-up, or for a question continued after its step limit; else counted from the
 * question's first step (the agent's rule, see agent/session.ts).
 */
export function stepLimit(resumeFrom: Trajectory | undefined, followUp: boolean, maxSteps: number): number {
  if (!resumeFrom) return maxSteps;
  const latest = turnsOf(resumeFrom).at(-1)!;
  const before = followUp || latest.status === 'max-steps' ? resumeFrom.steps.length : latest.firstStep - 1;
  return before + maxSteps;
}
