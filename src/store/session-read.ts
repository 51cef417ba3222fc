// Reading a whole session back: the records of one session checked one by one, unreadable ones
// reported and skipped, and what is left assembled into what a UI needs to show and continue it.
import { EMPTY_NOTEPAD, type NotepadState, type SessionMeta, type Trajectory, type TrajectoryStep } from '../protocols';
import { metaKey, notepadKey, runKey, type StoreKey } from './keys';
import type { KVEntry } from './kv';
import { checkMeta, checkNotepadRecord, checkRunRecord, checkStep, storeIssue, type NotepadRecord, type RunHeader, type RunRecord, type StoreIssue } from './records';
import { replayCells } from './replay';

/** Everything a UI needs to show a session and continue it. */
export interface OpenedSession {
  meta: SessionMeta;
  trajectory: Trajectory;
  notepad: NotepadState;
  /** True when the run was saved as 'running' but no live tab owns it (closed or reloaded mid-run). */
  interrupted: boolean;
  /** Cell sources to re-run in a fresh sandbox to restore variables (see replayCells). */
  cells: string[];
}

/** The records of one session as read from the backend. */
export interface RawSession {
  meta: unknown;
  run: unknown;
  notepad: unknown;
  steps: KVEntry[];
}

export const NO_RUN_SETTINGS: Trajectory['settings'] = { maxSteps: 0, memoryTokens: 0, maxTokensPerStep: 0, tools: [] };

/** A session's title from its task: the first line, cut at 80 characters. */
export const titleFrom = (task: string): string => {
  const line = task.trim().split('\n')[0] ?? '';
  return line.length > 80 ? line.slice(0, 79) + '…' : line || 'Untitled session';
};

/**
 * Assembles a session from its records; `status` turns a saved status into the one to show
 * ('running' without a live owner is 'interrupted'). Undefined when nothing of it exists.
 */
export async function assembleSession(
  id: string,
  raw: RawSession,
  report: (issue: StoreIssue) => void,
  status: (saved: SessionMeta['status']) => Promise<SessionMeta['status']>,
  now: number,
): Promise<OpenedSession | undefined> {
  if (raw.meta === undefined && raw.run === undefined && raw.notepad === undefined && raw.steps.length === 0) return undefined;
  const usable = (key: StoreKey, value: unknown, checker: (v: unknown) => string | undefined): boolean => {
    if (value === undefined) return false;
    const problem = checker(value);
    if (problem) report(storeIssue(key, problem, id));
    return !problem;
  };
  const meta = usable(metaKey(id), raw.meta, (v) => checkMeta(v, id)) ? (raw.meta as SessionMeta) : undefined;
  const runRec = usable(runKey(id), raw.run, checkRunRecord) ? (raw.run as RunRecord) : undefined;
  const npRec = usable(notepadKey(id), raw.notepad, checkNotepadRecord) ? (raw.notepad as NotepadRecord) : undefined;
  const steps = readSteps(id, raw.steps, report);

  const header: RunHeader = runRec?.run ?? {
    version: 1,
    sessionId: id,
    task: meta?.task ?? '',
    systemPrompt: '',
    modelId: meta?.modelId ?? '',
    settings: NO_RUN_SETTINGS,
    status: meta?.status ?? 'interrupted',
    finalAnswer: meta?.finalAnswer,
    formatErrorCount: 0,
    startedAt: meta?.createdAt ?? now,
  };
  const shown = await status(header.status);
  const trajectory: Trajectory = { ...header, sessionId: id, status: shown, steps };
  const notepad = npRec?.state ?? steps.at(-1)?.notepad ?? structuredClone(EMPTY_NOTEPAD);
  const lastStep = steps.at(-1)?.index ?? 0;
  const fullMeta: SessionMeta = meta
    ? { ...meta, status: shown, stepCount: Math.max(meta.stepCount, lastStep) }
    : {
        id,
        title: titleFrom(header.task),
        task: header.task,
        status: shown,
        modelId: header.modelId,
        stepCount: lastStep,
        createdAt: header.startedAt,
        updatedAt: header.endedAt ?? header.startedAt,
        finalAnswer: header.finalAnswer,
      };
  return { meta: fullMeta, trajectory, notepad, interrupted: header.status === 'running' && shown === 'interrupted', cells: replayCells(trajectory) };
}

function readSteps(id: string, entries: KVEntry[], report: (issue: StoreIssue) => void): TrajectoryStep[] {
  const steps: TrajectoryStep[] = [];
  for (const e of entries) {
    const problem =
      e.error !== undefined
        ? 'cannot be read'
        : (checkStep(e.value) ?? ((e.value as TrajectoryStep).index !== (e.key as unknown[])[2] ? 'step index does not match its key' : undefined));
    if (problem) report(storeIssue(e.key, problem, id));
    else steps.push(e.value as TrajectoryStep);
  }
  return steps.sort((a, b) => a.index - b.index);
}
