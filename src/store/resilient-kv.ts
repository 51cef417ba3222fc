// Keeps a session going when IndexedDB fails: on a quota error, or when the database cannot be
// opened at all (private mode, blocked storage), everything still readable is copied into memory,
// the failed write is applied there, and from then on the store works in memory. One warning
// (ErrorData 'quota' or 'storage') tells the UI to show a banner with an export button.
import type { ErrorData } from '../protocols';
import type { KV } from './kv';
import { memoryKV } from './kv';

/** Errors that mean "storage is gone or full", not "this value or this write is wrong". */
const STORAGE_FAILURES = new Set([
  'QuotaExceededError',
  'InvalidStateError', // Firefox private mode, a closed connection
  'UnknownError', // Safari, a broken database file
  'SecurityError', // storage blocked for this origin
  'NotFoundError', // the database exists without our object store
  'VersionError',
  'AbortError',
  'TransactionInactiveError',
  'ReferenceError', // no indexedDB global at all
]);

export function isStorageFailure(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const name = (e as { name?: unknown }).name;
  return typeof name === 'string' && STORAGE_FAILURES.has(name);
}

export function storageFailureData(e: unknown): ErrorData {
  const name = String((e as { name?: unknown })?.name ?? 'Error');
  const quota = name === 'QuotaExceededError';
  return {
    kind: quota ? 'quota' : 'storage',
    message: quota
      ? 'Browser storage is full. This session continues in memory only: export it before closing the tab.'
      : 'Browser storage (IndexedDB) is unavailable here (private mode or blocked storage?). Sessions are kept in memory only: export them before closing the tab.',
    detail: { name, cause: String((e as { message?: unknown })?.message ?? e) },
  };
}

export interface ResilientKV extends KV {
  /** The warning that switched it to memory, if that happened. */
  readonly warning: ErrorData | undefined;
}

export function resilientKV(primary: KV, onFailover: (warning: ErrorData) => void): ResilientKV {
  let active: KV = primary;
  let warning: ErrorData | undefined;
  let switching: Promise<void> | undefined;

  const failover = (error: unknown): Promise<void> =>
    (switching ??= (async () => {
      let rescued: KV;
      try {
        // Reads usually still work when only writes hit the quota.
        const entries = await primary.entries();
        rescued = memoryKV(entries.filter((e) => e.error === undefined).map((e) => [e.key, e.value]));
      } catch {
        rescued = memoryKV();
      }
      active = rescued;
      warning = storageFailureData(error);
      onFailover(warning);
    })());

  const guard = async <T>(op: (kv: KV) => Promise<T>): Promise<T> => {
    const kv = active;
    try {
      return await op(kv);
    } catch (e) {
      if (kv === primary && isStorageFailure(e)) {
        await failover(e);
        return op(active);
      }
      throw e;
    }
  };

  return {
    get kind() {
      return active.kind;
    },
    get warning() {
      return warning;
    },
    get: (key) => guard((kv) => kv.get(key)),
    entries: (prefix) => guard((kv) => kv.entries(prefix)),
    keys: () => guard((kv) => kv.keys()),
    transact: (keys, plan) => guard((kv) => kv.transact(keys, plan)),
  };
}
