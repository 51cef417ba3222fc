// Going back to a step of the session shown: running one cell's code again in the live Python
// ("Run this cell again"), and forking the session at a step to run on from there, perhaps with an
// edited task ("Re-run from this step"). A cell run again is the user's own look: the trajectory is
// not changed and the model never sees it (its context stays what the run recorded, so an RL export
// and the KV-cache prefix stay true).
import { toErrorData, turnsOf, type CellResult, type ErrorData, type Sandbox, type Trajectory } from '../protocols';
import type { NotebookChange } from './types';

/** Runs `code` in `sandbox`, streaming it into the step's cell as a re-run; stops when `signal` aborts. */
export async function runCellAgain(sandbox: Sandbox, step: number, code: string, signal: AbortSignal, notebook: (c: NotebookChange) => void): Promise<{ result?: CellResult; error?: ErrorData }> {
  notebook({ type: 'rerun', step });
  const onAbort = () => void sandbox.interrupt().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await sandbox.runCell(code, { onStream: (chunk) => notebook({ type: 'rerun', step, chunk }) });
    notebook({ type: 'rerun', step, result });
    return { result };
  } catch (e) {
    const error = toErrorData(e, 'sandbox');
    notebook({ type: 'rerun', step, result: { status: 'error', stdout: '', stderr: '', durationMs: 0, truncated: false, restarted: false, error: { ename: 'SandboxError', evalue: error.message, traceback: [] } } });
    return { error };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A new session that has `t`'s steps before `step` and `task` as its task, saved as interrupted so
 * a continued run goes on from `step` (its kept cells re-run first, to restore the variables). Of a
 * session with follow-ups, the questions asked after `step` are dropped: the question `step`
 * belongs to is the one that goes on (the top-level status is the latest question's).
 */
export function forkAt(t: Trajectory, step: number, task: string, now = Date.now()): Trajectory {
  const fork: Trajectory = { ...t, task, steps: t.steps.filter((s) => s.index < step), status: 'interrupted', startedAt: now };
  delete fork.finalAnswer;
  delete fork.error;
  delete fork.endedAt;
  const turns = turnsOf(t).filter((turn, i) => i === 0 || turn.firstStep <= step);
  if (Array.isArray(t.turns) && t.turns.length) {
    fork.turns = turns.map(({ index: _index, steps: _steps, ...turn }, i) => (i === 0 ? { ...turn, question: task } : turn));
    const last = fork.turns.at(-1)!;
    last.status = 'interrupted';
    delete last.finalAnswer;
    delete last.error;
    delete last.endedAt;
  }
  return fork;
}
