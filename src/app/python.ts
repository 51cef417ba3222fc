// The Python sandbox of the app, held as a promise: started once (at page load, or on the first
// run of a widget) and shared by every run. A run of another session gets a fresh namespace; a
// follow-up or continue of the session it holds keeps it (the slot remembers which session's
// variables the interpreter holds, and forgets on a reset, a restart or a replacement). A
// sandbox that failed to start, or died and could not come back, is replaced by a new one
// (dispose the old, create a new) on restart() or on the next run.
import { toErrorData, type LoadProgress, type NotepadState, type Sandbox, type SandboxInfo, type Tool } from '../protocols';

export interface PythonStatus {
  state: 'off' | 'starting' | 'ready' | 'failed';
  /** One line for the status bar, e.g. "Python 3.13.2 ready". */
  message: string;
  /** How the sandbox interrupts and calls tools, once it started. */
  info?: SandboxInfo;
  /**
   * The session whose variables this interpreter holds: it ran that session last and was not
   * reset, restarted or replaced since (a follow-up there keeps them). Undefined otherwise.
   */
  session?: string;
}

/** The sandbox for a run, and whether it still holds the session's namespace (the agent's `sameSandbox`). */
interface SandboxForRun {
  sandbox: Sandbox;
  sameSandbox: boolean;
}

export type CreateSandbox = (tools: Tool[], onProgress: (p: LoadProgress) => void) => Promise<Sandbox>;

export interface PythonSlot {
  /** Starts Python with these tools, or returns the one started with the same tools. */
  get(tools: Tool[]): Promise<Sandbox>;
  /**
   * The sandbox for a run of `session`: the interpreter as it is when it holds that session's
   * namespace (`sameSandbox`), else a fresh namespace (when it ran before); `notepad` restored.
   */
  forRun(tools: Tool[], session: { id?: string; notepad?: NotepadState }): Promise<SandboxForRun>;
  /** Records that the interpreter now holds the namespace of session `id` (its run got going). */
  holds(id: string): void;
  /**
   * The sandbox as the last run left it (its variables), to run a cell of session `id` again. When
   * the interpreter holds another session's namespace, that session no longer counts as held (the
   * cell may have changed its variables): its next run gets a fresh namespace.
   */
  live(tools: Tool[], id: string | undefined): Promise<Sandbox>;
  /** Replaces the sandbox by a new one (the old one is disposed). */
  restart(tools: Tool[]): Promise<Sandbox>;
  /** Marks the sandbox as dead (a run found it broken): the next get() starts a new one. */
  failed(reason: unknown): void;
  /** Interrupts the running cell, if any. */
  interrupt(): void;
  dispose(): Promise<void>;
}

interface Entry {
  key: string;
  promise: Promise<Sandbox>;
  used: boolean;
  dead: boolean;
  /** The session whose namespace the interpreter holds (see PythonStatus.session). */
  session?: string;
}

// Tools set up with other services (e.g. another page reader) need a new sandbox: it keeps the tools it started with.
const toolsKey = (tools: Tool[]): string => tools.map((t) => `${t.name}@${(t.serviceUrls ?? []).join(' ')}`).join(',');

export function createPythonSlot(create: CreateSandbox, report: (s: PythonStatus) => void): PythonSlot {
  let entry: Entry | undefined;
  let status: PythonStatus = { state: 'off', message: '' };
  // Every status carries the session the current interpreter holds.
  const onStatus = (s: PythonStatus) => report((status = { ...s, session: entry?.session }));
  function setSession(e: Entry, id: string | undefined): void {
    if (e.session === id) return;
    e.session = id;
    if (entry === e) onStatus(status);
  }

  function disposeOf(e: Entry | undefined): void {
    e?.promise.then((s) => s.dispose()).catch(() => undefined);
  }

  function start(tools: Tool[]): Entry {
    disposeOf(entry);
    const e: Entry = { key: toolsKey(tools), used: false, dead: false, promise: undefined as unknown as Promise<Sandbox> };
    entry = e;
    onStatus({ state: 'starting', message: 'Python: starting…' });
    const progress = (p: LoadProgress) => {
      if (entry !== e || p.phase === 'ready') return;
      const pct = p.fraction !== undefined && p.fraction < 1 ? ` ${Math.round(p.fraction * 100)}%` : '';
      onStatus({ state: 'starting', message: `Python: ${p.message}${pct}` });
    };
    e.promise = Promise.resolve().then(() => create(tools, progress));
    e.promise.then(
      (s) => entry === e && onStatus({ state: 'ready', message: `Python ${s.info.pythonVersion} ready`, info: s.info }),
      (err: unknown) => {
        if (entry !== e) return;
        e.dead = true;
        onStatus({ state: 'failed', message: `Python failed to start: ${toErrorData(err, 'sandbox').message.replace(/^The Python sandbox failed to start: /, '')}` });
      },
    );
    return e;
  }

  function current(tools: Tool[]): Entry {
    return entry && !entry.dead && entry.key === toolsKey(tools) ? entry : start(tools);
  }

  return {
    get: (tools) => current(tools).promise,
    async forRun(tools, session) {
      const e = current(tools);
      const box = await e.promise;
      const sameSandbox = session.id !== undefined && e.session === session.id;
      if (!sameSandbox) {
        setSession(e, undefined);
        if (e.used) await box.reset({ clearNotepad: true });
      }
      e.used = true;
      if (session.notepad) await box.setNotepad(session.notepad);
      return { sandbox: box, sameSandbox };
    },
    holds(id) {
      if (entry && !entry.dead) setSession(entry, id);
    },
    live(tools, id) {
      const e = current(tools);
      if (e.session !== id) setSession(e, undefined);
      e.used = true;
      return e.promise;
    },
    restart(tools) {
      return start(tools).promise;
    },
    failed(reason) {
      const e = entry;
      if (!e || e.dead) return;
      e.dead = true;
      e.session = undefined;
      onStatus({ state: 'failed', message: `Python stopped working: ${toErrorData(reason, 'sandbox').message}` });
    },
    interrupt() {
      entry?.promise.then((s) => s.interrupt()).catch(() => undefined);
    },
    async dispose() {
      const e = entry;
      entry = undefined;
      await e?.promise.then((s) => s.dispose()).catch(() => undefined);
    },
  };
}
