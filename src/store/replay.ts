import type { Trajectory } from '../protocols';

export interface ReplayOptions {
  /** Also re-run cells that ended in an error (they may have set variables before failing). Default false. */
  includeFailed?: boolean;
}

/**
 * The cell sources to run, in order, in a fresh sandbox to restore a session's variables.
 * Skips steps whose code never ran and cells that submitted the final answer (re-running them
 * would answer again). Tool calls in the cells run again too: the caller decides whether to offer it.
 */
export function replayCells(trajectory: Pick<Trajectory, 'steps'>, options: ReplayOptions = {}): string[] {
  return [...trajectory.steps]
    .sort((a, b) => a.index - b.index)
    .filter((s) => s.cell && s.code.trim() !== '' && s.cell.finalAnswer === undefined)
    .filter((s) => options.includeFailed || s.cell!.status === 'ok')
    .map((s) => s.code);
}
