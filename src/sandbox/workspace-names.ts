// The sandbox's working directory and the rules for the names of its files, shared by the host
// (page), the worker and the app (which turns a user's file name into one that passes).
//
// Decision: a name is a path relative to /workspace with '/' between parts. Files the user
// attaches are flat (their folder part is dropped: sanitizeFileName); code may make subfolders,
// and those files are listed, saved and restored under their relative path ("out/plot.png").
// Refused: absolute paths, '.' and '..' parts, empty parts ('a//b', a trailing '/'), backslashes,
// NUL and other control characters, a part over 255 UTF-8 bytes (a file system's NAME_MAX), a
// path over 1,024 characters or 8 levels deep.
import { formatFileSize } from '../protocols';

/** Python's working directory in the sandbox. */
export const WORKSPACE_DIR = '/workspace';
/** Default cap on one file written into or read out of the workspace. */
export const DEFAULT_MAX_FILE_BYTES = 50 * 2 ** 20;
const MAX_NAME_PART_BYTES = 255;
export const MAX_PATH_CHARS = 1024;
export const MAX_PATH_DEPTH = 8;
/** A listing stops at this many files (a cell that writes 100,000 files does not flood the page). */
export const MAX_LISTED_FILES = 1000;

const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** Why `name` is not a usable workspace path, or undefined when it is one. */
export function workspacePathProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a file name must be a string';
  if (!name) return 'the file name is empty';
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.length > MAX_PATH_CHARS) return `${shown} is longer than ${MAX_PATH_CHARS} characters`;
  if (CONTROL.test(name)) return `${shown} contains a control character (NUL, newline, …)`;
  if (name.includes('\\')) return `${shown} contains a backslash (use '/' between folders)`;
  if (name.startsWith('/')) return `${shown} is an absolute path (names are relative to ${WORKSPACE_DIR})`;
  const parts = name.split('/');
  if (parts.length > MAX_PATH_DEPTH) return `${shown} is nested more than ${MAX_PATH_DEPTH} folders deep`;
  for (const part of parts) {
    if (!part) return `${shown} has an empty part ('//' or a trailing '/')`;
    if (part === '.' || part === '..') return `${shown} contains '${part}' (no path traversal)`;
    if (utf8Length(part) > MAX_NAME_PART_BYTES) return `${shown} has a part longer than ${MAX_NAME_PART_BYTES} bytes`;
  }
  return undefined;
}

/** The absolute path of a workspace name (check it first). */
export function workspacePath(name: string): string {
  return `${WORKSPACE_DIR}/${name}`;
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
function cutUtf8(s: string, max: number): string {
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * A user's file name (from a file picker, a drop or a paste) as a flat workspace name: the folder
 * part goes, control characters and backslashes become '_', spaces at the ends are trimmed, and a
 * name too long keeps its extension. Undefined when nothing usable is left ('', '.', '..').
 */
export function sanitizeFileName(raw: string): string | undefined {
  const base = String(raw).split(/[/\\]/).pop() ?? '';
  let name = base.replace(/[\u0000-\u001f\u007f]/g, '_').trim();
  if (!name || name === '.' || name === '..') return undefined;
  if (utf8Length(name) > MAX_NAME_PART_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = cutUtf8(name.slice(0, name.length - ext.length), MAX_NAME_PART_BYTES - utf8Length(ext)) + ext;
  }
  return workspacePathProblem(name) ? undefined : name;
}

/**
 * Why these uploads cannot be written (a bad name, not bytes, over `maxBytes`), or undefined. The
 * host checks before sending anything, so the caller gets one clear message and nothing is written.
 */
export function uploadsProblem(files: readonly { name: unknown; data: unknown }[], maxBytes: number): string | undefined {
  for (const f of files) {
    const problem = workspacePathProblem(f.name);
    if (problem) return problem;
    if (!(f.data instanceof Uint8Array)) return `${JSON.stringify(f.name)}: the data must be bytes (a Uint8Array)`;
    if (f.data.byteLength > maxBytes) return `${f.name} is ${formatFileSize(f.data.byteLength)}, over the limit of ${formatFileSize(maxBytes)} per file`;
  }
  return undefined;
}
