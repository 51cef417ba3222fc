// A session's workspace files in the store: one record per file under ['file', sessionId, name],
// the bytes as a Blob (IndexedDB keeps Blobs out of the record's structured clone, and reads them
// back lazily), never inside the trajectory. Deleting a session deletes them (one key range).
// A record that cannot be read back, or whose Blob is gone, is reported with the file's name.
import { L0Error, type SavedFileInfo } from '../protocols';
import { fileKey, filesPrefix } from './keys';
import type { KV, WritePlan } from './kv';
import { storeIssue, type StoreIssue } from './records';

/** The stored record of one file. */
interface FileRecord {
  info: SavedFileInfo;
  data: Blob;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * A relative '/'-separated path without '.', '..' or empty parts, backslashes or control characters
 * (the sandbox's rule, workspace-names.ts, in short): a damaged record's name must not reach the zip
 * export, where '../x' would be written outside the folder it is unpacked in.
 */
const isWorkspaceName = (name: string): boolean =>
  name.length > 0 && name.length <= 1024 && !/[\\\u0000-\u001f\u007f]/.test(name) && name.split('/').every((p) => p !== '' && p !== '.' && p !== '..');

/** Why a record's description of its file is unusable, or undefined. */
function checkInfo(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'file record is not an object';
  const { info } = v as Partial<FileRecord>;
  if (typeof info !== 'object' || info === null || typeof info.name !== 'string' || !isNum(info.size) || !isNum(info.mtime)) return 'file record has no name/size/time';
  if (!isWorkspaceName(info.name)) return 'file record has a name that is not a plain relative path';
  if (info.origin !== 'attached' && info.origin !== 'agent') return 'file record has an unknown origin';
  return undefined;
}

/** Why a record's bytes are unusable (its Blob missing or of the wrong size), or undefined. */
function checkData(v: FileRecord): string | undefined {
  if (typeof Blob === 'undefined' || !(v.data instanceof Blob)) return 'its record holds no Blob';
  if (v.data.size !== v.info.size) return `its Blob has ${v.data.size} bytes instead of ${v.info.size}`;
  return undefined;
}

/** Why a value read back is not a usable file record, or undefined. */
function checkFileRecord(v: unknown): string | undefined {
  return checkInfo(v) ?? checkData(v as FileRecord);
}

/**
 * A session's saved files, in name order. A record that says which file it is but whose bytes are
 * damaged is listed with `damaged` (loading it says why); one that does not is reported and left out.
 */
export async function listFiles(kv: KV, sessionId: string, report: (i: StoreIssue) => void): Promise<SavedFileInfo[]> {
  const out: SavedFileInfo[] = [];
  for (const e of await kv.entries(filesPrefix(sessionId))) {
    const problem = e.error !== undefined ? `cannot be read (${String((e.error as Error)?.name ?? e.error)})` : checkInfo(e.value);
    if (problem) {
      report(storeIssue(e.key, problem, sessionId));
      continue;
    }
    const record = e.value as FileRecord;
    const damaged = checkData(record);
    out.push({ ...record.info, ...(damaged && { damaged }) });
  }
  return out;
}

/** One file's bytes; an L0Error ('file') saying which file and why when it cannot be had. */
export async function loadFile(kv: KV, sessionId: string, name: string): Promise<Blob> {
  let v: unknown;
  try {
    v = await kv.get(fileKey(sessionId, name));
  } catch (e) {
    throw new L0Error({ kind: 'file', message: `The saved copy of ${name} cannot be read (${String((e as Error)?.name ?? e)}).`, detail: { sessionId, name } });
  }
  if (v === undefined) throw new L0Error({ kind: 'file', message: `${name} is not saved with this session.`, detail: { sessionId, name } });
  const problem = checkFileRecord(v);
  if (problem) throw new L0Error({ kind: 'file', message: `The saved copy of ${name} is damaged (${problem.replace(/^file record /, 'its record ')}).`, detail: { sessionId, name } });
  return (v as FileRecord).data;
}

export function saveFilePlan(sessionId: string, info: SavedFileInfo, data: Blob): WritePlan {
  if (!isWorkspaceName(info.name)) throw new L0Error({ kind: 'file', message: `Cannot save ${JSON.stringify(info.name.slice(0, 80))}: not a plain relative file name.` });
  if (data.size !== info.size) throw new L0Error({ kind: 'file', message: `Cannot save ${info.name}: ${data.size} bytes given for a file of ${info.size}.` });
  const { damaged: _damaged, ...clean } = info;
  const record: FileRecord = { info: clean, data };
  return { put: [[fileKey(sessionId, info.name), record]] };
}

export function deleteFilesPlan(sessionId: string, names?: readonly string[]): WritePlan {
  return names ? { del: names.map((n) => fileKey(sessionId, n)) } : { delPrefix: [filesPrefix(sessionId)] };
}
