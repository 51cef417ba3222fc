// The key layout of the store (schema v1). Keys are arrays so that one session's steps form a
// contiguous, numerically ordered key range that IndexedDB can read or delete in one request.
//
//   ['schema']                      -> number (the schema version of the whole database)
//   ['meta', id]                    -> SessionMeta            (one small record per session: the sidebar)
//   ['notepad', id]                 -> { rev, state }         (overwritten after every cell)
//   ['run', id]                     -> { rev, run }           (the Trajectory header, without steps)
//   ['step', id, index]             -> TrajectoryStep         (append-only: one key per step)
//   ['setting', name]               -> { value }
//   ['file', id, name]              -> { info, data: Blob }  (a workspace file of the session)
//
// A hypothetical earlier build (schema v0) wrote string keys, 'session:<id>' and 'settings';
// see migrate.ts.

export type KeyPart = string | number;
export type StoreKey = KeyPart[] | string;

export const SCHEMA_KEY: KeyPart[] = ['schema'];
export const metaKey = (id: string): KeyPart[] => ['meta', id];
export const notepadKey = (id: string): KeyPart[] => ['notepad', id];
export const runKey = (id: string): KeyPart[] => ['run', id];
export const stepKey = (id: string, index: number): KeyPart[] => ['step', id, index];
export const stepsPrefix = (id: string): KeyPart[] => ['step', id];
export const settingKey = (name: string): KeyPart[] => ['setting', name];
export const fileKey = (id: string, name: string): KeyPart[] => ['file', id, name];
export const filesPrefix = (id: string): KeyPart[] => ['file', id];
export const META_PREFIX: KeyPart[] = ['meta'];

/** A readable form of a key for issue reports. */
export function keyToString(key: StoreKey): string {
  return typeof key === 'string' ? key : key.join('/');
}

/** True when `key` is an array key that starts with every part of `prefix` (and is longer or equal). */
export function hasPrefix(key: unknown, prefix: KeyPart[]): key is KeyPart[] {
  if (!Array.isArray(key) || key.length < prefix.length) return false;
  return prefix.every((p, i) => key[i] === p);
}

// IndexedDB's key order for the key types we use: number < string < array; arrays compare
// element by element, a shorter array first when it is a prefix of the longer one.
function typeRank(k: unknown): number {
  if (typeof k === 'number') return 1;
  if (typeof k === 'string') return 3;
  if (Array.isArray(k)) return 5;
  return 9;
}

export function compareKeys(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareKeys(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return a === b ? 0 : (a as number | string) < (b as number | string) ? -1 : 1;
}
