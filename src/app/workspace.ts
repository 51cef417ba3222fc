// The session's files in the app (no DOM): files the user attaches wait for the next question,
// are written into Python's /workspace before it and saved with the session; after every cell the
// listing becomes the Files panel's state, and files that changed are saved (size-capped) and
// files that went are deleted; a fresh sandbox (reload, another session, Restart Python) gets the
// session's saved files back before the next run. What could not be kept is said, per file.
import { formatFileSize, isSessionFileStore, L0Error, toErrorData, type CellResult, type ErrorData, type Sandbox, type SavedFileInfo, type SessionFileStore, type SessionStore, type Trajectory, type TurnAttachment, type WorkspaceFile } from '../protocols';
import { DEFAULT_MAX_FILE_BYTES, MAX_LISTED_FILES, sanitizeFileName } from '../sandbox/workspace-names';
import type { Observable } from './state';
import type { AppState, AttachableFile, FileEntry, PendingAttachment } from './types';

/** Saved files of one session together stay under this (files past it are listed as not saved). */
const DEFAULT_MAX_SESSION_FILE_BYTES = 200 * 2 ** 20;
/** Longest first line of a text file told to the model (the agent caps it there too). */
const FIRST_LINE_CHARS = 200;
/** How much of a text file is read to find its first line. */
const FIRST_LINE_PROBE_BYTES = 4096;
const TEXT_NAME = /\.(csv|tsv|txt|md|markdown|json|jsonl|ndjson|xml|ya?ml|toml|ini|cfg|py|js|ts|html?|css|sql|log|tex|rst)$/i;

export interface WorkspaceLimits {
  maxFileBytes: number;
  maxSessionBytes: number;
}

export interface AppWorkspace {
  /** Adds files to the next question; the refusals (no usable name, too big), if any. */
  attach(files: readonly AttachableFile[]): ErrorData | undefined;
  /** Takes a pending file off the next question. */
  remove(name: string): void;
  /**
   * Before a run of `sessionId` in `sandbox`: a sandbox that does not hold this session's files is
   * emptied and gets the saved ones back; with `question`, the pending files are written and saved
   * and returned as the question's attachments (else they keep waiting).
   */
  prepare(sandbox: Sandbox, sessionId: string, opts: { question: boolean }): Promise<TurnAttachment[]>;
  /** After a cell: its listing is shown, and saved with the session (in the background, in order). */
  afterCell(sandbox: Sandbox, sessionId: string, cell: CellResult): void;
  /** Resolves when the saves queued so far are done. */
  settled(): Promise<void>;
  /** The Files panel of a session opened from the list (its saved copies and its last listing); none for a new session. */
  show(trajectory: Trajectory | undefined): Promise<void>;
  /** A file of the session shown: from Python when it holds the session, else its saved copy. */
  read(name: string): Promise<Blob>;
}

/** Which session's files each sandbox holds (a sandbox that is replaced is a new key). */
const holders = new WeakMap<Sandbox, string>();

const problem = (message: string): ErrorData => ({ kind: 'file', message });

/** Bytes as a Blob (the file system hands out plain Uint8Arrays). */
const blobOf = (bytes: Uint8Array): Blob => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/** The first line of a text file (capped), or undefined for binary or unreadable files. */
async function firstLine(p: PendingAttachment): Promise<string | undefined> {
  const textual = /^text\/|json|xml|csv|yaml|markdown/.test(p.type ?? '') || TEXT_NAME.test(p.name);
  if (!textual) return undefined;
  try {
    const head = new Uint8Array(await p.file.slice(0, FIRST_LINE_PROBE_BYTES).arrayBuffer());
    if (head.includes(0)) return undefined;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head).replace(/^\uFEFF/, '');
    return text.split(/\r?\n/, 1)[0]!.slice(0, FIRST_LINE_CHARS);
  } catch {
    return undefined;
  }
}

export function createAppWorkspace(
  state: Observable<AppState>,
  store: () => Promise<SessionStore>,
  limits: WorkspaceLimits = { maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxSessionBytes: DEFAULT_MAX_SESSION_FILE_BYTES },
): AppWorkspace {
  /** The session whose files state.files shows, its saved copies, and why files were not saved. */
  let current: { sessionId?: string; sandbox?: Sandbox; saved: Map<string, SavedFileInfo>; notes: Map<string, string> } = { saved: new Map(), notes: new Map() };
  let queue: Promise<void> = Promise.resolve();
  let warnedFull = false;

  const fileStore = async (): Promise<SessionFileStore | undefined> => {
    const s = await store().catch(() => undefined);
    return isSessionFileStore(s) ? s : undefined;
  };

  function publish(listing: readonly WorkspaceFile[]): void {
    const listed = new Set(listing.map((f) => f.name));
    const entries: FileEntry[] = listing.map((f) => {
      const saved = current.saved.get(f.name);
      const note = current.notes.get(f.name);
      return { ...f, origin: saved?.origin, saved: !!saved && saved.size === f.size && saved.mtime === f.mtime, available: true, ...(note && { note }) };
    });
    // Files the session had that this sandbox does not: only their saved copy, or nothing.
    for (const [name, info] of current.saved) if (!listed.has(name)) entries.push({ name, size: info.size, mtime: info.mtime, origin: info.origin, saved: true, available: true });
    state.set({ files: entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) });
  }

  async function loadSaved(sessionId: string): Promise<Map<string, SavedFileInfo>> {
    const fs = await fileStore();
    const list = fs ? await fs.listSessionFiles(sessionId).catch(() => []) : [];
    return new Map(list.map((f) => [f.name, f]));
  }

  /** Empties the sandbox's /workspace and writes the session's saved files into it; says which could not be read. */
  async function restore(sandbox: Sandbox, sessionId: string): Promise<void> {
    await sandbox.clearFiles();
    const fs = await fileStore();
    if (!fs || !current.saved.size) return;
    const uploads = [];
    const failed: string[] = [];
    for (const info of current.saved.values()) {
      try {
        const blob = await fs.loadSessionFile(sessionId, info.name);
        uploads.push({ name: info.name, data: new Uint8Array(await blob.arrayBuffer()), mtime: info.mtime });
      } catch (e) {
        const why = toErrorData(e, 'file');
        failed.push(why.kind === 'file' ? why.message : `${info.name}: its saved copy cannot be read (${why.message})`);
        current.saved.delete(info.name);
      }
    }
    if (uploads.length) await sandbox.writeFiles(uploads);
    if (failed.length) state.set({ error: problem(`Some files of this session could not be restored into Python: ${failed.join(' ')}`) });
  }

  /** Saves one file of the workspace with the session, or notes why it was not. */
  async function save(fs: SessionFileStore, sessionId: string, f: WorkspaceFile, origin: SavedFileInfo['origin'], data: () => Promise<Uint8Array>): Promise<void> {
    const others = [...current.saved.values()].filter((s) => s.name !== f.name).reduce((n, s) => n + s.size, 0);
    if (f.size > limits.maxFileBytes) return void current.notes.set(f.name, `not saved with the session: over the ${formatFileSize(limits.maxFileBytes)} limit per file`);
    if (others + f.size > limits.maxSessionBytes) return void current.notes.set(f.name, `not saved with the session: its files would pass ${formatFileSize(limits.maxSessionBytes)}`);
    try {
      const bytes = await data();
      const info: SavedFileInfo = { name: f.name, size: bytes.byteLength, mtime: f.mtime, origin, savedAt: Date.now() };
      await fs.saveSessionFile(sessionId, info, blobOf(bytes));
      current.saved.set(f.name, info);
      current.notes.delete(f.name);
    } catch (e) {
      const err = toErrorData(e, 'storage');
      current.notes.set(f.name, err.kind === 'quota' ? 'not saved with the session: browser storage is nearly full' : `not saved with the session: ${err.message}`);
      if (err.kind === 'quota' && !warnedFull) {
        warnedFull = true;
        state.set({ warning: { ...err, message: `${err.message} Files stay in Python until the page is closed; download the ones you need.` } });
      }
    }
  }

  /** Brings the saved copies in line with a listing: changed files saved, removed ones deleted. */
  async function sync(sandbox: Sandbox, sessionId: string, listing: readonly WorkspaceFile[]): Promise<void> {
    const fs = await fileStore();
    if (!fs || current.sessionId !== sessionId) return;
    for (const f of listing) {
      const saved = current.saved.get(f.name);
      if (saved && saved.size === f.size && saved.mtime === f.mtime) continue;
      await save(fs, sessionId, f, saved?.origin ?? 'agent', () => sandbox.readFile(f.name));
    }
    const listed = new Set(listing.map((f) => f.name));
    const gone = listing.length >= MAX_LISTED_FILES ? [] : [...current.saved.keys()].filter((n) => !listed.has(n));
    if (gone.length) {
      await fs.deleteSessionFiles(sessionId, gone).catch(() => undefined);
      for (const n of gone) current.saved.delete(n);
    }
    for (const n of [...current.notes.keys()]) if (!listed.has(n)) current.notes.delete(n);
  }

  /** Runs `work` after everything queued before it (preparing, showing, saving never interleave). */
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const p = queue.then(work);
    queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  };

  return {
    attach(files) {
      const refused: string[] = [];
      const pending = [...state.get().attachments];
      for (const file of files) {
        const name = sanitizeFileName(String(file?.name ?? ''));
        if (!name) refused.push(`"${String(file?.name ?? '')}" has no usable file name.`);
        else if (!(file.size <= limits.maxFileBytes)) refused.push(`${name} is ${formatFileSize(file.size)}; files up to ${formatFileSize(limits.maxFileBytes)} can be attached.`);
        else {
          const entry: PendingAttachment = { name, size: file.size, ...(file.type && { type: file.type }), file };
          const at = pending.findIndex((p) => p.name === name);
          if (at >= 0) pending[at] = entry; // the same name again replaces the earlier file
          else pending.push(entry);
        }
      }
      const error = refused.length ? problem(`Not attached: ${refused.join(' ')}`) : undefined;
      state.set({ attachments: pending, ...(error && { error }) });
      return error;
    },
    remove(name) {
      state.set({ attachments: state.get().attachments.filter((a) => a.name !== name) });
    },
    prepare: (sandbox, sessionId, opts) => exclusive(async () => {
      if (current.sessionId !== sessionId) current = { sessionId, saved: await loadSaved(sessionId), notes: new Map() };
      current.sandbox = sandbox;
      if (holders.get(sandbox) !== sessionId) {
        holders.delete(sandbox);
        await restore(sandbox, sessionId);
        holders.set(sandbox, sessionId);
      }
      const pending = opts.question ? state.get().attachments : [];
      const attachments: TurnAttachment[] = [];
      if (pending.length) {
        const uploads = await Promise.all(pending.map(async (p) => ({ name: p.name, data: new Uint8Array(await p.file.arrayBuffer()) })));
        const listing = await sandbox.writeFiles(uploads);
        state.set({ attachments: state.get().attachments.filter((a) => !pending.includes(a)) });
        const fs = await fileStore();
        for (const p of pending) {
          const line = await firstLine(p);
          attachments.push({ name: p.name, size: p.size, ...(p.type && { type: p.type }), ...(line !== undefined && { firstLine: line }) });
          const listed = listing.find((f) => f.name === p.name);
          if (fs && listed) await save(fs, sessionId, listed, 'attached', async () => uploads.find((u) => u.name === p.name)!.data);
        }
      }
      publish(await sandbox.listFiles());
      return attachments;
    }),
    afterCell(sandbox, sessionId, cell) {
      const listing = cell.files;
      if (!listing || current.sessionId !== sessionId) return;
      publish(listing);
      void exclusive(async () => {
        await sync(sandbox, sessionId, listing);
        if (current.sessionId === sessionId) publish(listing);
      }).catch((e: unknown) => console.warn('l0 app: saving the session files failed', e));
    },
    settled: () => queue,
    show: (trajectory) => exclusive(async () => {
      if (!trajectory) {
        current = { saved: new Map(), notes: new Map() };
        state.set({ files: [] });
        return;
      }
      const sessionId = trajectory.sessionId;
      // Python may still hold this session's files (its run just ended): they stay downloadable.
      const sandbox = current.sandbox && holders.get(current.sandbox) === sessionId ? current.sandbox : undefined;
      current = { sessionId, sandbox, saved: await loadSaved(sessionId), notes: new Map() };
      const last = [...trajectory.steps].reverse().find((s) => s.cell?.files)?.cell?.files ?? [];
      // Files of the last listing that have no saved copy are shown as not kept.
      for (const f of last) if (!current.saved.has(f.name)) current.notes.set(f.name, 'not saved with the session');
      const entries: FileEntry[] = last.map((f) => {
        const saved = current.saved.get(f.name);
        return saved ? { ...f, size: saved.size, mtime: saved.mtime, origin: saved.origin, saved: true, available: true } : { ...f, saved: false, available: !!sandbox, note: current.notes.get(f.name) };
      });
      for (const [name, info] of current.saved) if (!last.some((f) => f.name === name)) entries.push({ name, size: info.size, mtime: info.mtime, origin: info.origin, saved: true, available: true });
      state.set({ files: entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) });
    }),
    async read(name) {
      const { sessionId, sandbox } = current;
      if (!sessionId) throw new L0Error(problem('No session is shown.'));
      if (sandbox && holders.get(sandbox) === sessionId) {
        try {
          return blobOf(await sandbox.readFile(name));
        } catch {
          // Python was replaced or stopped: the saved copy is next
        }
      }
      const fs = await fileStore();
      if (!fs) throw new L0Error(problem(`${name} is not in Python any more and this store keeps no files.`));
      return fs.loadSessionFile(sessionId, name);
    },
  };
}
