// Stored record shapes (schema v1) and the checks that decide whether a record read back from
// storage is usable. A record that fails its check is reported as a StoreIssue and skipped.
import { RUN_STATUSES, type ErrorData, type NotepadState, type RunStatus, type SessionMeta, type Trajectory, type TrajectoryStep } from '../protocols';
import { keyToString, type StoreKey } from './keys';

export type RunHeader = Omit<Trajectory, 'steps'>;

/** Revisioned records: `rev` grows by one on every write, so a writer holding an older rev is stale. */
export interface NotepadRecord {
  rev: number;
  state: NotepadState;
}
export interface RunRecord {
  rev: number;
  run: RunHeader;
}
export interface SettingRecord {
  value: unknown;
}

/** A record that could not be used: reported, skipped, never deleted. */
export interface StoreIssue {
  key: string;
  sessionId?: string;
  error: ErrorData;
}

export function storeIssue(key: StoreKey, reason: string, sessionId?: string, detail?: Record<string, unknown>): StoreIssue {
  const k = keyToString(key);
  return {
    key: k,
    sessionId,
    error: { kind: 'storage', message: `Skipped an unreadable record (${k}): ${reason}.`, detail: { key: k, ...detail } },
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Each check returns undefined when the value is fine, else a short reason. */
export function checkNotepad(v: unknown): string | undefined {
  if (!isObj(v)) return 'notepad is not an object';
  if (!Array.isArray(v.todos) || !v.todos.every((t) => isObj(t) && isStr(t.text) && typeof t.done === 'boolean')) {
    return 'notepad.todos is not a list of {text, done}';
  }
  if (!Array.isArray(v.facts) || !v.facts.every(isStr)) return 'notepad.facts is not a list of strings';
  if (!isStr(v.draft)) return 'notepad.draft is not a string';
  return undefined;
}

export function checkMeta(v: unknown, id?: string): string | undefined {
  if (!isObj(v)) return 'session meta is not an object';
  if (!isStr(v.id) || (id !== undefined && v.id !== id)) return 'session meta has no matching id';
  if (!isStr(v.title) || !isStr(v.task)) return 'session meta has no title/task';
  if (!RUN_STATUSES.includes(v.status as RunStatus)) return 'session meta has an unknown status';
  if (!isNum(v.stepCount) || !isNum(v.createdAt) || !isNum(v.updatedAt)) return 'session meta has bad counters/dates';
  return undefined;
}

export function checkRun(v: unknown): string | undefined {
  if (!isObj(v)) return 'run header is not an object';
  if (!isStr(v.task) || !isStr(v.sessionId)) return 'run header has no task/sessionId';
  if (!RUN_STATUSES.includes(v.status as RunStatus)) return 'run header has an unknown status';
  if (!isObj(v.settings)) return 'run header has no settings';
  return undefined;
}

export function checkStep(v: unknown): string | undefined {
  if (!isObj(v)) return 'step is not an object';
  if (!isNum(v.index) || v.index < 1) return 'step has no index';
  if (!isStr(v.raw) || !isStr(v.code) || !isStr(v.think)) return 'step has no raw/think/code text';
  if (v.cell !== undefined && !(isObj(v.cell) && isStr(v.cell.status))) return 'step cell is malformed';
  const np = checkNotepad(v.notepad);
  if (np) return `step ${np}`;
  return undefined;
}

export const checkNotepadRecord = (v: unknown): string | undefined =>
  !isObj(v) || !isNum(v.rev) ? 'notepad record has no revision' : checkNotepad(v.state);

export const checkRunRecord = (v: unknown): string | undefined =>
  !isObj(v) || !isNum(v.rev) ? 'run record has no revision' : checkRun(v.run);

export function isSessionMeta(v: unknown): v is SessionMeta {
  return checkMeta(v) === undefined;
}

export function isTrajectoryStep(v: unknown): v is TrajectoryStep {
  return checkStep(v) === undefined;
}
