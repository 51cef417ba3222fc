// Schema migrations, from every earlier version (v0: one blob per session) to the current one.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  IndexedDBStore,
  SCHEMA_VERSION,
  V0_SESSION_PREFIX,
  V0_SETTINGS_KEY,
  idbKV,
  storeKeys,
  type StoreIssue,
  type V0Session,
  sessionToMarkdown,
} from '../../src/store/index';
import { turnsOf } from '../../src/protocols';

let n = 0;
const freshDb = () => `l0-migrate-${process.pid}-${++n}`;

const v0Session: V0Session = {
  id: 'old1',
  task: 'How many moons has Mars?',
  model: 'Qwen2.5-0.5B',
  status: 'done',
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_100_000,
  notepad: { todos: ['[x] search', '[ ] verify'], facts: ['Mars has 2 moons'], draft: 'Two.' },
  steps: [
    { think: 'search first', code: 'r = web_search("Mars moons")\nprint(r[0])', output: 'Phobos and Deimos\n', at: 1_700_000_010_000 },
    { think: 'oops', code: '1/0', output: '', error: 'Traceback (most recent call last):\nZeroDivisionError: division by zero' },
    { think: 'answer', code: 'submit_final_answer("2")', output: '' },
  ],
  answer: '2',
};
const v0Running: V0Session = { id: 'old2', task: 'unfinished', status: 'running', createdAt: 1_700_000_200_000, steps: [{ think: 't', code: 'x = 1', output: '' }] };

async function seedV0(db: string, extra: Array<[string, unknown]> = []) {
  await idbKV(db).transact([], () => ({
    put: [
      [V0_SESSION_PREFIX + v0Session.id, v0Session],
      [V0_SESSION_PREFIX + v0Running.id, v0Running],
      [V0_SETTINGS_KEY, { theme: 'dark', modelId: 'Qwen2.5-0.5B' }],
      ...extra,
    ],
  }));
}

describe('migration from schema v0 (one blob per session)', () => {
  it('splits every blob into per-session keys and converts the old shapes', async () => {
    const db = freshDb();
    await seedV0(db);
    const s = new IndexedDBStore(db, { locks: null });
    expect(await s.ready()).toEqual({ from: 0, to: SCHEMA_VERSION });

    const list = await s.listSessions();
    expect(list.map((m) => m.id)).toEqual(['old2', 'old1']);
    expect(list[1]).toMatchObject({ title: 'How many moons has Mars?', status: 'answered', stepCount: 3, finalAnswer: '2', modelId: 'Qwen2.5-0.5B' });
    expect(list[0].status).toBe('interrupted'); // was running, nobody owns it now

    const old = (await s.openSession('old1'))!;
    expect(old.notepad).toEqual({ todos: [{ text: 'search', done: true }, { text: 'verify', done: false }], facts: ['Mars has 2 moons'], draft: 'Two.' });
    expect(old.trajectory.steps.map((x) => x.index)).toEqual([1, 2, 3]);
    // Written before follow-ups existed: one question, with its answer and every step.
    expect(turnsOf(old.trajectory).map((t) => [t.index, t.question, t.status, t.finalAnswer, t.steps.length])).toEqual([[1, 'How many moons has Mars?', 'answered', '2', 3]]);
    expect(sessionToMarkdown(old.trajectory)).toContain('## Question\n\nHow many moons has Mars?');
    expect(old.trajectory.steps[0].cell).toMatchObject({ status: 'ok', stdout: 'Phobos and Deimos\n' });
    expect(old.trajectory.steps[1].cell!.error).toEqual({ ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback (most recent call last):', 'ZeroDivisionError: division by zero'] });
    expect(old.trajectory.finalAnswer).toBe('2');
    expect(old.cells).toEqual(['r = web_search("Mars moons")\nprint(r[0])', 'submit_final_answer("2")']);
    expect(await s.getSetting('theme')).toBe('dark');

    const raw = idbKV(db);
    const keys = await raw.keys();
    expect(keys.filter((k) => typeof k === 'string')).toEqual([]); // old blobs gone once converted
    expect(await raw.get(storeKeys.SCHEMA_KEY)).toBe(SCHEMA_VERSION);
  });

  it('reports a v0 blob it cannot convert and leaves it in place', async () => {
    const db = freshDb();
    await seedV0(db, [[V0_SESSION_PREFIX + 'bad', { id: 'bad', steps: 'not a list' }]]);
    const issues: StoreIssue[] = [];
    const s = new IndexedDBStore(db, { locks: null, onIssue: (i) => issues.push(i) });
    expect((await s.listSessions()).map((m) => m.id).sort()).toEqual(['old1', 'old2']);
    expect(issues).toEqual([expect.objectContaining({ key: 'session:bad', sessionId: 'bad', error: expect.objectContaining({ kind: 'storage' }) })]);
    expect(await idbKV(db).get(V0_SESSION_PREFIX + 'bad')).toEqual({ id: 'bad', steps: 'not a list' });
  });

  it('is safe when two tabs migrate the same database at once, and runs only once', async () => {
    const db = freshDb();
    await seedV0(db);
    const a = new IndexedDBStore(db, { locks: null });
    const b = new IndexedDBStore(db, { locks: null });
    await Promise.all([a.ready(), b.ready()]);
    const steps = (await idbKV(db).keys()).filter((k) => Array.isArray(k) && k[0] === 'step');
    expect(steps).toHaveLength(4);
    expect(await new IndexedDBStore(db, { locks: null }).ready()).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
  });

  it('starts a new database at the current version', async () => {
    const db = freshDb();
    const s = new IndexedDBStore(db, { locks: null });
    expect(await s.listSessions()).toEqual([]);
    expect(await idbKV(db).get(storeKeys.SCHEMA_KEY)).toBe(SCHEMA_VERSION);
  });

  it('reports a database written by a newer version instead of crashing', async () => {
    const db = freshDb();
    await idbKV(db).transact([], () => ({ put: [[storeKeys.SCHEMA_KEY, SCHEMA_VERSION + 1]] }));
    const issues: StoreIssue[] = [];
    const s = new IndexedDBStore(db, { locks: null, onIssue: (i) => issues.push(i) });
    expect(await s.listSessions()).toEqual([]);
    expect(issues[0].error.message).toMatch(/newer version/);
    expect(await idbKV(db).get(storeKeys.SCHEMA_KEY)).toBe(SCHEMA_VERSION + 1); // not downgraded
  });
});
