// Copies the sandbox's warm-start snapshot (src/sandbox/snapshot.ts) into fresh browser contexts.
//
// Every E2E test opens the app in a fresh context, which has no storage: without this, each one
// boots Python cold and then makes and saves a snapshot it never reads back. Measured on the 2-core
// machine (app start to "Python ready" plus 2 s, all processes): ~6.5-7.5 CPU s cold against
// ~3.5-4.3 from a saved snapshot, seeding included (docs/performance.md, "The test suite"); the
// E2E files start Python some 180 times. So the E2E global setup boots the built app once and
// copies the snapshot's IndexedDB database out (e2e-global-setup.ts), and `openApp`, `newAppPage`
// and the helpers built on them write it into each new context before the app loads: those tests
// see the app as a returning visitor does. Tests of a first visit ask for `coldStart` (the
// first-visit UI tests, "interactive before Python is ready"); the contexts of tests about how
// Python boots or what a first visit meets (sandbox, packages, insecure-origin, chain, csp) and
// warm-start's profiles are never seeded, escape.test attacks one app sandbox of each kind
// (restored with COOP/COEP, cold without), and the other security suites (markup, render-dos,
// prompt-injection, embed-host) are seeded like the UI tests.
// L0_E2E_COLD=1 turns seeding off for a whole run.
//
// The copy is schema-agnostic: every object store and record of the database, Blobs and typed
// arrays included, so it stays right when snapshot.ts changes its records; warm-start.test.ts
// checks that a seeded context really restores. The Blob bytes reach the page from a loopback
// server of this file, not through the DevTools protocol (base64 of 15 MB costs ~1 CPU s a seed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inject } from 'vitest';

/** The database snapshot.ts keeps its snapshot in. */
export const SNAPSHOT_DB = 'l0-pyodide-snapshot';

/**
 * A copy of one IndexedDB database: its records as JSON, with each Blob replaced by
 * `{ $blob: i, type }` (its bytes are `blobs[i]`) and each typed array or ArrayBuffer by base64.
 */
export interface DatabaseDump {
  name: string;
  version: number;
  /** Record keys as IndexedDB gives them (strings, numbers, arrays of those: JSON-safe). */
  stores: { name: string; records: { key: unknown; value: unknown }[] }[];
  blobs: Uint8Array[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of the warm-start snapshot's DatabaseDump (writeDump), '' when none could be made. */
    warmStartSeed: string;
  }
}

/** Reads database `name` of the page's origin, or undefined while it has no records. */
async function dumpDatabase(page: Page, name: string): Promise<DatabaseDump | undefined> {
  const dump = (await page.evaluate(async (name): Promise<unknown> => {
    const b64 = (bytes: Uint8Array) => {
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const blobs: string[] = [];
    const encode = async (v: unknown): Promise<unknown> => {
      if (v instanceof Blob) return { $blob: blobs.push(b64(new Uint8Array(await v.arrayBuffer()))) - 1, type: v.type };
      if (v instanceof ArrayBuffer) return { $buffer: b64(new Uint8Array(v)) };
      if (ArrayBuffer.isView(v)) return { $typed: v.constructor.name, b64: b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
      if (Array.isArray(v)) return Promise.all(v.map(encode));
      if (v && typeof v === 'object') return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await encode(x)])));
      return v;
    };
    const req = <T>(r: IDBRequest<T>) => new Promise<T>((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    if (!(await indexedDB.databases()).some((d) => d.name === name)) return undefined;
    const db = await req(indexedDB.open(name));
    try {
      const stores: { name: string; records: { key: unknown; value: unknown }[] }[] = [];
      for (const storeName of db.objectStoreNames) {
        const store = db.transaction(storeName, 'readonly').objectStore(storeName);
        const keys = await req(store.getAllKeys());
        const values = await req(store.getAll());
        stores.push({ name: storeName, records: await Promise.all(keys.map(async (key, i) => ({ key, value: await encode(values[i]) }))) });
      }
      return stores.some((s) => s.records.length) ? { name, version: db.version, stores, blobs } : undefined;
    } finally {
      db.close();
    }
  }, name)) as (Omit<DatabaseDump, 'blobs'> & { blobs: string[] }) | undefined;
  return dump && { ...dump, blobs: dump.blobs.map((b) => new Uint8Array(Buffer.from(b, 'base64'))) };
}

/**
 * Writes a dump into the origin of `page` (the database must not exist there yet). The Blobs'
 * bytes are fetched from `blobBase` + index: the browser makes each Blob from a response, so the
 * bytes never pass through JS strings.
 */
function restoreDatabase(page: Page, dump: Omit<DatabaseDump, 'blobs'>, blobBase: string): Promise<void> {
  return page.evaluate(async ({ dump, blobBase }) => {
    const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const decode = async (v: unknown): Promise<unknown> => {
      if (Array.isArray(v)) return Promise.all(v.map(decode));
      if (!v || typeof v !== 'object') return v;
      const o = v as Record<string, unknown>;
      if (typeof o.$blob === 'number') {
        const res = await fetch(blobBase + o.$blob).catch((e: Error) => { throw new Error(`fetch ${blobBase + String(o.$blob)} from ${location.href}: ${e.message}`); });
        if (!res.ok) throw new Error(`seed blob ${o.$blob}: HTTP ${res.status}`);
        return new Blob([await res.blob()], { type: String(o.type ?? '') });
      }
      if (typeof o.$buffer === 'string') return bytes(o.$buffer).buffer;
      if (typeof o.$typed === 'string') {
        const Ctor = (globalThis as unknown as Record<string, new (b: ArrayBuffer) => unknown>)[o.$typed];
        return new Ctor(bytes(String(o.b64)).buffer);
      }
      return Object.fromEntries(await Promise.all(Object.entries(o).map(async ([k, x]) => [k, await decode(x)])));
    };
    const records = await Promise.all(dump.stores.map(async (s) => Promise.all(s.records.map(async (r) => ({ key: r.key, value: await decode(r.value) })))));
    const open = indexedDB.open(dump.name, dump.version);
    open.onupgradeneeded = () => { for (const s of dump.stores) open.result.createObjectStore(s.name); };
    const db = await new Promise<IDBDatabase>((res, rej) => { open.onsuccess = () => res(open.result); open.onerror = () => rej(open.error); });
    try {
      const tx = db.transaction(dump.stores.map((s) => s.name), 'readwrite');
      dump.stores.forEach((s, i) => { for (const r of records[i]) tx.objectStore(s.name).put(r.value, r.key as IDBValidKey); });
      await new Promise<void>((res, rej) => { tx.oncomplete = () => res(); tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error); });
    } finally {
      db.close();
    }
  }, { dump, blobBase });
}

/** Waits until the app in `page` has saved its snapshot, and returns the database's dump. */
export async function captureSnapshot(page: Page, timeoutMs = 60_000): Promise<DatabaseDump> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const dump = await dumpDatabase(page, SNAPSHOT_DB);
    // Both records (meta and pages) are written in one transaction: any record means all of them.
    if (dump) return dump;
    if (Date.now() > until) throw new Error(`the app saved no warm-start snapshot within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** Writes `dump` into folder `dir`: `db.json` and one `blob-<i>.bin` per Blob. */
export function writeDump(dir: string, dump: DatabaseDump): void {
  const { blobs, ...rest } = dump;
  writeFileSync(join(dir, 'db.json'), JSON.stringify(rest));
  blobs.forEach((b, i) => writeFileSync(join(dir, `blob-${i}.bin`), b));
}

interface Seed {
  dump: Omit<DatabaseDump, 'blobs'>;
  /** Where pages fetch Blob i from: `${blobBase}${i}` (a loopback server of this test file). */
  blobBase: string;
}

let seed: Promise<Seed | null> | undefined;
/** The dump the global setup made, served to pages; null when it made none. */
function loadSeed(): Promise<Seed | null> {
  seed ??= (async () => {
    const dir = inject('warmStartSeed');
    if (!dir) return null;
    const dump = JSON.parse(readFileSync(join(dir, 'db.json'), 'utf8')) as Omit<DatabaseDump, 'blobs'>;
    const server = createServer((req, res) => {
      const i = /^\/blob\/(\d+)$/.exec(req.url ?? '')?.[1];
      const file = i === undefined ? undefined : join(dir, `blob-${i}.bin`);
      if (!file || !existsSync(file)) return void res.writeHead(404).end();
      // Fetched by pages of other origins, some of them cross-origin isolated (COEP).
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    server.unref(); // lives as long as the test file's worker, without keeping it alive
    return { dump, blobBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob/` };
  })();
  return seed;
}

/**
 * Writes the warm-start snapshot into the storage of `page`'s context for the origin of `url`
 * (call it before the app's first page loads there), from a page of that origin: the app's
 * server's 404 page under the app's path (tests check that every request stays under it). Not a
 * page Playwright answers itself: Chromium refuses such a page's requests to a loopback address,
 * the Blob server's. `page` stays on that 404 page, ready to be navigated to the app.
 */
async function seedWarmStart(page: Page, url: string): Promise<void> {
  const s = await loadSeed();
  if (!s) return;
  // The 404 page has no icon link: the browser would ask the server for /favicon.ico.
  const favicon = '**/favicon.ico';
  await page.route(favicon, (route) => route.fulfill({ status: 404 }));
  try {
    await page.goto(new URL('__l0-test-seed__', url).href);
    await restoreDatabase(page, s.dump, s.blobBase);
  } finally {
    // No route left: the app's requests are not intercepted (the test sees them as they are).
    await page.unroute(favicon);
  }
}

/**
 * A fresh context for pages of `url`'s origin and its first page, seeded with the warm-start
 * snapshot unless `coldStart`. The page that wrote the seed is the one returned (left on the app
 * server's 404 page; navigate it to the app): a same-site navigation keeps its renderer process,
 * where a second page would start another (measured: ~0.3-0.6 CPU s less a context on 2 cores).
 *
 * A seeded context blocks the service worker unless `contextOptions.serviceWorkers` says
 * otherwise: a returning visitor's worker is installed already, while in a fresh context it would
 * install and precache the app shell and Pyodide (~15 MB) during the test, a first visit's work
 * that the seed exists to skip (measured: 3.6 -> 3.1 CPU s a start on 2 cores). Tests of the
 * worker itself (offline reloads) pass `{ serviceWorkers: 'allow' }`; first visits keep it.
 */
export async function newAppPage(
  browser: Browser,
  url: string,
  contextOptions: Parameters<Browser['newContext']>[0] = {},
  opts: { coldStart?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(opts.coldStart ? contextOptions : { serviceWorkers: 'block', ...contextOptions });
  try {
    const page = await context.newPage();
    if (!opts.coldStart) await seedWarmStart(page, url);
    return { context, page };
  } catch (e) {
    await context.close();
    throw e;
  }
}
