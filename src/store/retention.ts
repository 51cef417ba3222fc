// How many sessions a store keeps. An embedded widget saves every run in the host site's
// IndexedDB; without a limit that grows forever, so the embed keeps the newest N (default 20).
import type { SessionStore } from '../protocols';

export interface PruneOptions {
  /** Sessions never deleted here (e.g. the one running now). */
  keep?: Iterable<string>;
}

/**
 * Deletes all but the `limit` most recently active sessions (a running or protected session is
 * never deleted and counts towards the limit). Returns the ids deleted.
 */
export async function pruneSessions(store: SessionStore, limit: number, options: PruneOptions = {}): Promise<string[]> {
  if (!Number.isFinite(limit)) return [];
  const protectedIds = new Set(options.keep ?? []);
  const sessions = await store.listSessions(); // newest first
  const spare = sessions.filter((s) => !protectedIds.has(s.id) && s.status !== 'running');
  const room = Math.max(0, Math.floor(limit) - (sessions.length - spare.length));
  const doomed = spare.slice(room).map((s) => s.id);
  for (const id of doomed) await store.deleteSession(id);
  return doomed;
}
