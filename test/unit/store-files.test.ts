// A session's workspace files in the store (issue 18): Blobs under their own keys round-trip through
// a real IndexedDB implementation (fake-indexeddb), stay out of the trajectory, go with
// deleteSession / retention / clear history, say which file is missing or damaged, refuse a file
// that would fill browser storage, and export with the notebook as a zip.
import 'fake-indexeddb/auto';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { L0Error, type SavedFileInfo, type TrajectoryStep } from '../../src/protocols';
import { IndexedDBStore, MemoryStore, idbKV, pruneSessions, storeKeys, type StoreIssue } from '../../src/store/index';

let dbCount = 0;
const freshDb = () => `l0-files-${process.pid}-${++dbCount}`;
const enc = new TextEncoder();

function info(name: string, size: number, over: Partial<SavedFileInfo> = {}): SavedFileInfo {
  return { name, size, mtime: 1_700_000_000_000, origin: 'attached', savedAt: 1_700_000_000_500, ...over };
}

function step(index: number): TrajectoryStep {
  return {
    index, raw: 'r', think: 't', code: 'open("data.csv").read()', formatErrors: [], finishReason: 'stop',
    cell: { status: 'ok', stdout: 'a,b\n', stderr: '', durationMs: 1, truncated: false, restarted: false, files: [{ name: 'data.csv', size: 4, mtime: 1 }] },
    observation: '<output>a,b</output>', notepad: { todos: [], facts: [], draft: '' }, collapsedBefore: false,
    timings: { startedAt: 1, generateMs: 1, cellMs: 1 }, usage: { promptTokens: 1, completionTokens: 1 },
  };
}

describe.each([
  ['IndexedDB', () => new IndexedDBStore(freshDb())],
  ['memory', () => new MemoryStore()],
])('session files in the %s store', (_name, makeStore) => {
  it('round-trips Blobs (binary included) under their own keys, not in the trajectory', async () => {
    const s = makeStore();
    const id = await s.createSession('Sum the csv');
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    await s.saveSessionFile(id, info('data.csv', 4), new Blob([enc.encode('a,b\n')]));
    await s.saveSessionFile(id, info('out/chart.bin', 256, { origin: 'agent' }), new Blob([binary]));
    await s.appendStep(id, step(1));
    expect((await s.listSessionFiles(id)).map((f) => [f.name, f.size, f.origin])).toEqual([
      ['data.csv', 4, 'attached'],
      ['out/chart.bin', 256, 'agent'],
    ]);
    const back = await s.loadSessionFile(id, 'out/chart.bin');
    expect(back).toBeInstanceOf(Blob);
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(binary);
    expect(await (await s.loadSessionFile(id, 'data.csv')).text()).toBe('a,b\n');
    // Replacing a file keeps one record.
    await s.saveSessionFile(id, info('data.csv', 6), new Blob([enc.encode('a,b\n1\n')]));
    expect((await s.listSessionFiles(id)).find((f) => f.name === 'data.csv')?.size).toBe(6);
    // The trajectory holds the listing (names and sizes), never the bytes.
    expect(JSON.stringify(await s.loadSession(id))).not.toContain('chart.bin"') ;
    await s.deleteSessionFiles(id, ['data.csv']);
    expect((await s.listSessionFiles(id)).map((f) => f.name)).toEqual(['out/chart.bin']);
  });

  it('says which file is not saved or damaged', async () => {
    const s = makeStore();
    const id = await s.createSession('t');
    const missing = await s.loadSessionFile(id, 'nope.csv').catch((e: unknown) => e as L0Error);
    expect(missing).toBeInstanceOf(L0Error);
    expect(missing).toMatchObject({ kind: 'file', message: 'nope.csv is not saved with this session.' });
    await expect(s.saveSessionFile(id, info('x.txt', 10), new Blob(['short']))).rejects.toMatchObject({ kind: 'file' });
  });

  it('deleteSession, retention and clear history delete the files too', async () => {
    const s = makeStore();
    const ids: string[] = [];
    for (const task of ['a', 'b', 'c']) {
      const id = await s.createSession(task);
      await s.saveSessionFile(id, info(`${task}.txt`, 1), new Blob([task]));
      ids.push(id);
    }
    await s.deleteSession(ids[0]);
    expect(await s.listSessionFiles(ids[0])).toEqual([]);
    expect(await s.listSessionFiles(ids[1])).toHaveLength(1);
    await pruneSessions(s, 0); // the widget's keepSessions: 0 and "Clear history" go through here
    for (const id of ids) expect(await s.listSessionFiles(id)).toEqual([]);
  });
});

describe('damaged records and a full disk (IndexedDB)', () => {
  it('lists a file whose Blob is gone as damaged (loading it says why); a record without a name is reported and left out', async () => {
    const db = freshDb();
    const issues: StoreIssue[] = [];
    const s = new IndexedDBStore(db, { onIssue: (i) => issues.push(i) });
    const id = await s.createSession('t');
    await s.saveSessionFile(id, info('good.txt', 2), new Blob(['ok']));
    // A record whose Blob is gone (what a cleared blob store or a bad copy leaves behind), and one that is no record at all.
    await idbKV(db).transact([], () => ({
      put: [
        [storeKeys.fileKey(id, 'bad.csv'), { info: info('bad.csv', 3), data: 'not a blob' }],
        [storeKeys.fileKey(id, 'junk'), 42],
        // A record that names a path out of the folder (a damaged or planted record): never listed, never zipped.
        [storeKeys.fileKey(id, '../../evil.sh'), { info: info('../../evil.sh', 2), data: new Blob(['ok']) }],
      ],
    }));
    const listed = await s.listSessionFiles(id);
    expect(listed.map((f) => [f.name, f.damaged])).toEqual([
      ['bad.csv', 'its record holds no Blob'],
      ['good.txt', undefined],
    ]);
    expect(issues.map((i) => i.key).sort()).toEqual([`file/${id}/../../evil.sh`, `file/${id}/junk`]);
    const zip = await s.exportSessionZip(id);
    expect(Object.keys(unzipSync(zip.bytes)).filter((n) => !n.endsWith('.ipynb'))).toEqual(['good.txt']);
    await expect(s.saveSessionFile(id, info('/etc/passwd', 2), new Blob(['ok']))).rejects.toMatchObject({ kind: 'file' });
    await expect(s.loadSessionFile(id, 'bad.csv')).rejects.toMatchObject({ kind: 'file', message: 'The saved copy of bad.csv is damaged (its record holds no Blob).' });
  });

  it('refuses, before writing, a file that would bring storage past 90 % of the quota', async () => {
    let usage = 850;
    const s = new IndexedDBStore(freshDb(), { storageEstimate: async () => ({ usage, quota: 1000 }) });
    const id = await s.createSession('t');
    const e = await s.saveSessionFile(id, info('big.bin', 100), new Blob([new Uint8Array(100)])).catch((x: unknown) => x as L0Error);
    expect(e).toMatchObject({ kind: 'quota', message: expect.stringMatching(/^big\.bin \(100 B\) was not saved with the session: browser storage is nearly full/) });
    expect(await s.listSessionFiles(id)).toEqual([]);
    usage = 100;
    await s.saveSessionFile(id, info('big.bin', 100), new Blob([new Uint8Array(100)]));
    expect(await s.listSessionFiles(id)).toHaveLength(1);
  });
});

describe('export: notebook + files', () => {
  it('zips the .ipynb with the workspace files beside it, bytes intact', async () => {
    const s = new MemoryStore();
    const id = await s.createSession('Sum the csv');
    await s.appendStep(id, step(1));
    const binary = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    await s.saveSessionFile(id, info('data.csv', 4), new Blob(['a,b\n']));
    await s.saveSessionFile(id, info('out/result.bin', 300, { origin: 'agent' }), new Blob([binary]));
    const zip = await s.exportSessionZip(id);
    expect(zip.filename).toBe('sum-the-csv-with-files.zip');
    expect(zip.skipped).toEqual([]);
    const entries = unzipSync(zip.bytes);
    expect(Object.keys(entries).sort()).toEqual(['data.csv', 'out/result.bin', 'sum-the-csv.ipynb']);
    expect(entries['out/result.bin']).toEqual(binary);
    expect(new TextDecoder().decode(entries['data.csv'])).toBe('a,b\n');
    const nb = JSON.parse(new TextDecoder().decode(entries['sum-the-csv.ipynb'])) as { cells: { source: string[] }[] };
    expect(nb.cells.some((c) => c.source.join('').includes('open("data.csv").read()'))).toBe(true);
  });
});
