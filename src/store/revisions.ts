// Revision tracking against lost updates between tabs. The notepad and run records carry `rev`,
// which grows by one on every write; a store instance remembers the rev it last read or wrote, and
// a write that finds another rev means another tab wrote in between: it is rejected.
import { L0Error } from '../protocols';
import { keyToString, type StoreKey } from './keys';

function staleWrite(what: string, id: string): L0Error {
  return new L0Error({
    kind: 'storage',
    message: `The ${what} of this session was changed in another tab; reload the session before writing.`,
    detail: { sessionId: id, reason: 'stale-write' },
  });
}

export interface RevisionTracker {
  /** Records the revision of a record just read (forgets it when the record is absent or unreadable). */
  remember(key: StoreKey, value: unknown, checker: (v: unknown) => string | undefined): void;
  /** Records the revision this instance just wrote. */
  wrote(key: StoreKey, rev: number): void;
  forget(key: StoreKey): void;
  /**
   * The revision to write next over `current` (the stored record, read in the same transaction).
   * Throws a stale-write error when this instance has seen the record at another revision.
   */
  next(key: StoreKey, current: unknown, what: string, sessionId: string): number;
}

export function createRevisionTracker(): RevisionTracker {
  const known = new Map<string, number>();
  return {
    remember(key, value, checker) {
      const k = keyToString(key);
      if (value !== undefined && checker(value) === undefined) known.set(k, (value as { rev: number }).rev);
      else known.delete(k);
    },
    wrote(key, rev) {
      known.set(keyToString(key), rev);
    },
    forget(key) {
      known.delete(keyToString(key));
    },
    next(key, current, what, sessionId) {
      const curRev = typeof (current as { rev?: unknown })?.rev === 'number' ? (current as { rev: number }).rev : undefined;
      const seen = known.get(keyToString(key));
      // A writer that has seen this record must still be looking at its latest revision; one that
      // never read it writes blindly (there is nothing to be stale against).
      if (seen !== undefined && curRev !== undefined && curRev !== seen) throw staleWrite(what, sessionId);
      return (curRev ?? 0) + 1;
    },
  };
}
