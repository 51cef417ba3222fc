// The records a new or imported session starts with, and the meta record after a write: pure
// functions of their inputs, so session-store.ts only sequences them inside transactions.
import { EMPTY_NOTEPAD, turnsOf, type NotepadState, type SessionMeta, type Trajectory } from '../protocols';
import type { ParsedImport } from './export';
import { metaKey, notepadKey, runKey, stepKey, type StoreKey } from './keys';
import { checkMeta, type NotepadRecord, type RunHeader, type RunRecord } from './records';
import { NO_RUN_SETTINGS, titleFrom } from './session-read';

export interface NewSessionOptions {
  id?: string;
  title?: string;
  modelId?: string;
  systemPrompt?: string;
  settings?: Trajectory['settings'];
  notepad?: NotepadState;
  /** Default 'running': a session is created when a run starts. */
  status?: Trajectory['status'];
}

type Put = [StoreKey, unknown];

/** Meta, notepad (rev 1) and run header (rev 1) of a session created now. */
export function newSessionRecords(id: string, task: string, options: NewSessionOptions, now: number): Put[] {
  const run: RunHeader = {
    version: 1,
    sessionId: id,
    task,
    systemPrompt: options.systemPrompt ?? '',
    modelId: options.modelId ?? '',
    settings: options.settings ?? NO_RUN_SETTINGS,
    status: options.status ?? 'running',
    formatErrorCount: 0,
    startedAt: now,
  };
  const meta: SessionMeta = { id, title: options.title || titleFrom(task), task, status: run.status, modelId: run.modelId, stepCount: 0, createdAt: now, updatedAt: now };
  return [
    [metaKey(id), meta],
    [notepadKey(id), { rev: 1, state: options.notepad ?? EMPTY_NOTEPAD } satisfies NotepadRecord],
    [runKey(id), { rev: 1, run } satisfies RunRecord],
  ];
}

/** Every record of an imported session, under its new id. Nobody owns an imported run: one saved mid-run is interrupted. */
export function importedSessionRecords(id: string, parsed: ParsedImport, now: number): Put[] {
  const t = parsed.trajectory;
  const status = t.status === 'running' ? 'interrupted' : t.status;
  const { steps, ...header } = t;
  const run: RunHeader = { ...header, sessionId: id, status };
  const meta: SessionMeta = {
    id,
    title: parsed.title || titleFrom(t.task),
    task: t.task,
    status,
    modelId: t.modelId,
    stepCount: steps.reduce((m, s) => Math.max(m, s.index), 0),
    questionCount: turnsOf(t).length,
    createdAt: now,
    updatedAt: now,
    ...(t.finalAnswer !== undefined ? { finalAnswer: t.finalAnswer } : {}),
  };
  return [
    [metaKey(id), meta],
    [notepadKey(id), { rev: 1, state: parsed.notepad } satisfies NotepadRecord],
    [runKey(id), { rev: 1, run } satisfies RunRecord],
    ...steps.map((s): Put => [stepKey(id, s.index), s]),
  ];
}

/** The meta record after a write: the stored one (or a fresh one when unreadable) patched and touched. */
export function nextMeta(current: unknown, id: string, patch: Partial<SessionMeta>, now: number): SessionMeta {
  const base: SessionMeta =
    checkMeta(current, id) === undefined ? (current as SessionMeta) : { id, title: '', task: '', status: 'running', modelId: '', stepCount: 0, createdAt: now, updatedAt: now };
  const next: SessionMeta = { ...base, ...patch, id, updatedAt: now };
  if (!next.title) next.title = titleFrom(next.task);
  return next;
}
