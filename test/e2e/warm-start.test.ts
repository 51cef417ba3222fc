// Warm start in the built site (dist/harness.html) in Debian Chromium: the first visit saves a
// Pyodide memory snapshot in IndexedDB, the next visit restores it and gets a working interpreter
// with our runtime (notepad, final answer, tracebacks, tools); a snapshot saved under another key
// (another Pyodide or runtime version) or a corrupt one is never restored and gets replaced.
// No wall-time assertions: the speed-up is measured by bench/warm-start.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, launchChromiumProfile } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage, SNAPSHOT_DB } from '../support/warm-start-seed';

let browser: Browser;
let server: StaticServer;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startStaticServer({ root: 'dist', isolation: true, headers: { 'Cache-Control': 'public, max-age=600' } });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface VisitResult {
  phases: string[];
  cells: { result?: string; status: string; notepad?: unknown; finalAnswer?: string; error?: { ename: string; traceback: string[] }; toolCalls?: unknown[] }[];
}

/** One page visit: start the sandbox, run cells, wait until any new snapshot is stored, close. */
async function visit(ctx: BrowserContext, cells: string[], firstPage?: Page): Promise<VisitResult> {
  const page = firstPage ?? (await ctx.newPage());
  try {
    await page.goto(server.url + 'harness.html');
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
    return await page.evaluate(async ({ codes }) => {
      const l0 = (window as unknown as { l0: any }).l0;
      const phases: string[] = [];
      const since = Date.now();
      const sb = await l0.createPyodideSandbox({
        onProgress: (p: { phase: string }) => phases.push(p.phase),
        tools: [{ name: 'twice', params: ['x'], signature: 'twice(x)', description: 'doubles', example: 'twice(2)', run: async (a: { x: number }) => a.x * 2 }],
      });
      const out = [];
      for (const code of codes) out.push(await sb.runCell(code));
      // A new snapshot is stored in the background: wait until it is there before closing.
      const savedAt = async (): Promise<number> => (await l0.readSnapshotInfo())?.savedAt ?? 0;
      if (phases.includes('snapshot-created')) {
        for (let i = 0; i < 300 && (await savedAt()) < since; i++) await new Promise((r) => setTimeout(r, 100));
      }
      await sb.dispose();
      return { phases: phases.filter((p) => p.startsWith('snapshot')), cells: out };
    }, { codes: cells });
  } finally {
    await page.close();
  }
}

async function withPage<T>(ctx: BrowserContext, fn: (page: Page) => Promise<T>): Promise<T> {
  const page = await ctx.newPage();
  try {
    await page.goto(server.url + 'harness.html');
    return await fn(page);
  } finally {
    await page.close();
  }
}

/** The stored record's key and size, read straight from IndexedDB. */
function readRecord(ctx: BrowserContext) {
  return withPage(ctx, (page) =>
    page.evaluate(
      (db) =>
        new Promise<{ key: string; bytes: number } | undefined>((resolve, reject) => {
          const req = indexedDB.open(db, 1);
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const get = req.result.transaction('snapshot').objectStore('snapshot').get('meta');
            get.onsuccess = () => {
              req.result.close();
              resolve(get.result ? { key: get.result.key, bytes: get.result.size } : undefined);
            };
            get.onerror = () => reject(get.error);
          };
        }),
      SNAPSHOT_DB,
    ),
  );
}

/** Overwrites the stored record (as an older release or a corrupted disk would leave it). */
function writeRecord(ctx: BrowserContext, key: string, bytes: number) {
  return withPage(ctx, (page) =>
    page.evaluate(
      ({ db, key, bytes }) =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open(db, 1);
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const tx = req.result.transaction('snapshot', 'readwrite');
            const pages = Uint32Array.from({ length: bytes / 4096 }, (_, i) => i);
            tx.objectStore('snapshot').put({ key, size: bytes, pageBytes: 4096, pages, data: new Blob([new Uint8Array(bytes).fill(7)]) }, 'pages');
            tx.objectStore('snapshot').put({ key, size: bytes, savedAt: 0 }, 'meta');
            tx.oncomplete = () => (req.result.close(), resolve());
            tx.onerror = () => reject(tx.error);
          };
        }),
      { db: SNAPSHOT_DB, key, bytes },
    ),
  );
}

const CELLS = [
  "notepad.add_todo(['check the snapshot'])\nnotepad.add_facts(['warm'])\nnotepad.mark_done(0)\nx = twice(21)\nx",
  'def f():\n    return 1 / 0\nf()',
  "submit_final_answer(f'x={x}')",
];

function expectWorkingRuntime(r: VisitResult) {
  const [facts, error, final] = r.cells;
  expect(facts.status).toBe('ok');
  expect(facts.result).toBe('42');
  expect(facts.toolCalls).toHaveLength(1);
  expect(facts.notepad).toEqual({ todos: [{ text: 'check the snapshot', done: true }], facts: ['warm'], draft: '' });
  expect(error.status).toBe('error');
  expect(error.error?.ename).toBe('ZeroDivisionError');
  expect(error.error?.traceback.join('\n')).toContain('return 1 / 0');
  expect(final.finalAnswer).toBe('x=42');
}

describe('warm start from a Pyodide memory snapshot', () => {
  it('saves a snapshot on the first visit and restores it, working, on the next', async () => {
    const ctx = await browser.newContext();
    try {
      const first = await visit(ctx, CELLS);
      expect(first.phases).toEqual(['snapshot-created']);
      expectWorkingRuntime(first);
      const saved = await readRecord(ctx);
      expect(saved?.key).toMatch(/^pyodide-[\w.]+-rt-[0-9a-f]{32}$/);
      expect(saved!.bytes).toBeGreaterThan(1_000_000);

      const second = await visit(ctx, CELLS);
      expect(second.phases).toEqual(['snapshot-restored']);
      expectWorkingRuntime(second);
      expect(await readRecord(ctx)).toEqual(saved);
    } finally {
      await ctx.close();
    }
  });

  it('never restores a snapshot saved under another key, and replaces it', async () => {
    const ctx = await browser.newContext();
    try {
      await visit(ctx, ['1']);
      const current = (await readRecord(ctx))!;
      // What an older Pyodide or runtime release would have left behind.
      await writeRecord(ctx, 'pyodide-0.0.0-rt-00000000000000000000000000000000', 4096);
      const after = await visit(ctx, CELLS);
      expect(after.phases).toEqual(['snapshot-created']);
      expectWorkingRuntime(after);
      expect(await readRecord(ctx)).toEqual(current);
    } finally {
      await ctx.close();
    }
  });

  it('falls back to a normal start when the saved snapshot is corrupt', async () => {
    const ctx = await browser.newContext();
    try {
      await visit(ctx, ['1']);
      const current = (await readRecord(ctx))!;
      await writeRecord(ctx, current.key, 65_536);
      const after = await visit(ctx, CELLS);
      expect(after.phases).toEqual(['snapshot-created']);
      expectWorkingRuntime(after);
      expect((await readRecord(ctx))?.bytes).toBe(current.bytes);
    } finally {
      await ctx.close();
    }
  });

  it('reports the saved snapshot through the library API, and clearing it makes the next start cold', async () => {
    const ctx = await browser.newContext();
    try {
      await visit(ctx, ['1']);
      const info = await withPage(ctx, (page) => page.evaluate(() => (window as unknown as { l0: any }).l0.readSnapshotInfo()));
      expect(info.key).toMatch(/^pyodide-[\w.]+-rt-[0-9a-f]{32}$/);
      // Zero pages are not stored: what is kept is well under the heap it restores.
      expect(info.storedBytes).toBeGreaterThan(1_000_000);
      expect(info.storedBytes).toBeLessThan(info.heapBytes);
      expect(info.savedAt).toBeGreaterThan(Date.now() - 10 * 60_000);
      const after = await withPage(ctx, (page) =>
        page.evaluate(async () => {
          const l0 = (window as unknown as { l0: any }).l0;
          await l0.clearSnapshot();
          return l0.readSnapshotInfo();
        }),
      );
      expect(after).toBeUndefined();
      const next = await visit(ctx, CELLS);
      expect(next.phases).toEqual(['snapshot-created']);
      expectWorkingRuntime(next);
    } finally {
      await ctx.close();
    }
  });

  it('fetches the Wasm module once on a first visit (early compile shares the HTTP cache with Pyodide) and not at all on the next', async () => {
    // A real profile (disk HTTP cache), as users have; private-window contexts do not cache a 9.6 MB file.
    const dir = mkdtempSync(join(tmpdir(), 'l0-e2e-profile-'));
    const profile = await launchChromiumProfile(dir);
    const wasmRequests = () => server.requests.filter((u) => u.endsWith('/pyodide.asm.wasm')).length;
    try {
      const before = wasmRequests();
      const first = await visit(profile, ['1']);
      expect(first.phases).toEqual(['snapshot-created']);
      expect(wasmRequests() - before).toBe(1);
      const second = await visit(profile, CELLS);
      expect(second.phases).toEqual(['snapshot-restored']);
      expectWorkingRuntime(second);
      expect(wasmRequests() - before).toBe(1);
    } finally {
      await profile.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // (L0_E2E_COLD=1 runs every test as a first visit: there is no seed to check then.)
  it.skipIf(!!process.env.L0_E2E_COLD)("the E2E helpers' seeded contexts restore the snapshot (test/support/warm-start-seed.ts is current)", async () => {
    // Most E2E tests open the app in a context seeded with the snapshot the global setup copied
    // out of the built app. If snapshot.ts changed its records so the copy no longer restored,
    // every one of them would silently boot cold again (right, but minutes slower in npm test).
    const { context: ctx, page } = await newAppPage(browser, server.url);
    try {
      const seeded = await visit(ctx, CELLS, page);
      expect(seeded.phases).toEqual(['snapshot-restored']);
      expectWorkingRuntime(seeded);
    } finally {
      await ctx.close();
    }
  });
});
