/**
 * The session a run works on: a new one, or a saved one continued (its latest question resumed,
 * or a follow-up question added). Steps are numbered across the session; each question has its
 * own step budget. The top-level status, answer, error and end time of a trajectory mirror its
 * latest question (`syncLatestTurn` copies them onto it before every save).
 */
import { turnsOf, type RunSettings, type Trajectory, type TrajectoryTurn } from '../protocols';
import { resumeNotesOf } from './context';

export type SessionTrajectory = Trajectory & { turns: TrajectoryTurn[] };

export interface NewSession {
  sessionId: string;
  question: string;
  systemPrompt: string;
  modelId: string;
  settings: RunSettings;
  now: number;
}

export function newSession(s: NewSession): SessionTrajectory {
  return {
    version: 1,
    sessionId: s.sessionId,
    task: s.question,
    systemPrompt: s.systemPrompt,
    modelId: s.modelId,
    settings: s.settings,
    steps: [],
    status: 'running',
    formatErrorCount: 0,
    startedAt: s.now,
    turns: [{ question: s.question, firstStep: 1, status: 'running', startedAt: s.now }],
  };
}

export interface ContinuedSession {
  traj: SessionTrajectory;
  /** Steps of the session before the question's step budget began. */
  stepsBefore: number;
}

/**
 * A saved session, running again: with `followUp` a new question opens after its last step;
 * without, its latest question goes on (one stopped at its step limit gets a new budget, any other
 * goes on counting from its first step). Trajectories saved before follow-ups get their `turns`.
 */
export function continueSession(saved: Trajectory, settings: RunSettings, followUp: string | undefined, now: number): ContinuedSession {
  const turns = turnsOf(saved).map(({ index: _i, steps: _s, ...turn }): TrajectoryTurn => turn);
  const traj: SessionTrajectory = { ...saved, steps: [...saved.steps], turns, settings: { ...saved.settings, ...settings }, status: 'running', error: undefined, endedAt: undefined };
  const latest = turns[turns.length - 1];
  if (followUp !== undefined) {
    // A resume note for a step that never came (a resume stopped before it) joins the question's message.
    const notes = resumeNotesOf(traj);
    const pending = notes.filter((n) => n.beforeStep > traj.steps.length).at(-1);
    if (pending) traj.settings.resumeNotes = notes.filter((n) => n.beforeStep <= traj.steps.length);
    turns.push({ question: followUp.trim(), firstStep: traj.steps.length + 1, status: 'running', startedAt: now, ...(pending && { note: pending.note }) });
    traj.finalAnswer = undefined;
    return { traj, stepsBefore: traj.steps.length };
  }
  const { error: _e, endedAt: _t, ...rest } = latest;
  turns[turns.length - 1] = { ...rest, status: 'running' };
  return { traj, stepsBefore: latest.status === 'max-steps' ? traj.steps.length : latest.firstStep - 1 };
}

/** The latest question takes the session's status, answer, error and end time. */
export function syncLatestTurn(traj: SessionTrajectory): void {
  const i = traj.turns.length - 1;
  const { finalAnswer, error, endedAt, status } = traj;
  const { finalAnswer: _a, error: _e, endedAt: _t, ...rest } = traj.turns[i];
  traj.turns[i] = { ...rest, status, ...(finalAnswer !== undefined && { finalAnswer }), ...(error && { error }), ...(endedAt !== undefined && { endedAt }) };
}
