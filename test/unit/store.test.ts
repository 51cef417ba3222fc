// The session store against a real IndexedDB implementation (fake-indexeddb) in Node.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { L0Error, type NotepadState, type TrajectoryStep } from '../../src/protocols';
import {
  IndexedDBStore,
  MemoryStore,
  ResilientStore,
  acquireSession,
  idbKV,
  isSessionOwned,
  memoryKV,
  storeKeys,
  type StoreBackend,
  type StoreIssue,
} from '../../src/store/index';

let dbCount = 0;
const freshDb = () => `l0-test-${process.pid}-${++dbCount}`;

const notepad = (facts: string[] = [], draft = ''): NotepadState => ({ todos: [{ text: 'find the answer', done: false }], facts, draft });

function step(index: number, over: Partial<TrajectoryStep> = {}): TrajectoryStep {
  const code = `x${index} = ${index} * 2\nprint(x${index})`;
  return {
    index,
    raw: `<think>step ${index}</think>\n<code>${code}</code>`,
    think: `step ${index}`,
    code,
    formatErrors: [],
    finishReason: 'stop',
    cell: { status: 'ok', stdout: `${index * 2}\n`, stderr: '', durationMs: 3, truncated: false, restarted: false },
    observation: `<output>${index * 2}</output>`,
    notepad: notepad([`fact ${index}`]),
    collapsedBefore: false,
    timings: { startedAt: 1000 + index, generateMs: 10, cellMs: 3 },
    usage: { promptTokens: 100, completionTokens: 20 },
    ...over,
  };
}

const stores = {
  indexeddb: () => new IndexedDBStore(freshDb(), { locks: null }),
  memory: () => new MemoryStore({ locks: null }),
};

describe.each(Object.entries(stores))('%s store: sessions', (_name, make) => {
  it('creates, lists, loads, renames and deletes a session', async () => {
    const s = make();
    const id = await s.createSession('What is 6 * 7?', { modelId: 'scripted', title: 'Multiply' });
    const lease = await s.acquireSession(id);
    expect(lease.owned).toBe(true);
    await s.appendStep(id, step(1));
    await s.saveNotepad(id, notepad(['6*7 = 42'], 'answer is 42'));
    await s.saveRun(id, { ...(await s.loadSession(id))!, status: 'answered', finalAnswer: '42', endedAt: 2000 });
    await s.appendStep(id, step(2));

    const list = await s.listSessions();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id, title: 'Multiply', task: 'What is 6 * 7?', status: 'answered', stepCount: 2, finalAnswer: '42', modelId: 'scripted' });

    const t = await s.loadSession(id);
    expect(t!.steps.map((x) => x.index)).toEqual([1, 2]);
    expect(t!.steps[0]).toEqual(step(1));
    expect(t).toMatchObject({ sessionId: id, status: 'answered', finalAnswer: '42', version: 1 });
    expect(await s.loadNotepad(id)).toEqual(notepad(['6*7 = 42'], 'answer is 42'));

    await s.renameSession(id, 'Renamed');
    expect((await s.listSessions())[0].title).toBe('Renamed');

    const other = await s.createSession('Another task');
    await s.deleteSession(id);
    expect((await s.listSessions()).map((m) => m.id)).toEqual([other]);
    expect(await s.loadSession(id)).toBeUndefined();
    expect(await s.loadNotepad(id)).toBeUndefined();
    await lease.release();
  });

  it('keeps settings', async () => {
    const s = make();
    expect(await s.getSetting('model')).toBeUndefined();
    await s.setSetting('model', { id: 'Qwen3-0.6B', temperature: 0.6 });
    expect(await s.getSetting('model')).toEqual({ id: 'Qwen3-0.6B', temperature: 0.6 });
  });

  it('lists sessions most recently active first', async () => {
    let t = 0;
    const s = new MemoryStore({ locks: null, now: () => ++t });
    const a = await s.createSession('a');
    const b = await s.createSession('b');
    expect((await s.listSessions()).map((m) => m.id)).toEqual([b, a]);
    await s.appendStep(a, step(1));
    expect((await s.listSessions()).map((m) => m.id)).toEqual([a, b]);
  });

  it('rejects malformed steps and unknown sessions with L0Error data', async () => {
    const s = make();
    const id = await s.createSession('t');
    await expect(s.appendStep(id, { ...step(1), index: 0 })).rejects.toMatchObject({ kind: 'storage' });
    await expect(s.renameSession('nope', 'x')).rejects.toBeInstanceOf(L0Error);
    await expect(s.exportSession('nope')).rejects.toMatchObject({ kind: 'storage' });
  });
});

describe('append-only steps', () => {
  it('writes one key per step and never rewrites an earlier one', async () => {
    const db = freshDb();
    const s = new IndexedDBStore(db, { locks: null });
    const id = await s.createSession('t');
    await s.appendStep(id, step(1));
    const raw = idbKV(db);
    const before = await raw.get(storeKeys.stepKey(id, 1));
    // Observe every write the store makes while appending step 2.
    const written: unknown[] = [];
    const spy: StoreBackend = { ...raw, transact: (keys, plan) => raw.transact(keys, (v) => { const p = plan(v); written.push(...(p.put ?? []).map(([k]) => k)); return p; }) };
    const s2 = new (class extends IndexedDBStore {})(db, { locks: null });
    Object.assign(s2, { kv: spy });
    await s2.appendStep(id, step(2));
    expect(written).toEqual([storeKeys.stepKey(id, 2), storeKeys.metaKey(id)]);
    expect(await raw.get(storeKeys.stepKey(id, 1))).toEqual(before);
    const keys = (await raw.keys()).filter((k) => Array.isArray(k) && k[0] === 'step');
    expect(keys).toEqual([storeKeys.stepKey(id, 1), storeKeys.stepKey(id, 2)]);
  });

  it('orders steps numerically (step 10 after step 9)', async () => {
    const s = new IndexedDBStore(freshDb(), { locks: null });
    const id = await s.createSession('t');
    for (const i of [1, 2, 10, 9, 3]) await s.appendStep(id, step(i));
    expect((await s.loadSession(id))!.steps.map((x) => x.index)).toEqual([1, 2, 3, 9, 10]);
  });
});

describe('reload mid-run', () => {
  it('reopens a running session without a live owner as interrupted, with its steps, notepad and cells', async () => {
    const db = freshDb();
    const tab = new IndexedDBStore(db, { locks: null });
    const id = await tab.createSession('long research');
    const lease = await tab.acquireSession(id);
    await tab.appendStep(id, step(1));
    await tab.saveNotepad(id, notepad(['a'], 'draft 1'));
    await tab.appendStep(id, step(2, { cell: { status: 'error', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, error: { ename: 'NameError', evalue: "name 'y' is not defined", traceback: ["NameError: name 'y' is not defined"] } } }));
    await tab.appendStep(id, step(3));
    await tab.saveNotepad(id, notepad(['a', 'b'], 'draft 2'));
    // While the owner lives, every tab sees it running.
    const other = new IndexedDBStore(db, { locks: null });
    expect((await other.listSessions())[0].status).toBe('running');
    expect(await isSessionOwned(id, { namespace: db, locks: null })).toBe(true);

    await lease.release(); // the tab goes away
    const reloaded = new IndexedDBStore(db, { locks: null });
    expect((await reloaded.listSessions())[0].status).toBe('interrupted');
    const opened = (await reloaded.openSession(id))!;
    expect(opened.interrupted).toBe(true);
    expect(opened.trajectory.status).toBe('interrupted');
    expect(opened.trajectory.steps.map((x) => x.index)).toEqual([1, 2, 3]);
    expect(opened.notepad).toEqual(notepad(['a', 'b'], 'draft 2'));
    // The failed cell is not replayed; the others are, in order.
    expect(opened.cells).toEqual([step(1).code, step(3).code]);

    // Continuing: take ownership, keep appending.
    const lease2 = await reloaded.acquireSession(id);
    expect(lease2.owned).toBe(true);
    await reloaded.saveRun(id, { ...opened.trajectory, status: 'running' });
    await reloaded.appendStep(id, step(4));
    expect((await reloaded.openSession(id))!.meta).toMatchObject({ status: 'running', stepCount: 4 });
    await lease2.release();
  });

  it('degrades without Web Locks: Node has no navigator.locks, the in-process registry is used', async () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    const s = new MemoryStore();
    const id = await s.createSession('t');
    const lease = await s.acquireSession(id);
    expect(lease).toMatchObject({ owned: true, mechanism: 'in-process' });
    expect((await s.listSessions())[0].status).toBe('running');
    await lease.release();
    expect((await s.listSessions())[0].status).toBe('interrupted');
  });
});

describe('two tabs on one session', () => {
  it('the second is not the owner until it takes over; the first hears it lost the session', async () => {
    const ns = freshDb();
    const first = await acquireSession('s1', { namespace: ns, locks: null });
    const second = await acquireSession('s1', { namespace: ns, locks: null });
    expect(first.owned).toBe(true);
    expect(second.owned).toBe(false);
    let lost = 0;
    first.onLost(() => lost++);
    await second.takeOver();
    expect(second.owned).toBe(true);
    expect(first.owned).toBe(false);
    expect(lost).toBe(1);
    await first.release(); // releasing a lost lease must not free the new owner's
    expect(await isSessionOwned('s1', { namespace: ns, locks: null })).toBe(true);
    await second.release();
    expect(await isSessionOwned('s1', { namespace: ns, locks: null })).toBe(false);
  });

  it('rejects a stale notepad or run write with an L0Error saying another tab changed it', async () => {
    const db = freshDb();
    const a = new IndexedDBStore(db, { locks: null });
    const b = new IndexedDBStore(db, { locks: null });
    const id = await a.createSession('t');
    await b.openSession(id);
    await a.saveNotepad(id, notepad(['from A']));
    const err = await b.saveNotepad(id, notepad(['from B'])).catch((e) => e);
    expect(err).toBeInstanceOf(L0Error);
    expect(err).toMatchObject({ kind: 'storage', detail: { reason: 'stale-write' } });
    expect(err.message).toMatch(/another tab/);
    expect(await a.loadNotepad(id)).toEqual(notepad(['from A'])); // A's update was not lost

    const run = (await a.loadSession(id))!;
    await a.saveRun(id, { ...run, status: 'answered', finalAnswer: 'A' });
    await expect(b.saveRun(id, { ...run, status: 'aborted' })).rejects.toMatchObject({ kind: 'storage' });

    // After reloading the session, B writes on top of A's latest.
    await b.openSession(id);
    await b.saveNotepad(id, notepad(['from B after reload']));
    expect(await a.loadNotepad(id)).toEqual(notepad(['from B after reload']));
  });

  it('rejects appending a step index another tab already appended', async () => {
    const db = freshDb();
    const a = new IndexedDBStore(db, { locks: null });
    const b = new IndexedDBStore(db, { locks: null });
    const id = await a.createSession('t');
    await a.appendStep(id, step(1, { think: 'A' }));
    await expect(b.appendStep(id, step(1, { think: 'B' }))).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/another tab/) });
    expect((await b.loadSession(id))!.steps[0].think).toBe('A');
  });

  it('tells other store instances about changes through BroadcastChannel', async () => {
    const db = freshDb();
    const a = new IndexedDBStore(db, { locks: null });
    const b = new IndexedDBStore(db, { locks: null });
    const seen: unknown[] = [];
    const heard = new Promise<void>((resolve) => b.onChange((c) => { seen.push(c); if (c.what === 'step') resolve(); }));
    const id = await a.createSession('t');
    await a.appendStep(id, step(1));
    await heard;
    expect(seen).toContainEqual({ sessionId: id, what: 'step' });
    a.close();
    b.close();
  });
});

describe('corrupt records', () => {
  it('reports and skips unreadable records, never crashes, never deletes other data', async () => {
    const db = freshDb();
    const issues: StoreIssue[] = [];
    const s = new IndexedDBStore(db, { locks: null, onIssue: (i) => issues.push(i) });
    const good = await s.createSession('good one');
    await s.appendStep(good, step(1));
    await s.appendStep(good, step(2));
    await s.appendStep(good, step(3));
    const raw = idbKV(db);
    await raw.transact([], () => ({
      put: [
        [storeKeys.metaKey('broken'), 'garbage'],
        [storeKeys.metaKey('half'), { id: 'half', title: 7 }],
        [storeKeys.stepKey(good, 2), { index: 2, raw: null }],
        [storeKeys.notepadKey(good), { rev: 'x' }],
        [storeKeys.settingKey('theme'), 42],
      ],
    }));

    const list = await s.listSessions();
    expect(list.map((m) => m.id)).toEqual([good]);
    const opened = (await s.openSession(good))!;
    expect(opened.trajectory.steps.map((x) => x.index)).toEqual([1, 3]);
    expect(opened.notepad).toEqual(step(3).notepad); // falls back to the last step's notepad
    expect(await s.getSetting('theme')).toBeUndefined();

    const keys = issues.map((i) => i.key).sort();
    expect(keys).toEqual(['meta/broken', 'meta/half', `notepad/${good}`, `setting/theme`, `step/${good}/2`].sort());
    for (const i of issues) expect(i.error).toMatchObject({ kind: 'storage', message: expect.stringContaining('Skipped') });
    expect(s.issues).toHaveLength(issues.length);
    // Reading again reports nothing new.
    await s.listSessions();
    expect(issues).toHaveLength(keys.length);
    // Nothing was deleted.
    expect(await raw.get(storeKeys.metaKey('broken'))).toBe('garbage');
    expect(await raw.get(storeKeys.stepKey(good, 2))).toEqual({ index: 2, raw: null });
    // The session still accepts writes (the notepad is replaced, the bad step stays skipped).
    await s.saveNotepad(good, notepad(['repaired']));
    expect((await s.openSession(good))!.notepad).toEqual(notepad(['repaired']));
  });
});

describe('ResilientStore', () => {
  const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

  it('switches to memory on QuotaExceededError, keeps everything saved, and warns once', async () => {
    const db = freshDb();
    const real = idbKV(db);
    let fail = false;
    const fullDisk: StoreBackend = {
      ...real,
      kind: 'indexeddb',
      transact: (keys, plan) => (fail ? Promise.reject(quota()) : real.transact(keys, plan)),
    };
    const warnings: unknown[] = [];
    const s = new ResilientStore({ primary: fullDisk, locks: null, onWarning: (w) => warnings.push(w) });
    const id = await s.createSession('big task');
    await s.appendStep(id, step(1));
    await s.saveNotepad(id, notepad(['kept']));
    expect(s.storageKind).toBe('indexeddb');

    fail = true;
    await s.appendStep(id, step(2)); // does not throw: goes to memory
    await s.saveNotepad(id, notepad(['kept', 'in memory']));
    await s.appendStep(id, step(3));
    expect(s.storageKind).toBe('memory');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'quota', message: expect.stringMatching(/export/i) });
    expect(s.warning).toEqual(warnings[0]);
    const late: unknown[] = [];
    s.onWarning((w) => late.push(w));
    expect(late).toEqual(warnings);

    const opened = (await s.openSession(id))!;
    expect(opened.trajectory.steps.map((x) => x.index)).toEqual([1, 2, 3]);
    expect(opened.notepad).toEqual(notepad(['kept', 'in memory']));
    expect(JSON.parse(await s.exportSession(id)).trajectory.steps).toHaveLength(3);
    // IndexedDB still holds what was saved before the failure, untouched.
    expect((await new IndexedDBStore(db, { locks: null }).loadSession(id))!.steps).toHaveLength(1);
  });

  it('works in memory when IndexedDB is missing altogether', async () => {
    const g = globalThis as { indexedDB?: IDBFactory };
    const saved = g.indexedDB;
    delete g.indexedDB;
    try {
      const warnings: Array<{ kind: string }> = [];
      const s = new ResilientStore({ dbName: freshDb(), locks: null, onWarning: (w) => warnings.push(w) });
      const id = await s.createSession('private mode');
      await s.appendStep(id, step(1));
      expect(s.storageKind).toBe('memory');
      expect(warnings).toEqual([expect.objectContaining({ kind: 'storage' })]);
      expect((await s.loadSession(id))!.steps).toHaveLength(1);
    } finally {
      g.indexedDB = saved;
    }
  });

  it('does not fall back for errors that are not storage failures', async () => {
    const broken: StoreBackend = { ...memoryKV(), kind: 'indexeddb', transact: () => Promise.reject(new TypeError('bug')) };
    const s = new ResilientStore({ primary: broken, locks: null });
    await expect(s.createSession('t')).rejects.toMatchObject({ kind: 'storage', message: expect.stringContaining('bug') });
    expect(s.storageKind).toBe('indexeddb');
  });

  it('a plain IndexedDBStore turns a quota error into ErrorData kind quota', async () => {
    const s = new IndexedDBStore(freshDb(), { locks: null });
    Object.assign(s, { kv: { ...memoryKV(), transact: () => Promise.reject(quota()) } });
    await expect(s.createSession('t')).rejects.toMatchObject({ kind: 'quota' });
  });
});

describe('one tab writing concurrently', () => {
  it.each(Object.entries(stores))('%s: concurrent saves from one instance are not stale writes', async (_n, make) => {
    const s = make();
    const id = await s.createSession('t');
    await Promise.all([
      s.saveNotepad(id, notepad(['1'])),
      s.loadNotepad(id),
      s.saveNotepad(id, notepad(['2'])),
      s.appendStep(id, step(1)),
      s.openSession(id),
      s.saveNotepad(id, notepad(['3'])),
    ]);
    expect(await s.loadNotepad(id)).toEqual(notepad(['3']));
  });
});

describe('storage helpers in Node', () => {
  it('report navigator.storage as unsupported instead of throwing', async () => {
    const { requestPersistentStorage, storageEstimate, formatStorageBytes } = await import('../../src/store/index');
    expect(await requestPersistentStorage()).toEqual({ supported: false, persisted: false });
    expect(await storageEstimate()).toEqual({ supported: false });
    expect(formatStorageBytes(1536)).toBe('1.5 KB');
    expect(formatStorageBytes(12)).toBe('12 B');
  });
});
