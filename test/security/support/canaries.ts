// Canaries for the red-team suite: an IndexedDB record, a localStorage entry, a cookie, a Cache
// Storage entry, a DOM node and a BroadcastChannel listener in the page, plus a local HTTP server
// that must never receive a request. Model code that escapes the sandbox would touch one of them.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';

export interface CanaryServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Answers everything with CORS open, so an unprotected worker's request would succeed. */
export async function startCanaryServer(): Promise<CanaryServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Content-Type': 'text/javascript',
    });
    res.end('export const pwned = 1;');
  });
  server.on('upgrade', (req, socket) => {
    requests.push(`UPGRADE ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

export interface CanaryState {
  idb: unknown;
  localStorage: string | null;
  cookie: boolean;
  cache: boolean;
  dom: string | null;
  broadcasts: number;
  appGlobalsPolluted: string[];
}

export const INTACT: CanaryState = {
  idb: 'intact',
  localStorage: 'intact',
  cookie: true,
  cache: true,
  dom: 'intact',
  broadcasts: 0,
  appGlobalsPolluted: [],
};

/** Plants the canaries in the page (same origin as the sandbox worker). */
export async function plantCanaries(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const req = indexedDB.open('l0-canary', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    await new Promise<void>((res, rej) => {
      const tx = db.transaction('kv', 'readwrite');
      tx.objectStore('kv').put('intact', 'canary');
      tx.oncomplete = () => res();
      tx.onerror = () => rej(tx.error);
    });
    db.close();
    localStorage.setItem('l0-canary', 'intact');
    document.cookie = 'l0canary=intact; SameSite=Strict; path=/';
    const cache = await caches.open('l0-canary');
    await cache.put(new Request(location.href + '#canary'), new Response('intact'));
    const node = document.createElement('div');
    node.id = 'l0-canary';
    node.textContent = 'intact';
    document.body.append(node);
    const w = window as unknown as { __canaryBroadcasts: number; __bc: BroadcastChannel[] };
    w.__canaryBroadcasts = 0;
    w.__bc = ['l0', 'l0-canary', 'app', 'l0-sync'].map((name) => {
      const bc = new BroadcastChannel(name);
      bc.onmessage = () => (w.__canaryBroadcasts += 1);
      return bc;
    });
  });
}

export async function readCanaries(page: Page): Promise<CanaryState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const req = indexedDB.open('l0-canary', 1);
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    const idb = await new Promise<unknown>((res) => {
      const tx = db.transaction('kv', 'readonly');
      const get = tx.objectStore('kv').get('canary');
      get.onsuccess = () => res(get.result);
      get.onerror = () => res('read-error');
    });
    db.close();
    const cache = await caches.open('l0-canary');
    const hit = await cache.match(location.href + '#canary');
    const polluted: string[] = [];
    for (const [name, proto] of [['Object', Object.prototype], ['Function', Function.prototype], ['Array', Array.prototype]] as const) {
      for (const k of Object.getOwnPropertyNames(proto)) if (/pwned|polluted/i.test(k)) polluted.push(`${name}.prototype.${k}`);
    }
    for (const k of Object.getOwnPropertyNames(window)) if (/pwned|polluted/i.test(k)) polluted.push(`window.${k}`);
    return {
      idb,
      localStorage: localStorage.getItem('l0-canary'),
      cookie: document.cookie.includes('l0canary=intact'),
      cache: hit ? (await hit.text()) === 'intact' : false,
      dom: document.getElementById('l0-canary')?.textContent ?? null,
      broadcasts: (window as unknown as { __canaryBroadcasts: number }).__canaryBroadcasts,
      appGlobalsPolluted: polluted,
    };
  });
}
