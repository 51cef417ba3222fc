// The worker side of the working directory /workspace: writing, listing, reading and emptying it
// through Emscripten's file system (Pyodide's `FS`), in JavaScript. Bytes go straight between the
// channel and the in-memory file system: they never pass through Python or the Wasm heap (which
// never shrinks), so a 50 MB file costs 50 MB once. No DOM, no Node modules.
//
// Model code can change the file system between calls (make /workspace a symlink, put a folder
// where a file goes): every path is walked part by part with lstat, symlinks are never followed,
// and /workspace is made a real folder again when it is not one.
import type { WorkspaceFile, WorkspaceUpload } from '../protocols';
import { MAX_LISTED_FILES, MAX_PATH_DEPTH, WORKSPACE_DIR, workspacePath, workspacePathProblem } from './workspace-names';

/** The part of Emscripten's FS used here. */
export interface EmFS {
  mkdir(path: string): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  readdir(path: string): string[];
  lstat(path: string): { mode: number; size: number; mtime: Date | number };
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  utime(path: string, atime: number, mtime: number): void;
  chdir(path: string): void;
  isFile(mode: number): boolean;
  isDir(mode: number): boolean;
}

/** Stops a listing walk in a tree of folders without files. */
const MAX_VISITED = 20 * MAX_LISTED_FILES;

export interface WorkspaceFS {
  /** Makes /workspace (a real folder) and Python's working directory. */
  enter(): void;
  write(files: WorkspaceUpload[], maxBytes: number): WorkspaceFile[];
  list(): WorkspaceFile[];
  read(name: string, maxBytes: number): Uint8Array;
  clear(): void;
}

const fail = (message: string): never => {
  throw new Error(message);
};
const sizeText = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

export function workspaceFS(fs: EmFS): WorkspaceFS {
  const stat = (path: string) => {
    try {
      return fs.lstat(path);
    } catch {
      return undefined; // does not exist (ENOENT) or cannot be reached
    }
  };
  const isRealDir = (path: string): boolean => {
    const st = stat(path);
    return !!st && fs.isDir(st.mode);
  };
  const mtimeOf = (st: { mtime: Date | number }): number => (typeof st.mtime === 'number' ? st.mtime : st.mtime.getTime());

  function removeTree(path: string): void {
    const st = stat(path);
    if (!st) return;
    if (!fs.isDir(st.mode)) return fs.unlink(path); // a file or a symlink (never followed)
    for (const entry of fs.readdir(path)) if (entry !== '.' && entry !== '..') removeTree(`${path}/${entry}`);
    fs.rmdir(path);
  }

  function ensureWorkspace(): void {
    if (isRealDir(WORKSPACE_DIR)) return;
    if (stat(WORKSPACE_DIR)) fs.unlink(WORKSPACE_DIR); // a file or symlink put there by code
    fs.mkdir(WORKSPACE_DIR);
  }

  /** Makes the folders above `name` (real folders; a file in the way is an error). */
  function makeParents(name: string): void {
    const parts = name.split('/').slice(0, -1);
    let path = WORKSPACE_DIR;
    for (const part of parts) {
      path += `/${part}`;
      const st = stat(path);
      if (!st) fs.mkdir(path);
      else if (!fs.isDir(st.mode)) fail(`cannot write ${JSON.stringify(name)}: ${JSON.stringify(path.slice(WORKSPACE_DIR.length + 1))} is a file, not a folder`);
    }
  }

  /** The regular file at `name`, walking real folders only. */
  function fileAt(name: string): { path: string; size: number } {
    const problem = workspacePathProblem(name);
    if (problem) fail(problem);
    let path = WORKSPACE_DIR;
    const parts = name.split('/');
    for (let i = 0; i < parts.length; i++) {
      path += `/${parts[i]}`;
      const st = stat(path);
      if (!st) fail(`no file named ${JSON.stringify(name)} in ${WORKSPACE_DIR}`);
      const last = i === parts.length - 1;
      if (!last && !fs.isDir(st!.mode)) fail(`no file named ${JSON.stringify(name)} in ${WORKSPACE_DIR}`);
      if (last && !fs.isFile(st!.mode)) fail(`${JSON.stringify(name)} is not a regular file`);
      if (last) return { path, size: st!.size };
    }
    return fail(`no file named ${JSON.stringify(name)}`);
  }

  const api: WorkspaceFS = {
    enter() {
      ensureWorkspace();
      fs.chdir(WORKSPACE_DIR);
    },
    write(files, maxBytes) {
      // Everything is checked before anything is written.
      for (const f of files) {
        const problem = workspacePathProblem(f.name);
        if (problem) fail(problem);
        if (!(f.data instanceof Uint8Array)) fail(`${JSON.stringify(f.name)}: the data must be bytes (a Uint8Array)`);
        if (f.data.byteLength > maxBytes) fail(`${JSON.stringify(f.name)} is ${sizeText(f.data.byteLength)}, over the limit of ${sizeText(maxBytes)} per file`);
      }
      ensureWorkspace();
      for (const f of files) {
        makeParents(f.name);
        const path = workspacePath(f.name);
        const st = stat(path);
        if (st && fs.isDir(st.mode)) fail(`cannot write ${JSON.stringify(f.name)}: a folder of that name exists`);
        if (st && !fs.isFile(st.mode)) fs.unlink(path); // a symlink is replaced, never written through
        fs.writeFile(path, f.data);
        if (f.mtime !== undefined && Number.isFinite(f.mtime) && f.mtime >= 0) fs.utime(path, f.mtime, f.mtime);
      }
      return api.list();
    },
    list() {
      const out: WorkspaceFile[] = [];
      if (!isRealDir(WORKSPACE_DIR)) return out;
      const folders: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
      let visited = 0;
      while (folders.length && out.length < MAX_LISTED_FILES && visited < MAX_VISITED) {
        const { rel, depth } = folders.pop()!;
        const dir = rel ? workspacePath(rel) : WORKSPACE_DIR;
        let entries: string[];
        try {
          entries = fs.readdir(dir);
        } catch {
          continue;
        }
        for (const entry of entries) {
          if (entry === '.' || entry === '..') continue;
          if (++visited > MAX_VISITED || out.length >= MAX_LISTED_FILES) break;
          const name = rel ? `${rel}/${entry}` : entry;
          if (workspacePathProblem(name)) continue; // a name no API call could use (e.g. a newline in it)
          const st = stat(workspacePath(name));
          if (!st) continue;
          if (fs.isDir(st.mode)) {
            if (depth + 1 < MAX_PATH_DEPTH) folders.push({ rel: name, depth: depth + 1 });
          } else if (fs.isFile(st.mode)) {
            out.push({ name, size: st.size, mtime: mtimeOf(st) });
          }
        }
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    read(name, maxBytes) {
      const { path, size } = fileAt(name);
      if (size > maxBytes) fail(`${JSON.stringify(name)} is ${sizeText(size)}, over the limit of ${sizeText(maxBytes)} per file`);
      return fs.readFile(path);
    },
    clear() {
      if (isRealDir(WORKSPACE_DIR)) {
        for (const entry of fs.readdir(WORKSPACE_DIR)) if (entry !== '.' && entry !== '..') removeTree(`${WORKSPACE_DIR}/${entry}`);
      }
      api.enter();
    },
  };
  return api;
}
