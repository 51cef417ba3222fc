// pruneSessions (store/retention.ts): the embed widget's `keepSessions`.
import { describe, expect, it } from 'vitest';
import { MemoryStore, pruneSessions } from '../../src/store/index';

async function storeWith(tasks: { task: string; status: 'answered' | 'running' }[]): Promise<{ store: MemoryStore; ids: string[] }> {
  let now = 1_000;
  const store = new MemoryStore({ now: () => now, locks: null });
  const ids: string[] = [];
  for (const t of tasks) {
    now += 10; // distinct times: newest last
    ids.push(await store.createSession(t.task, { status: t.status }));
  }
  return { store, ids };
}

describe('pruneSessions', () => {
  it('keeps the newest `limit` sessions and deletes the others, all their records included', async () => {
    const { store, ids } = await storeWith([{ task: 'a', status: 'answered' }, { task: 'b', status: 'answered' }, { task: 'c', status: 'answered' }]);
    expect(await pruneSessions(store, 2)).toEqual([ids[0]]);
    expect((await store.listSessions()).map((s) => s.task)).toEqual(['c', 'b']);
    expect(await store.openSession(ids[0]!)).toBeUndefined();
    expect(await pruneSessions(store, 2)).toEqual([]);
  });

  it('never deletes a running or protected session; they count towards the limit', async () => {
    const { store, ids } = await storeWith([{ task: 'old', status: 'answered' }, { task: 'live', status: 'running' }, { task: 'new', status: 'answered' }]);
    const owner = await store.acquireSession(ids[1]!); // a live tab runs it
    expect(owner.owned).toBe(true);
    expect(await pruneSessions(store, 0, { keep: [ids[2]!] })).toEqual([ids[0]]);
    expect((await store.listSessions()).map((s) => s.task).sort()).toEqual(['live', 'new']);
    await owner.release();
  });

  it('an infinite limit keeps everything', async () => {
    const { store } = await storeWith([{ task: 'a', status: 'answered' }]);
    expect(await pruneSessions(store, Infinity)).toEqual([]);
  });
});
