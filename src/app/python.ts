// The Python sandbox of the app, held as a promise: started once (at page load, or on the first
// run of a widget) and shared by every run; a run after the first gets a fresh namespace. A
// sandbox that failed to start, or died and could not come back, is replaced by a new one
// (dispose the old, create a new) on restart() or on the next run.
import { toErrorData, type LoadProgress, type NotepadState, type Sandbox, type SandboxInfo, type Tool } from '../protocols';

export interface PythonStatus {
  state: 'off' | 'starting' | 'ready' | 'failed';
  /** One line for the status bar, e.g. "Python 3.13.2 ready". */
  message: string;
  /** How the sandbox interrupts and calls tools, once it started. */
  info?: SandboxInfo;
}

export type CreateSandbox = (tools: Tool[], onProgress: (p: LoadProgress) => void) => Promise<Sandbox>;

export interface PythonSlot {
  /** Starts Python with these tools, or returns the one started with the same tools. */
  get(tools: Tool[]): Promise<Sandbox>;
  /** The sandbox for a run: a fresh namespace when it ran before, and `notepad` restored. */
  forRun(tools: Tool[], notepad?: NotepadState): Promise<Sandbox>;
  /** The sandbox as the last run left it (its variables), to run a cell again; the next run still gets a fresh namespace. */
  live(tools: Tool[]): Promise<Sandbox>;
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
}

const toolsKey = (tools: Tool[]): string => tools.map((t) => t.name).join(',');

export function createPythonSlot(create: CreateSandbox, onStatus: (s: PythonStatus) => void): PythonSlot {
  let entry: Entry | undefined;

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
    async forRun(tools, notepad) {
      const e = current(tools);
      const box = await e.promise;
      if (e.used) await box.reset({ clearNotepad: true });
      e.used = true;
      if (notepad) await box.setNotepad(notepad);
      return box;
    },
    live(tools) {
      const e = current(tools);
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
