// Issue 16: the <l0-agent> widget in a host site WITHOUT a CSP, which keeps a secret global, a
// cookie, localStorage and its own IndexedDB database. The model's code is the red team's chain
// (payloads/chain.py) and each of its steps alone (attempts.ts), replayed as the model's turns. On
// the unfixed library the chain ran the host's Function and read and overwrote all of that; now
// nothing of the host may be read or changed, its DOM stays as it was, and the canary server gets
// no request. L0_LIB=<folder> runs it against another library build (how the unfixed one was checked).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trajectory } from '../../src/protocols';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';
import { ATTEMPTS, prelude } from './attempts';
import { chainCells, stages, withoutComments } from './support/chain';
import { startCanaryServer, type CanaryServer } from './support/canaries';

const ROOT = resolve(import.meta.dirname, '../..');
const LIB = process.env.L0_LIB ? resolve(process.env.L0_LIB) : join(ROOT, 'dist-lib');

/** The chain's steps alone, plus the older attempts that go for the global, eval or the host bridge. */
const STEP_IDS = [
  'chain-accessor-free-variable', 'prototype-planting', 'ctypes-builtin-routes', 'side-module-run-script',
  'finalization-registry-port', 'global-via-callback-this', 'global-via-timer-this', 'reimport-after-guard-removed',
  'ctypes-run-script', 'constructor-constructor', 'host-bridge-pollution', 'prepare-stack-trace',
];

const turn = (code: string) => `<think>Run this.</think>\n<code>\n${code}\n</code><end_code>`;

/** The model's turns: the chain's cells, one per step attempt, then the answer. Each fits a turn's budget. */
function replayTurns(canaryUrl: string): string[] {
  const steps = STEP_IDS.map((id) => {
    const at = ATTEMPTS.find((x) => x.id === id);
    if (!at) throw new Error(`no attempt ${id}`);
    return `${prelude(canaryUrl)}\n${at.code}`;
  });
  const turns = [...chainCells(canaryUrl), ...steps].map(withoutComments).concat("submit_final_answer('done')").map(turn);
  const tooLong = turns.filter((t) => t.length > 4000);
  if (tooLong.length) throw new Error(`${tooLong.length} turn(s) over a step's 1,024-token budget`);
  return turns;
}

/**
 * A host site with secrets of its own and the widget, no CSP. The widget is made by the host's
 * script so that its engine can be set (the `options` property, read when it connects) to play the
 * replay without the 6 ms a token the element's replay waits for readers: ~20 long turns took
 * ~45 s and ~19 CPU s more a run (redrawing the widget each token), streaming text this test does
 * not look at.
 */
const HOST_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<script type="module" src="/l0-agent.js"></script></head>
<body><h1 id="host-title">Host site</h1><p id="host-text">Host content</p>
<script type="module">
await customElements.whenDefined('l0-agent');
const agent = document.createElement('l0-agent');
for (const [k, v] of Object.entries({ 'max-steps': '30', namespace: 'sec', heading: 'Ask', task: 'Escape', style: 'height:600px;width:480px' })) agent.setAttribute(k, v);
agent.options = { engine: { kind: 'replay', scriptUrl: '/__host/replay.json', tokenDelayMs: 0 } };
document.body.append(agent);
</script>
<script type="module">
window.hostSecret = 'host-secret-global';
document.cookie = 'hostsecret=intact; path=/';
localStorage.setItem('host-secret', 'intact');
const req = indexedDB.open('host-db', 1);
req.onupgradeneeded = () => req.result.createObjectStore('kv');
req.onsuccess = () => {
  const tx = req.result.transaction('kv', 'readwrite');
  tx.objectStore('kv').put('intact', 'secret');
  tx.oncomplete = () => { req.result.close(); window.hostReady = true; };
};
</script></body></html>`;

interface HostState {
  secret: unknown;
  cookie: string;
  local: string | null;
  idb: unknown;
  dom: string;
  polluted: string[];
}

function hostState(page: Page): Promise<HostState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, ko) => {
      const r = indexedDB.open('host-db');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ko(r.error);
    });
    const idb = await new Promise<unknown>((ok) => {
      const get = db.transaction('kv').objectStore('kv').get('secret');
      get.onsuccess = () => ok(get.result);
      get.onerror = () => ok('read-error');
    });
    db.close();
    const polluted: string[] = [];
    for (const [name, o] of [['Object.prototype', Object.prototype], ['Function.prototype', Function.prototype], ['Array.prototype', Array.prototype], ['window', window]] as const) {
      for (const k of Object.getOwnPropertyNames(o)) if (/pwned|polluted/i.test(k)) polluted.push(`${name}.${k}`);
    }
    return {
      secret: (window as unknown as { hostSecret: unknown }).hostSecret,
      cookie: document.cookie,
      local: localStorage.getItem('host-secret'),
      idb,
      dom: document.head.innerHTML + document.body.innerHTML,
      polluted,
    };
  });
}

let browser: Browser;
let canary: CanaryServer;
const servers: StaticServer[] = [];

beforeAll(async () => {
  // dist-lib/ is made once for all E2E files by the global setup; L0_LIB points at another build.
  if (!existsSync(join(LIB, 'l0-agent.js'))) throw new Error(`no library build in ${LIB}`);
  browser = await launchChromium();
  canary = await startCanaryServer();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([...servers.map((s) => s.close()), canary?.close()]);
});

for (const isolated of [false, true]) {
  describe(`<l0-agent> on a host page without a CSP (${isolated ? 'COOP/COEP' : 'no special headers'})`, () => {
    it('the chain and each of its steps, as the model\'s code, read and change nothing of the host', async () => {
      const turns = replayTurns(canary.url);
      const server = await startStaticServer({
        root: LIB,
        isolation: isolated,
        handle: (req, res) => {
          const path = new URL(req.url ?? '/', 'http://x').pathname;
          const headers = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
          if (path === '/__host/host.html') return (res.writeHead(200, { 'Content-Type': 'text/html', ...headers }).end(HOST_HTML), true);
          if (path === '/__host/replay.json') return (res.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(turns)), true);
          return false;
        },
      });
      servers.push(server);
      const { context, page } = await newAppPage(browser, server.origin + '/__host/host.html');
      try {
        await page.goto(server.origin + '/__host/host.html');
        await page.waitForFunction(() => (window as unknown as { hostReady?: boolean }).hostReady === true && !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
        const before = await hostState(page);
        expect(before).toMatchObject({ secret: 'host-secret-global', local: 'intact', idb: 'intact', polluted: [] });
        expect(before.cookie).toContain('hostsecret=intact');

        const traj = (await page.evaluate(
          () => (document.querySelector('l0-agent') as unknown as { run(): Promise<unknown> }).run(),
        )) as Trajectory;
        const outputs = traj.steps.map((s) => `${s.cell?.stdout ?? ''}${s.cell?.error ? `${s.cell.error.ename}: ${s.cell.error.evalue}` : ''}`);
        if (process.env.L0_SHOW_PROBES) console.log(traj.steps.map((s, i) => ({ i, code: s.code.slice(0, 80), formatErrors: s.formatErrors, out: outputs[i]!.slice(0, 300) })));
        // Every turn ran as a cell (the payload really executed), and the run ended normally.
        expect(traj.steps.length).toBe(turns.length);
        expect(traj.status).toBe('answered');
        expect(traj.steps.flatMap((s) => s.formatErrors)).toEqual([]);
        await new Promise((r) => setTimeout(r, 300)); // a late request or write would show up
        // One comparison, so that a failure shows everything the model's code reached.
        expect({
          reached: outputs.flatMap((o, i) => stages(o).map((l) => `step ${i + 1}: ${l}`)),
          host: await hostState(page),
          requests: canary.requests,
        }).toEqual({ reached: [], host: before, requests: [] });
        expect(outputs[1]).toContain('BLOCKED no worker global');
      } finally {
        await context.close();
      }
    }, 300_000);
  });
}
