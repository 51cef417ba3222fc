// SessionStore over a KV backend (IndexedDB or memory). Every write is one atomic transaction;
// steps are append-only (one key each); the notepad and the run header carry a revision so a tab
// that writes from a stale view is rejected instead of silently overwriting another tab's work
// (revisions.ts). Change notices: change-feed.ts; settings and ownership: settings.ts; reading a
// session back: session-read.ts.
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
import { createChangeFeed, type ChangeFeed, type StoreChange } from './change-feed';
import { sessionExportFile, parseSessionJSON, sessionToJSON, type ExportKind, type ExportedFile } from './export';
import { META_PREFIX, metaKey, notepadKey, runKey, stepKey, stepsPrefix, type StoreKey } from './keys';
import type { KV } from './kv';
import type { SessionLease } from './locks';
import { migrate, type MigrationResult } from './migrate';
import { checkMeta, checkNotepadRecord, checkRunRecord, checkStep, storeIssue, type NotepadRecord, type RunHeader, type RunRecord, type StoreIssue } from './records';
import { isStorageFailure, storageFailureData, type ResilientKV } from './resilient-kv';
import { createRevisionTracker } from './revisions';
import { newSessionRecords, importedSessionRecords, nextMeta, type NewSessionOptions } from './session-records';
import { assembleSession, titleFrom, type OpenedSession } from './session-read';
import { displayStatus, ownSession, readSetting, settingWrite } from './settings';

export type { StoreChange } from './change-feed';
export type { OpenedSession } from './session-read';
export type { NewSessionOptions } from './session-records';

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
  private readonly revisions = createRevisionTracker();
  private readonly feed: ChangeFeed;
  private readyP?: Promise<MigrationResult>;
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly kv: KV, private readonly options: StoreOptions & { namespace: string }) {
    this.namespace = options.namespace;
    this.now = options.now ?? Date.now;
    this.feed = createChangeFeed(options.namespace);
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
    return this.feed.onChange(listener);
  }

  private changed(change: StoreChange): void {
    this.feed.changed(change);
  }

  close(): void {
    this.feed.close();
    this.kv.close?.();
  }

  private get lease(): { namespace: string; locks?: LockManager | null } {
    return { namespace: this.namespace, locks: this.options.locks };
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** Creates a session (meta, empty notepad, run header) and returns its id. */
  async createSession(task: string, options: NewSessionOptions = {}): Promise<string> {
    const id = options.id ?? newSessionId();
    await this.serial(() =>
      this.kv.transact([metaKey(id)], ([existing]) => {
        if (existing !== undefined) throw new L0Error({ kind: 'storage', message: `A session with id ${id} already exists.` });
        return { put: newSessionRecords(id, task, options, this.now()) };
      }),
    );
    this.revisions.wrote(notepadKey(id), 1);
    this.revisions.wrote(runKey(id), 1);
    this.changed({ sessionId: id, what: 'created' });
    return id;
  }

  /** Writes a revisioned record, rejecting the write when another writer moved it on. */
  private async writeRevisioned(
    id: string,
    key: StoreKey,
    what: string,
    record: (rev: number) => unknown,
    metaPatch: (meta: SessionMeta | undefined) => Partial<SessionMeta>,
  ): Promise<void> {
    await this.serial(async () => {
      const rev = await this.kv.transact([key, metaKey(id)], ([cur, meta]) => {
        const next = this.revisions.next(key, cur, what, id);
        const m = checkMeta(meta, id) === undefined ? (meta as SessionMeta) : undefined;
        return { put: [[key, record(next)], [metaKey(id), nextMeta(meta, id, metaPatch(m), this.now())]], result: next };
      });
      this.revisions.wrote(key, rev);
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
      () => ({ task: stored.task, status: stored.status, modelId: stored.modelId, finalAnswer: stored.finalAnswer, questionCount: Array.isArray(stored.turns) ? stored.turns.length : 1 }),
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
        return { put: [[stepKey(sessionId, step.index), step], [metaKey(sessionId), nextMeta(meta, sessionId, { stepCount: Math.max(m?.stepCount ?? 0, step.index) }, this.now())]] };
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
    this.revisions.forget(notepadKey(id));
    this.revisions.forget(runKey(id));
    this.changed({ sessionId: id, what: 'deleted' });
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
      out.push({ ...meta, status: await displayStatus(meta.status, meta.id, this.lease) });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Reads a whole session; unreadable parts are reported and skipped. Undefined when nothing of it exists. */
  async openSession(id: string): Promise<OpenedSession | undefined> {
    const [meta, run, notepad, steps] = await this.serial(async () => {
      const read = await Promise.all([this.kv.get(metaKey(id)), this.kv.get(runKey(id)), this.kv.get(notepadKey(id)), this.kv.entries(stepsPrefix(id))]);
      // Remember what we saw, so our next write can tell whether another tab wrote in between.
      this.revisions.remember(runKey(id), read[1], checkRunRecord);
      this.revisions.remember(notepadKey(id), read[2], checkNotepadRecord);
      return read;
    });
    return assembleSession(id, { meta, run, notepad, steps }, (i) => this.report(i), (status) => displayStatus(status, id, this.lease), this.now());
  }

  async loadSession(id: string): Promise<Trajectory | undefined> {
    return (await this.openSession(id))?.trajectory;
  }

  async loadNotepad(sessionId: string): Promise<NotepadState | undefined> {
    const v = await this.serial(async () => {
      const value = await this.kv.get(notepadKey(sessionId));
      this.revisions.remember(notepadKey(sessionId), value, checkNotepadRecord);
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
    await this.serial(() => this.kv.transact([], () => ({ put: importedSessionRecords(id, parsed, this.now()) })));
    this.changed({ sessionId: id, what: 'created' });
    return id;
  }

  // ---- settings and ownership ----------------------------------------------------------------

  getSetting<T = unknown>(key: string): Promise<T | undefined> {
    return this.op(() => readSetting<T>(this.kv, key, (i) => this.report(i)));
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.serial(() => this.kv.transact([], () => settingWrite(key, value)));
    this.changed({ what: 'setting' });
  }

  /** Tries to own a session in this tab (see SessionLease): `owned` false means show it read-only. */
  acquireSession(id: string): Promise<SessionLease> {
    return ownSession(id, this.lease);
  }
}
