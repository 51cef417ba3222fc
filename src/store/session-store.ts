// SessionStore over a KV backend (IndexedDB or memory). Every write is one atomic transaction;
// steps are append-only (one key each); the notepad and the run header carry a revision so a tab
// that writes from a stale view is rejected instead of silently overwriting another tab's work.
import {
  newSessionId,
  L0Error,
  type ErrorData,
  type NotepadState,
  type SessionMeta,
  type SessionStore,
  type Trajectory,
  type TrajectoryStep,
} from '../protocols';
import { sessionExportFile, parseSessionJSON, sessionToJSON, type ExportKind, type ExportedFile } from './export';
import { META_PREFIX, keyToString, metaKey, notepadKey, runKey, settingKey, stepKey, stepsPrefix, type StoreKey } from './keys';
import type { KV } from './kv';
import { acquireSession, isSessionOwned, type SessionLease } from './locks';
import { migrate, type MigrationResult } from './migrate';
import {
  checkMeta,
  checkNotepadRecord,
  checkRunRecord,
  checkStep,
  storeIssue,
  type NotepadRecord,
  type RunHeader,
  type RunRecord,
  type StoreIssue,
} from './records';
import { replayCells } from './replay';
import { isStorageFailure, storageFailureData, type ResilientKV } from './resilient-kv';

export interface StoreOptions {
  /** Called once per unreadable record (also collected in `store.issues`). */
  onIssue?: (issue: StoreIssue) => void;
  /** Names the session locks and the change channel; defaults to the database name. */
  namespace?: string;
  /** LockManager for session ownership; null forces the in-process fallback. Default navigator.locks. */
  locks?: LockManager | null;
  /** Clock, for tests. */
  now?: () => number;
}

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

export interface StoreChange {
  sessionId?: string;
  what: 'created' | 'meta' | 'notepad' | 'step' | 'run' | 'deleted' | 'setting';
}

const EMPTY: NotepadState = { todos: [], facts: [], draft: '' };
const DEFAULT_SETTINGS: Trajectory['settings'] = { maxSteps: 0, memoryTokens: 0, maxTokensPerStep: 0, tools: [] };


const titleFrom = (task: string): string => {
  const line = task.trim().split('\n')[0] ?? '';
  return line.length > 80 ? line.slice(0, 79) + '…' : line || 'Untitled session';
};

function staleWrite(what: string, id: string): L0Error {
  return new L0Error({
    kind: 'storage',
    message: `The ${what} of this session was changed in another tab; reload the session before writing.`,
    detail: { sessionId: id, reason: 'stale-write' },
  });
}

function asStoreError(e: unknown): L0Error {
  if (e instanceof L0Error) return e;
  if (isStorageFailure(e)) return new L0Error(storageFailureData(e));
  const name = String((e as { name?: unknown })?.name ?? '');
  const message = String((e as { message?: unknown })?.message ?? e);
  if (name === 'DataCloneError') return new L0Error({ kind: 'storage', message: `A value could not be stored (not plain data): ${message}`, detail: { name } });
  return new L0Error({ kind: 'storage', message: `Storage failed: ${message}`, detail: { name } });
}

export class KVSessionStore implements SessionStore {
  /** Unreadable records met so far (each reported once). */
  readonly issues: StoreIssue[] = [];
  readonly namespace: string;
  private readonly seenIssues = new Set<string>();
  /** The revision this instance last read or wrote, per revisioned record. */
  private readonly knownRev = new Map<string, number>();
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private channel?: BroadcastChannel | null;
  private readyP?: Promise<MigrationResult>;
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly kv: KV, private readonly options: StoreOptions & { namespace: string }) {
    this.namespace = options.namespace;
    this.now = options.now ?? Date.now;
  }

  /** 'indexeddb', or 'memory' (MemoryStore, or a ResilientStore after a failure). */
  get storageKind(): 'indexeddb' | 'memory' {
    return this.kv.kind;
  }

  /** Set once a ResilientStore fell back to memory: show it with an export button. */
  get warning(): ErrorData | undefined {
    return (this.kv as Partial<ResilientKV>).warning;
  }

  /** Opens the database and runs pending migrations (every other call awaits it too). */
  ready(): Promise<MigrationResult> {
    this.readyP ??= migrate(this.kv, (i) => this.report(i)).catch((e) => {
      this.readyP = undefined; // let a later call try again
      throw asStoreError(e);
    });
    return this.readyP;
  }

  private async op<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await fn();
    } catch (e) {
      throw asStoreError(e);
    }
  }

  /**
   * Runs this instance's writes (and the reads that record revisions) one at a time, so the
   * revision bookkeeping of one is done before the next checks it: concurrent saves from one tab
   * are not "another tab".
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.writeQueue.then(() => this.op(fn));
    this.writeQueue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private report(issue: StoreIssue): void {
    const id = `${issue.key}\n${issue.error.message}`;
    if (this.seenIssues.has(id)) return;
    this.seenIssues.add(id);
    this.issues.push(issue);
    try {
      this.options.onIssue?.(issue);
    } catch {
      // a listener's failure must not break reading
    }
  }

  // ---- change notices (this tab and, through BroadcastChannel, the others) -------------------

  /** Calls `listener` after every write in this tab or another tab on the same database. */
  onChange(listener: (c: StoreChange) => void): () => void {
    this.listeners.add(listener);
    this.openChannel();
    return () => this.listeners.delete(listener);
  }

  private openChannel(): BroadcastChannel | null {
    if (this.channel !== undefined) return this.channel;
    if (typeof BroadcastChannel !== 'function') return (this.channel = null);
    const ch = new BroadcastChannel(`l0-store/${this.namespace}`);
    (ch as { unref?: () => void }).unref?.(); // Node: do not keep the process alive
    ch.onmessage = (ev: MessageEvent) => this.emit(ev.data as StoreChange);
    return (this.channel = ch);
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // keep notifying the others
      }
    }
  }

  private changed(change: StoreChange): void {
    this.emit(change);
    try {
      this.openChannel()?.postMessage(change);
    } catch {
      // a closed channel only costs other tabs a refresh
    }
  }

  close(): void {
    this.channel?.close();
    this.channel = null;
    this.kv.close?.();
  }

  // ---- meta helper ---------------------------------------------------------------------------

  private nextMeta(current: unknown, id: string, patch: Partial<SessionMeta>): SessionMeta {
    const now = this.now();
    const base: SessionMeta =
      checkMeta(current, id) === undefined
        ? (current as SessionMeta)
        : { id, title: '', task: '', status: 'running', modelId: '', stepCount: 0, createdAt: now, updatedAt: now };
    const next: SessionMeta = { ...base, ...patch, id, updatedAt: now };
    if (!next.title) next.title = titleFrom(next.task);
    return next;
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** Creates a session (meta, empty notepad, run header) and returns its id. */
  async createSession(task: string, options: NewSessionOptions = {}): Promise<string> {
    const id = options.id ?? newSessionId();
    const now = this.now();
    const run: RunHeader = {
      version: 1,
      sessionId: id,
      task,
      systemPrompt: options.systemPrompt ?? '',
      modelId: options.modelId ?? '',
      settings: options.settings ?? DEFAULT_SETTINGS,
      status: options.status ?? 'running',
      formatErrorCount: 0,
      startedAt: now,
    };
    const meta: SessionMeta = {
      id,
      title: options.title || titleFrom(task),
      task,
      status: run.status,
      modelId: run.modelId,
      stepCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.serial(() =>
      this.kv.transact([metaKey(id)], ([existing]) => {
        if (existing !== undefined) throw new L0Error({ kind: 'storage', message: `A session with id ${id} already exists.` });
        return {
          put: [
            [metaKey(id), meta],
            [notepadKey(id), { rev: 1, state: options.notepad ?? EMPTY } satisfies NotepadRecord],
            [runKey(id), { rev: 1, run } satisfies RunRecord],
          ],
        };
      }),
    );
    this.knownRev.set(keyToString(notepadKey(id)), 1);
    this.knownRev.set(keyToString(runKey(id)), 1);
    this.changed({ sessionId: id, what: 'created' });
    return id;
  }

  /** Records the revision of a record just read (forgets it when the record is absent or unreadable). */
  private rememberRev(key: StoreKey, value: unknown, checker: (v: unknown) => string | undefined): void {
    const k = keyToString(key);
    if (value !== undefined && checker(value) === undefined) this.knownRev.set(k, (value as { rev: number }).rev);
    else this.knownRev.delete(k);
  }

  /** Writes a revisioned record, rejecting the write when another writer moved it on. */
  private async writeRevisioned(
    id: string,
    key: StoreKey,
    what: string,
    record: (rev: number) => unknown,
    metaPatch: (meta: SessionMeta | undefined) => Partial<SessionMeta>,
  ): Promise<void> {
    const k = keyToString(key);
    await this.serial(async () => {
      const rev = await this.kv.transact([key, metaKey(id)], ([cur, meta]) => {
        const curRev = typeof (cur as { rev?: unknown })?.rev === 'number' ? (cur as { rev: number }).rev : undefined;
        const known = this.knownRev.get(k);
        // A writer that has seen this record must still be looking at its latest revision.
        if (known !== undefined && curRev !== undefined && curRev !== known) throw staleWrite(what, id);
        const next = (curRev ?? 0) + 1;
        const m = checkMeta(meta, id) === undefined ? (meta as SessionMeta) : undefined;
        return { put: [[key, record(next)], [metaKey(id), this.nextMeta(meta, id, metaPatch(m))]], result: next };
      });
      this.knownRev.set(k, rev);
    });
  }

  async saveNotepad(sessionId: string, state: NotepadState): Promise<void> {
    await this.writeRevisioned(sessionId, notepadKey(sessionId), 'notepad', (rev): NotepadRecord => ({ rev, state }), () => ({}));
    this.changed({ sessionId, what: 'notepad' });
  }

  async saveRun(sessionId: string, run: Omit<Trajectory, 'steps'>): Promise<void> {
    // Callers may pass a whole Trajectory: steps are stored one key each, never in the header.
    const { steps: _steps, ...header } = run as Trajectory;
    void _steps;
    const stored: RunHeader = { ...header, sessionId };
    await this.writeRevisioned(
      sessionId,
      runKey(sessionId),
      'run',
      (rev): RunRecord => ({ rev, run: stored }),
      () => ({ task: stored.task, status: stored.status, modelId: stored.modelId, finalAnswer: stored.finalAnswer }),
    );
    this.changed({ sessionId, what: 'run' });
  }

  async appendStep(sessionId: string, step: TrajectoryStep): Promise<void> {
    const problem = checkStep(step);
    if (problem) throw new L0Error({ kind: 'storage', message: `Cannot save step: ${problem}.`, detail: { sessionId } });
    await this.serial(() =>
      this.kv.transact([stepKey(sessionId, step.index), metaKey(sessionId)], ([existing, meta]) => {
        // Append-only: a step index is written once. Finding it taken means another tab ran it.
        if (existing !== undefined) {
          throw new L0Error({
            kind: 'storage',
            message: `Step ${step.index} of this session was already saved in another tab; reload the session before continuing.`,
            detail: { sessionId, step: step.index, reason: 'stale-write' },
          });
        }
        const m = checkMeta(meta, sessionId) === undefined ? (meta as SessionMeta) : undefined;
        return { put: [[stepKey(sessionId, step.index), step], [metaKey(sessionId), this.nextMeta(meta, sessionId, { stepCount: Math.max(m?.stepCount ?? 0, step.index) })]] };
      }),
    );
    this.changed({ sessionId, what: 'step' });
  }

  async renameSession(id: string, title: string): Promise<void> {
    await this.serial(() =>
      this.kv.transact([metaKey(id)], ([meta]) => {
        const problem = checkMeta(meta, id);
        if (problem) throw new L0Error({ kind: 'storage', message: `Cannot rename session ${id}: ${meta === undefined ? 'no such session' : problem}.` });
        // Renaming does not move the session in a list sorted by last activity.
        return { put: [[metaKey(id), { ...(meta as SessionMeta), title: title.trim() || titleFrom((meta as SessionMeta).task) }]] };
      }),
    );
    this.changed({ sessionId: id, what: 'meta' });
  }

  async deleteSession(id: string): Promise<void> {
    await this.serial(() => this.kv.transact([], () => ({ del: [metaKey(id), notepadKey(id), runKey(id)], delPrefix: [stepsPrefix(id)] })));
    this.knownRev.delete(keyToString(notepadKey(id)));
    this.knownRev.delete(keyToString(runKey(id)));
    this.changed({ sessionId: id, what: 'deleted' });
  }

  private async displayStatus(status: SessionMeta['status'], id: string): Promise<SessionMeta['status']> {
    if (status !== 'running') return status;
    const owned = await isSessionOwned(id, { namespace: this.namespace, locks: this.options.locks });
    return owned ? 'running' : 'interrupted';
  }

  /** All readable sessions, most recently active first. A 'running' one without a live owner shows as 'interrupted'. */
  async listSessions(): Promise<SessionMeta[]> {
    const entries = await this.op(() => this.kv.entries(META_PREFIX));
    const out: SessionMeta[] = [];
    for (const e of entries) {
      const id = Array.isArray(e.key) ? String(e.key[1]) : undefined;
      const problem = e.error !== undefined ? `cannot be read (${String((e.error as Error)?.name ?? e.error)})` : checkMeta(e.value, id);
      if (problem) {
        this.report(storeIssue(e.key, problem, id));
        continue;
      }
      const meta = e.value as SessionMeta;
      out.push({ ...meta, status: await this.displayStatus(meta.status, meta.id) });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Reads a whole session; unreadable parts are reported and skipped. Undefined when nothing of it exists. */
  async openSession(id: string): Promise<OpenedSession | undefined> {
    const [metaV, runV, notepadV, stepEntries] = await this.serial(async () => {
      const read = await Promise.all([this.kv.get(metaKey(id)), this.kv.get(runKey(id)), this.kv.get(notepadKey(id)), this.kv.entries(stepsPrefix(id))]);
      // Remember what we saw, so our next write can tell whether another tab wrote in between.
      this.rememberRev(runKey(id), read[1], checkRunRecord);
      this.rememberRev(notepadKey(id), read[2], checkNotepadRecord);
      return read;
    });
    if (metaV === undefined && runV === undefined && notepadV === undefined && stepEntries.length === 0) return undefined;

    const check = (key: StoreKey, value: unknown, checker: (v: unknown) => string | undefined): boolean => {
      if (value === undefined) return false;
      const problem = checker(value);
      if (problem) this.report(storeIssue(key, problem, id));
      return !problem;
    };
    const meta = check(metaKey(id), metaV, (v) => checkMeta(v, id)) ? (metaV as SessionMeta) : undefined;
    const runRec = check(runKey(id), runV, checkRunRecord) ? (runV as RunRecord) : undefined;
    const npRec = check(notepadKey(id), notepadV, checkNotepadRecord) ? (notepadV as NotepadRecord) : undefined;

    const steps: TrajectoryStep[] = [];
    for (const e of stepEntries) {
      const problem =
        e.error !== undefined
          ? 'cannot be read'
          : (checkStep(e.value) ?? ((e.value as TrajectoryStep).index !== (e.key as unknown[])[2] ? 'step index does not match its key' : undefined));
      if (problem) this.report(storeIssue(e.key, problem, id));
      else steps.push(e.value as TrajectoryStep);
    }
    steps.sort((a, b) => a.index - b.index);

    const now = this.now();
    const header: RunHeader = runRec?.run ?? {
      version: 1,
      sessionId: id,
      task: meta?.task ?? '',
      systemPrompt: '',
      modelId: meta?.modelId ?? '',
      settings: DEFAULT_SETTINGS,
      status: meta?.status ?? 'interrupted',
      finalAnswer: meta?.finalAnswer,
      formatErrorCount: 0,
      startedAt: meta?.createdAt ?? now,
    };
    const status = await this.displayStatus(header.status, id);
    const trajectory: Trajectory = { ...header, sessionId: id, status, steps };
    const notepad = npRec?.state ?? steps[steps.length - 1]?.notepad ?? EMPTY;
    const lastStep = steps[steps.length - 1]?.index ?? 0;
    const fullMeta: SessionMeta = meta
      ? { ...meta, status, stepCount: Math.max(meta.stepCount, lastStep) }
      : {
          id,
          title: titleFrom(header.task),
          task: header.task,
          status,
          modelId: header.modelId,
          stepCount: lastStep,
          createdAt: header.startedAt,
          updatedAt: header.endedAt ?? header.startedAt,
          finalAnswer: header.finalAnswer,
        };
    return { meta: fullMeta, trajectory, notepad, interrupted: header.status === 'running' && status === 'interrupted', cells: replayCells(trajectory) };
  }

  async loadSession(id: string): Promise<Trajectory | undefined> {
    return (await this.openSession(id))?.trajectory;
  }

  async loadNotepad(sessionId: string): Promise<NotepadState | undefined> {
    const v = await this.serial(async () => {
      const value = await this.kv.get(notepadKey(sessionId));
      this.rememberRev(notepadKey(sessionId), value, checkNotepadRecord);
      return value;
    });
    if (v === undefined) return undefined;
    const problem = checkNotepadRecord(v);
    if (problem) {
      this.report(storeIssue(notepadKey(sessionId), problem, sessionId));
      return undefined;
    }
    return (v as NotepadRecord).state;
  }

  // ---- export / import -----------------------------------------------------------------------

  private async mustOpen(id: string): Promise<OpenedSession> {
    const s = await this.openSession(id);
    if (!s) throw new L0Error({ kind: 'storage', message: `No session with id ${id}.`, detail: { sessionId: id } });
    return s;
  }

  async exportSession(id: string): Promise<string> {
    return sessionToJSON(await this.mustOpen(id), this.now());
  }

  /** The session as a downloadable file: 'json' (re-importable), 'ipynb' (Jupyter) or 'md'. */
  async exportSessionAs(id: string, kind: ExportKind): Promise<ExportedFile> {
    return sessionExportFile(await this.mustOpen(id), kind);
  }

  /** Imports an export under a new id (never overwrites) and returns that id. */
  async importSession(json: string): Promise<string> {
    const parsed = parseSessionJSON(json);
    const id = newSessionId();
    for (const s of parsed.skippedSteps) this.report(storeIssue(['import', id, s.position], s.reason, id));
    const t = parsed.trajectory;
    // Nobody owns an imported run: one saved mid-run is interrupted.
    const status = t.status === 'running' ? 'interrupted' : t.status;
    const { steps, ...header } = t;
    const run: RunHeader = { ...header, sessionId: id, status };
    const now = this.now();
    const meta: SessionMeta = {
      id,
      title: parsed.title || titleFrom(t.task),
      task: t.task,
      status,
      modelId: t.modelId,
      stepCount: steps.reduce((m, s) => Math.max(m, s.index), 0),
      createdAt: now,
      updatedAt: now,
      ...(t.finalAnswer !== undefined ? { finalAnswer: t.finalAnswer } : {}),
    };
    await this.serial(() =>
      this.kv.transact([], () => ({
        put: [
          [metaKey(id), meta],
          [notepadKey(id), { rev: 1, state: parsed.notepad } satisfies NotepadRecord],
          [runKey(id), { rev: 1, run } satisfies RunRecord],
          ...steps.map((s): [StoreKey, unknown] => [stepKey(id, s.index), s]),
        ],
      })),
    );
    this.changed({ sessionId: id, what: 'created' });
    return id;
  }

  // ---- settings ------------------------------------------------------------------------------

  async getSetting<T = unknown>(key: string): Promise<T | undefined> {
    const v = await this.op(() => this.kv.get(settingKey(key)));
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || !('value' in v)) {
      this.report(storeIssue(settingKey(key), 'setting record has no value'));
      return undefined;
    }
    return (v as { value: T }).value;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.serial(() => this.kv.transact([], () => ({ put: [[settingKey(key), { value }]] })));
    this.changed({ what: 'setting' });
  }

  // ---- ownership -----------------------------------------------------------------------------

  /** Tries to own a session in this tab (see SessionLease): `owned` false means show it read-only. */
  acquireSession(id: string): Promise<SessionLease> {
    return acquireSession(id, { namespace: this.namespace, locks: this.options.locks });
  }
}
