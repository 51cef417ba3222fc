// Persistence in real Chromium (built harness page, window.l0): real IndexedDB, reloads, two tabs
// with Web Locks, a corrupt record, export/import, quota and blocked storage.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TrajectoryStep } from '../../src/protocols';
import { useBuiltApp } from '../support/built-app';

const app = useBuiltApp();

async function openHarness(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e));
  // One retry: on this shared machine dist/ may be mid-rebuild by another build for a moment.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(app.site.url + 'harness.html');
      await page.waitForFunction(() => window.l0Ready === true, undefined, { timeout: 30_000 });
      return page;
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
}

function step(index: number): TrajectoryStep {
  const code = `v${index} = ${index} ** 2\nprint(v${index})`;
  return {
    index,
    raw: `<think>square ${index}</think>\n<code>${code}</code>`,
    think: `square ${index}`,
    code,
    formatErrors: [],
    finishReason: 'stop',
    cell: { status: 'ok', stdout: `${index ** 2}\n`, stderr: '', result: index === 2 ? "'done'" : undefined, durationMs: 4, truncated: false, restarted: false },
    observation: `<output>${index ** 2}</output>`,
    notepad: { todos: [{ text: 'square things', done: index > 1 }], facts: [`${index}^2 = ${index ** 2}`], draft: '' },
    collapsedBefore: false,
    timings: { startedAt: Date.now(), generateMs: 5, cellMs: 4 },
    usage: { promptTokens: 10, completionTokens: 5 },
  };
}

declare global {
  interface Window {
    __lease?: import('../../src/store/index').SessionLease;
    __lost?: boolean;
  }
}

describe('store in Chromium', () => {
  it('round-trips through real IndexedDB and survives a reload mid-run as interrupted', async () => {
    const context = await app.browser.newContext();
    const page = await openHarness(context);
    const before = await page.evaluate(async (steps) => {
      const store = window.l0.createIndexedDBStore();
      const id = await store.createSession('Square some numbers', { modelId: 'scripted' });
      window.__lease = await store.acquireSession(id);
      for (const s of steps) await store.appendStep(id, s);
      await store.saveNotepad(id, { todos: [], facts: ['kept across reloads'], draft: 'almost' });
      const t = await store.loadSession(id);
      return { id, mechanism: window.__lease.mechanism, owned: window.__lease.owned, list: await store.listSessions(), steps: t!.steps };
    }, [step(1), step(2)]);
    expect(before).toMatchObject({ mechanism: 'web-locks', owned: true });
    expect(before.list).toEqual([expect.objectContaining({ id: before.id, status: 'running', stepCount: 2 })]);
    expect(before.steps).toEqual([step(1), step(2)].map((s) => ({ ...s, timings: expect.any(Object) })));

    await page.reload();
    await page.waitForFunction(() => window.l0Ready === true);
    const after = await page.evaluate(async (id) => {
      const store = window.l0.createIndexedDBStore();
      const opened = await store.openSession(id);
      return { list: await store.listSessions(), opened };
    }, before.id);
    expect(after.list[0]).toMatchObject({ id: before.id, status: 'interrupted', stepCount: 2 });
    expect(after.opened!.interrupted).toBe(true);
    expect(after.opened!.trajectory.steps.map((s) => s.index)).toEqual([1, 2]);
    expect(after.opened!.notepad).toEqual({ todos: [], facts: ['kept across reloads'], draft: 'almost' });
    expect(after.opened!.cells).toEqual([step(1).code, step(2).code]);
    await context.close();
  });

  it('two tabs: the second is read-only until it takes over; the first is told; stale writes are rejected', async () => {
    const context = await app.browser.newContext();
    const a = await openHarness(context);
    const b = await openHarness(context);
    const id = await a.evaluate(async () => {
      const store = window.l0.createIndexedDBStore();
      const id = await store.createSession('shared session');
      window.__lease = await store.acquireSession(id);
      window.__lost = false;
      window.__lease.onLost(() => (window.__lost = true));
      return id;
    });
    const seenByB = await b.evaluate(async (id) => {
      const store = window.l0.createIndexedDBStore();
      window.__lease = await store.acquireSession(id);
      const list = await store.listSessions();
      return { owned: window.__lease.owned, status: list[0].status };
    }, id);
    expect(seenByB).toEqual({ owned: false, status: 'running' });

    // Both tabs have the session open; B writes the notepad, then A writes from its older view.
    const aStore = await a.evaluateHandle(async (id) => {
      const s = window.l0.createIndexedDBStore();
      await s.openSession(id);
      return s;
    }, id);
    await b.evaluate(async (id) => {
      const s = window.l0.createIndexedDBStore();
      await s.openSession(id);
      await s.saveNotepad(id, { todos: [], facts: ['from B'], draft: '' });
    }, id);
    const stale = await aStore.evaluate(async (s, id) => s.saveNotepad(id, { todos: [], facts: ['from A'], draft: '' }).then(() => null, (e) => ({ kind: e.kind, message: e.message })), id);
    expect(stale).toMatchObject({ kind: 'storage', message: expect.stringMatching(/another tab/) });

    const took = await b.evaluate(async () => (await window.__lease!.takeOver()).owned);
    expect(took).toBe(true);
    await a.waitForFunction(() => window.__lost === true);
    expect(await a.evaluate(() => window.__lease!.owned)).toBe(false);
    expect(await a.evaluate(async (id) => (await window.l0.createIndexedDBStore().loadNotepad(id))!.facts, id)).toEqual(['from B']);

    // Closing the owning tab frees the session: it now shows as interrupted.
    const statusInA = () => a.evaluate(async (id) => (await window.l0.createIndexedDBStore().openSession(id))!.meta.status, id);
    expect(await statusInA()).toBe('running');
    await b.close();
    await expect.poll(statusInA, { timeout: 10_000 }).toBe('interrupted');
    await context.close();
  });

  it('skips and reports a corrupt record injected into the database', async () => {
    const context = await app.browser.newContext();
    const page = await openHarness(context);
    const result = await page.evaluate(async (steps) => {
      const store = window.l0.createIndexedDBStore('l0-browser');
      const id = await store.createSession('survives corruption');
      for (const s of steps) await store.appendStep(id, s);
      // Write garbage straight into the database, as a broken extension or older build might.
      await new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('l0-browser');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction('keyval', 'readwrite');
          tx.objectStore('keyval').put('garbage', ['meta', 'corrupt']);
          tx.objectStore('keyval').put({ index: 'x' }, ['step', id, 2]);
          tx.oncomplete = () => (req.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      });
      const fresh = window.l0.createIndexedDBStore('l0-browser');
      const list = await fresh.listSessions();
      const opened = await fresh.openSession(id);
      return { id, listed: list.map((m) => m.id), steps: opened!.trajectory.steps.map((s) => s.index), issues: fresh.issues.map((i) => ({ key: i.key, kind: i.error.kind })) };
    }, [step(1), step(2), step(3)]);
    expect(result.listed).toEqual([result.id]);
    expect(result.steps).toEqual([1, 3]);
    expect(result.issues).toEqual([{ key: 'meta/corrupt', kind: 'storage' }, { key: `step/${result.id}/2`, kind: 'storage' }]);
    await context.close();
  });

  it('exports JSON / ipynb / Markdown and imports the JSON back', async () => {
    const context = await app.browser.newContext();
    const page = await openHarness(context);
    const out = await page.evaluate(async (steps) => {
      const store = window.l0.createIndexedDBStore();
      const id = await store.createSession('Export me', { title: 'Export test' });
      for (const s of steps) await store.appendStep(id, s);
      await store.saveNotepad(id, { todos: [{ text: 'export', done: true }], facts: [], draft: 'done' });
      const json = await store.exportSession(id);
      const copy = await store.importSession(json);
      const [a, b] = await Promise.all([store.openSession(id), store.openSession(copy)]);
      return {
        same: JSON.stringify({ ...a!.trajectory, sessionId: 'x' }) === JSON.stringify({ ...b!.trajectory, sessionId: 'x' }),
        notepad: b!.notepad,
        count: (await store.listSessions()).length,
        ipynb: await store.exportSessionAs(copy, 'ipynb'),
        md: await store.exportSessionAs(copy, 'md'),
      };
    }, [step(1), step(2)]);
    expect(out.same).toBe(true);
    expect(out.notepad).toEqual({ todos: [{ text: 'export', done: true }], facts: [], draft: 'done' });
    expect(out.count).toBe(2);
    const schema = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('nbformat/v4/nbformat.v4.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(JSON.parse(out.ipynb.text))).toBe(true);
    expect(out.ipynb.filename).toBe('export-test.ipynb');
    expect(out.md.text).toContain('## Step 2');
    await context.close();
  });

  it('keeps running in memory with a quota warning when IndexedDB writes hit the quota', async () => {
    const context = await app.browser.newContext();
    const page = await openHarness(context);
    const out = await page.evaluate(async (steps) => {
      const warnings: Array<{ kind: string; message: string }> = [];
      const store = window.l0.createResilientStore({ onWarning: (w) => warnings.push(w) });
      const id = await store.createSession('fills the disk');
      await store.appendStep(id, steps[0]);
      // From now on every IndexedDB write fails the way a full disk does.
      IDBObjectStore.prototype.put = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
      await store.appendStep(id, steps[1]);
      await store.saveNotepad(id, { todos: [], facts: ['in memory'], draft: '' });
      const opened = await store.openSession(id);
      return { kind: store.storageKind, warnings, steps: opened!.trajectory.steps.map((s) => s.index), notepad: opened!.notepad, exported: (await store.exportSession(id)).length > 0 };
    }, [step(1), step(2)]);
    expect(out).toMatchObject({ kind: 'memory', steps: [1, 2], notepad: { facts: ['in memory'] }, exported: true });
    expect(out.warnings).toEqual([expect.objectContaining({ kind: 'quota' })]);
    await context.close();
  });

  it('works in memory with a storage warning when IndexedDB is blocked', async () => {
    const context = await app.browser.newContext();
    await context.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', {
        get() {
          throw new DOMException('Access to storage is not allowed.', 'SecurityError');
        },
      });
    });
    const page = await openHarness(context);
    const out = await page.evaluate(async () => {
      const warnings: Array<{ kind: string }> = [];
      const store = window.l0.createResilientStore({ onWarning: (w) => warnings.push(w) });
      const id = await store.createSession('private mode');
      await store.saveNotepad(id, { todos: [], facts: ['still here'], draft: '' });
      return { kind: store.storageKind, warnings, list: (await store.listSessions()).length, notepad: await store.loadNotepad(id) };
    });
    expect(out).toMatchObject({ kind: 'memory', list: 1, notepad: { facts: ['still here'] } });
    expect(out.warnings).toEqual([expect.objectContaining({ kind: 'storage' })]);
    await context.close();
  });
});
