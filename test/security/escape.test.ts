// Red team: escape attempts from model-written Python against the built app in Chromium.
// Each attempt must fail, and the canaries (IndexedDB record, localStorage, cookie, Cache Storage,
// DOM node, BroadcastChannel, app prototypes) must be untouched and the canary server must
// receive zero requests. A control run proves every `control: true` attempt really escapes a bare
// Pyodide worker, so "blocked" means the defence worked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { StaticServer } from '../support/static-server';
import { ATTEMPTS, prelude, type Attempt } from './attempts';
import { INTACT, plantCanaries, readCanaries, startCanaryServer, type CanaryServer } from './support/canaries';
import { openAppSandbox, openProto, serveDist, type RunOutcome, type Target } from './support/targets';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * For the describe block it is called in: a built site (with or without COOP/COEP), a canary
 * server, and one target page opened on that site with the canaries planted; all closed after.
 */
function useTarget(isolation: boolean, open: (server: StaticServer) => Promise<Target>) {
  const t = {} as { server: StaticServer; canary: CanaryServer; target: Target };
  beforeAll(async () => {
    t.server = await serveDist(isolation);
    t.canary = await startCanaryServer();
    t.target = await open(t.server);
    await plantCanaries(t.target.page);
  });
  afterAll(async () => {
    await t.target?.close();
    await Promise.all([t.server?.close(), t.canary?.close()]);
  });
  return t;
}

/** Late effects (a request fired by a timer after the cell returned) show up within this. */
const LATE_EFFECTS_MS = 150;
const lateEffects = () => new Promise((r) => setTimeout(r, LATE_EFFECTS_MS));

const runAttempt = (target: Target, canary: CanaryServer, at: Attempt) => target.run(prelude(canary.url) + '\n' + at.code);

/** One attempt, then its late effects: for a test that checks each attempt's own. */
async function attempt(target: Target, canary: CanaryServer, at: Attempt): Promise<RunOutcome> {
  const out = await runAttempt(target, canary, at);
  await lateEffects();
  return out;
}

/** The attempts one after the other in one page, then the late effects of all of them once (the
 * tests read the canaries and the canary server after the last): each attempt with its outcome. */
async function runAll(target: Target, canary: CanaryServer, attempts: readonly Attempt[]): Promise<{ at: Attempt; out: RunOutcome }[]> {
  const results: { at: Attempt; out: RunOutcome }[] = [];
  for (const at of attempts) results.push({ at, out: await runAttempt(target, canary, at) });
  await lateEffects();
  return results;
}

/** The ids of the attempts that printed ESCAPED, running every attempt as `runAll` does. */
const escapedIds = async (target: Target, canary: CanaryServer) =>
  (await runAll(target, canary, ATTEMPTS)).filter((r) => r.out.stdout.includes('ESCAPED')).map((r) => r.at.id);

describe('control: the attempts are real (they escape a bare Pyodide worker)', () => {
  const t = useTarget(false, (s) => openProto(browser, s, 'control'));

  it('every attempt marked control escapes the unprotected worker', async () => {
    const failed = (await runAll(t.target, t.canary, ATTEMPTS.filter((x) => x.control)))
      .filter((r) => !r.out.stdout.includes('ESCAPED'))
      .map((r) => `${r.at.id}: ${r.out.error ?? r.out.stderr ?? ''}`.slice(0, 300));
    expect(failed).toEqual([]);
    // And the canaries noticed: the control worker reached the canary server and the app's IndexedDB.
    expect(t.canary.requests.length).toBeGreaterThan(10);
    const state = await readCanaries(t.target.page);
    expect(state.idb).not.toBe('intact');
  });
});

// With COOP/COEP (what `npm start` serves) the sandbox is a returning visitor's: Python restored
// from the warm-start snapshot; without them, a first visit's: booted cold. Both starts are
// attacked, and a start that was not the one named fails the first test.
for (const isolation of [true, false]) {
  const warmStart = isolation && !process.env.L0_E2E_COLD;
  describe(`app sandbox (built harness, ${isolation ? 'COOP/COEP' : 'no special headers'}, ${warmStart ? 'restored from the snapshot' : 'cold start'})`, () => {
    const t = useTarget(isolation, (s) => openAppSandbox(browser, s, {}, { warmStart }));

    it(`started ${warmStart ? 'from the warm-start snapshot' : 'cold'}`, () => {
      if (warmStart) expect(t.target.snapshotPhases).toEqual(['snapshot-restored']);
      else expect(t.target.snapshotPhases).not.toContain('snapshot-restored');
    });

    it.each(ATTEMPTS.map((x) => [x.id, x] as const))('blocks %s', async (_id, at) => {
      const out = await attempt(t.target, t.canary, at);
      expect(out.stdout, `${at.title}: ${out.error}`).not.toContain('ESCAPED');
      expect(await readCanaries(t.target.page)).toEqual(INTACT);
      expect(t.canary.requests).toEqual([]);
    });

    it('still runs ordinary Python after all attempts', async () => {
      const out = await t.target.run('import json, asyncio\nawait asyncio.sleep(0.01)\nprint(json.dumps({"ok": sum(range(10))}))');
      expect(out.status).toBe('ok');
      expect(out.stdout).toContain('{"ok": 45}');
    });
  });
}

for (const isolation of [false, true]) describe(`hardenWorkerScope in a bare worker with the page CSP (blob worker, ${isolation ? 'COOP/COEP' : 'no headers'})`, () => {
  const t = useTarget(isolation, (s) => openProto(browser, s, 'hardened'));

  it('hardening removed the capabilities and reports no failure', () => {
    const r = t.target.report!;
    expect(r.pythonGuard).toBe(true);
    expect(r.overwritten.filter((x) => x.includes('FAILED'))).toEqual([]);
    for (const name of ['fetch', 'indexedDB', 'caches', 'importScripts', 'XMLHttpRequest', 'WebSocket', 'Worker', 'navigator']) {
      expect(r.removed.some((x) => x.endsWith(`.${name}`)), name).toBe(true);
    }
    expect(r.kept).not.toContain('fetch');
    // The lockdown's report: no failure, ctypes' C half gone, Emscripten's DOM/script functions stubbed.
    expect(r.lockdown?.failed).toEqual([]);
    expect(r.builtinsRemoved).toEqual(expect.arrayContaining(['_ctypes', '_testcapi', '_testinternalcapi']));
    expect(r.emscriptenStubbed).toEqual(expect.arrayContaining(['emscripten_vibrate', 'emscripten_exit_pointerlock', 'emscripten_run_script']));
  });

  it('blocks every attempt, canaries intact, zero canary requests', async () => {
    expect(await escapedIds(t.target, t.canary)).toEqual([]);
    expect(await readCanaries(t.target.page)).toEqual(INTACT);
    expect(t.canary.requests).toEqual([]);
  });

  it('leaves no capability even to arbitrary JS in the worker (worst case: the FFI was fully escaped)', async () => {
    const r = (await t.target.page.evaluate((u) => (window as any).__sec.probe(u), t.canary.url)) as { ok: boolean; findings: string[]; error?: string };
    expect(r.error).toBeUndefined();
    expect(r.findings).toEqual([]);
    expect(t.canary.requests).toEqual([]);
  });

  it('the probes are real: they find the capabilities in a bare Pyodide worker', async () => {
    const control = await openProto(browser, t.server, 'control');
    try {
      const r = (await control.page.evaluate((u) => (window as any).__sec.probe(u), t.canary.url + '/control')) as { findings: string[] };
      expect(r.findings).toEqual(expect.arrayContaining(['global fetch still present', 'global indexedDB still present', 'new Function evaluated code', 'dynamic import() of a cross-origin module succeeded']));
      // The lockdown probes too: shared prototypes, the global and WebAssembly are open there.
      expect(r.findings).toEqual(expect.arrayContaining(['planted a property on Object.prototype', 'replaced FinalizationRegistry.prototype.register', 'replaced MessagePort.prototype.postMessage', 'added a global', 'compiled a WebAssembly module']));
      expect(r.findings).toEqual(expect.arrayContaining(['dlsym reaches emscripten_vibrate, which reads browser globals', 'dlsym reaches emscripten_run_script_int, which evaluated code']));
      expect(r.findings.some((f) => f.includes('=== original'))).toBe(true);
    } finally {
      await control.close();
      t.canary.requests.length = 0;
    }
  });
});

describe('hardenWorkerScope with the compile gate of a package source (WebAssembly compilation gated, not off)', () => {
  const t = useTarget(true, (s) => openProto(browser, s, 'hardened-packages'));

  it('blocks every attempt from Python, canaries intact, zero canary requests', async () => {
    expect(await escapedIds(t.target, t.canary)).toEqual([]);
    expect(await readCanaries(t.target.page)).toEqual(INTACT);
    expect(t.canary.requests).toEqual([]);
  });

  it('leaves no capability to arbitrary JS in the worker either: no fetch, no new WebAssembly module', async () => {
    expect(t.target.report?.lockdown).toMatchObject({ failed: [] });
    const r = (await t.target.page.evaluate((u) => (window as any).__sec.probe(u), t.canary.url)) as { ok: boolean; findings: string[]; error?: string };
    expect(r.error).toBeUndefined();
    expect(r.findings).toEqual([]);
    expect(t.canary.requests).toEqual([]);
  });
});

describe('hardenWorkerScope alone, no CSP anywhere (an embedder\'s page)', () => {
  const t = useTarget(false, (s) => openProto(browser, s, 'hardened-nocsp'));

  it('blocks every attempt from Python, canaries intact, zero canary requests', async () => {
    expect(await escapedIds(t.target, t.canary)).toEqual([]);
    expect(await readCanaries(t.target.page)).toEqual(INTACT);
    expect(t.canary.requests).toEqual([]);
  });

  it('what the CSP adds: only cross-origin import() by code already running as JS', async () => {
    const r = (await t.target.page.evaluate((u) => (window as any).__sec.probe(u), t.canary.url)) as { findings: string[] };
    expect(r.findings).toEqual(['dynamic import() of a cross-origin module succeeded']);
    t.canary.requests.length = 0;
  });
});
