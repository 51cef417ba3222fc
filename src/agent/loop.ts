/**
 * The NB-Agent run: Think -> Code -> Observe until an answer, the step limit, an abort or a fatal
 * error, for one question of a session (a new one, a follow-up, or the latest one continued).
 * This file is the whole loop; its pieces live in run-state.ts (and resume.ts).
 *
 * `runAgent` starts the run at once and returns an `AgentRun`: iterate it (once) for the events,
 * and/or await `trajectory`, which always resolves (errors are in `trajectory.error`, never thrown).
 * Events are buffered, so a consumer that starts late misses nothing it needs (channel.ts says
 * what is merged while nobody reads, and that a consumer that breaks out stops the buffering).
 */
import { toErrorData, type AgentEvent, type Trajectory } from '../protocols';
import { compactAgentEvent, createChannel } from './channel';
import { reasonNotRun } from './context';
import { parseStep } from './parse';
import { isAnswered, prepareResume, returnAsIs } from './resume';
import { createRun, executeCell, fitMemory, generateTurn, recordStep, restoreNotepad, saveHeader, stepsUsed, type RunAgentOptions } from './run-state';

export type { RunAgentOptions } from './run-state';

export interface AgentRun extends AsyncIterable<AgentEvent> {
  /** The final trajectory (also delivered by the 'done' event). */
  trajectory: Promise<Trajectory>;
}

export function runAgent(options: RunAgentOptions): AgentRun {
  const events = createChannel<AgentEvent>(compactAgentEvent);
  const trajectory = runLoop(options, (e) => events.push(e)).finally(() => events.close());
  return { trajectory, [Symbol.asyncIterator]: () => events[Symbol.asyncIterator]() };
}

async function runLoop(options: RunAgentOptions, emit: (e: AgentEvent) => void): Promise<Trajectory> {
  const { resumeFrom, followUp } = options;
  if (resumeFrom && followUp !== undefined && !followUp.trim()) return returnAsIs(resumeFrom, emit, { kind: 'internal', message: 'The follow-up question is empty.' });
  if (followUp === undefined && isAnswered(resumeFrom)) return returnAsIs(resumeFrom, emit);
  const run = createRun(options, emit);
  const { traj, signal } = run;
  const turn = traj.turns.at(-1)!;
  emit({ type: 'start', sessionId: traj.sessionId, task: traj.task, turn: traj.turns.length, question: turn.question, followUp: run.followUp });
  try {
    await prepareResume(run, !!options.restoreCells);
    await restoreNotepad(run);
    while (traj.status === 'running') {
      if (signal?.aborted) traj.status = 'aborted';
      else if (stepsUsed(run) >= run.maxSteps) traj.status = 'max-steps'; // per question
      if (traj.status !== 'running') break;

      const index = traj.steps.length + 1;
      const startedAt = Date.now();
      const collapsed = await fitMemory(run);
      emit({ type: 'step-start', step: index, collapsed });
      const turn = await generateTurn(run, index);
      if (turn.finishReason === 'abort') {
        traj.status = 'aborted'; // nothing ran: the partial turn is not recorded as a step
        break;
      }

      const parsed = parseStep(turn.text, { finishReason: turn.finishReason, eocMarker: run.eocMarker });
      emit({ type: 'code', step: index, code: parsed.code, formatErrors: parsed.formatErrors });
      const cell = reasonNotRun(parsed, turn.finishReason) ? undefined : await executeCell(run, index, parsed.code);
      await recordStep(run, { index, turn, parsed, cell, collapsed, startedAt });

      if (cell?.finalAnswer !== undefined) {
        traj.finalAnswer = cell.finalAnswer;
        traj.status = 'answered';
        emit({ type: 'final-answer', step: index, answer: cell.finalAnswer });
      }
    }
  } catch (e) {
    traj.status = signal?.aborted ? 'aborted' : 'error';
    if (traj.status === 'error') {
      traj.error = toErrorData(e);
      emit({ type: 'error', step: traj.steps.length + 1, error: traj.error });
    }
  }
  traj.endedAt = Date.now();
  await saveHeader(run);
  emit({ type: 'done', trajectory: traj });
  return traj;
}
