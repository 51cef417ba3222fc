// A working directory in memory with the real sandbox's rules (names, size limit, listing order,
// errors): the file half of FakeSandbox and of other test sandboxes, so code above the Sandbox
// interface (the agent, the app) is tested against the same behaviour as PyodideSandbox.
import { formatFileSize, L0Error, type Sandbox, type WorkspaceFile, type WorkspaceUpload } from '../protocols';
import { DEFAULT_MAX_FILE_BYTES, MAX_LISTED_FILES, uploadsProblem, workspacePathProblem, WORKSPACE_DIR } from './workspace-names';

type WorkspaceMethods = Pick<Sandbox, 'writeFiles' | 'listFiles' | 'readFile' | 'clearFiles'>;

export interface MemoryWorkspace extends WorkspaceMethods {
  /** The files by name (tests may read or change them, as a cell writing files would). */
  readonly files: Map<string, { data: Uint8Array; mtime: number }>;
  /** The listing now (what a cell result's `files` holds). */
  listing(): WorkspaceFile[];
}

const fileError = (message: string) => new L0Error({ kind: 'file', message });

function memoryWorkspace(maxFileBytes = DEFAULT_MAX_FILE_BYTES, now: () => number = Date.now): MemoryWorkspace {
  const files = new Map<string, { data: Uint8Array; mtime: number }>();
  const listing = (): WorkspaceFile[] =>
    [...files.entries()]
      .map(([name, f]) => ({ name, size: f.data.byteLength, mtime: f.mtime }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, MAX_LISTED_FILES);
  return {
    files,
    listing,
    async writeFiles(uploads: WorkspaceUpload[]) {
      const problem = uploadsProblem(uploads, maxFileBytes);
      if (problem) throw fileError(`Not written: ${problem}.`);
      for (const u of uploads) files.set(u.name, { data: u.data.slice(), mtime: u.mtime ?? now() });
      return listing();
    },
    async listFiles() {
      return listing();
    },
    async readFile(name: string) {
      const problem = workspacePathProblem(name);
      if (problem) throw fileError(problem);
      const f = files.get(name);
      if (!f) throw fileError(`No file named ${JSON.stringify(name)} in ${WORKSPACE_DIR}.`);
      if (f.data.byteLength > maxFileBytes) throw fileError(`${name} is ${formatFileSize(f.data.byteLength)}, over the limit of ${formatFileSize(maxFileBytes)} per file.`);
      return f.data.slice();
    },
    async clearFiles() {
      files.clear();
    },
  };
}

/**
 * The file half of a Sandbox made for tests and benchmarks: a working directory in memory and the
 * four file methods on it (FakeSandbox, the agent tests' and the benchmark's sandboxes extend it).
 */
export abstract class MemoryFilesSandbox implements WorkspaceMethods {
  /** The working directory: a scripted cell "writes" a file with `workspace.files.set(...)`. */
  readonly workspace: MemoryWorkspace;

  constructor(maxFileBytes?: number) {
    this.workspace = memoryWorkspace(maxFileBytes);
  }

  writeFiles(files: WorkspaceUpload[]) {
    return this.workspace.writeFiles(files);
  }

  listFiles() {
    return this.workspace.listFiles();
  }

  readFile(name: string) {
    return this.workspace.readFile(name);
  }

  clearFiles() {
    return this.workspace.clearFiles();
  }
}
