// Issue 16: the red team's escape chain, kept as payloads/chain.py, against the built app's real
// sandbox (harness.html, with and without COOP/COEP). On the unfixed code it planted an accessor
// on the worker's Object.prototype, ran it through ctypes -> emscripten_vibrate with `this` = the
// worker global, captured comlink's host MessagePort through FinalizationRegistry.prototype.register
// and wrote the page's Object.prototype with a comlink SET (the page CSP stopped its CONSTRUCT of
// the page's Function). Now no step may work: not one STAGE line, the canaries intact, no request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { StaticServer } from '../support/static-server';
import { chainCells, stages } from './support/chain';
import { INTACT, plantCanaries, readCanaries, startCanaryServer, type CanaryServer } from './support/canaries';
import { openAppSandbox, serveDist, type Target } from './support/targets';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

for (const isolation of [false, true]) {
  describe(`the escape chain against the app sandbox (${isolation ? 'COOP/COEP' : 'no special headers'})`, () => {
    let server: StaticServer;
    let canary: CanaryServer;
    let target: Target;
    beforeAll(async () => {
      server = await serveDist(isolation);
      canary = await startCanaryServer();
      target = await openAppSandbox(browser, server);
      await plantCanaries(target.page);
    });
    afterAll(async () => {
      await target?.close();
      await Promise.all([server?.close(), canary?.close()]);
    });

    it('stops at its first step: no accessor, no ctypes, no worker global, no port, no page write', async () => {
      const [setup, first, second] = chainCells(canary.url);
      expect((await target.run(setup)).status).toBe('ok');
      const one = await target.run(first, 20_000);
      const two = await target.run(second, 20_000);
      const out = one.stdout + two.stdout;
      expect(stages(out), out).toEqual([]);
      // Where it stopped, step by step (the payload prints each refusal).
      expect(out).toContain("BLOCKED ctypes: ModuleNotFoundError No module named '_ctypes'");
      expect(out).toMatch(/BLOCKED accessor: JsException TypeError: Cannot define property navigator, object is not extensible/);
      expect(out).toContain('BLOCKED no worker global');
      expect(one.status).toBe('ok');
      expect(two.status).toBe('ok');
      await new Promise((r) => setTimeout(r, 200)); // a late request would show up
      expect(await readCanaries(target.page)).toEqual(INTACT);
      expect(await target.page.evaluate(() => Object.getOwnPropertyNames(Object.prototype).filter((k) => /pwned/i.test(k)))).toEqual([]);
      expect(canary.requests).toEqual([]);
    });

    it('leaves a working sandbox: ordinary Python, asyncio and the notepad', async () => {
      const out = await target.run('import asyncio, json\nawait asyncio.sleep(0.01)\nnotepad.add_todo(["after the chain"])\nnotepad.update_todo(0, status="done")\nprint(json.dumps(notepad.todos))');
      expect(out.status).toBe('ok');
      expect(out.stdout).toContain('[{"text": "after the chain", "done": true}]');
    });
  });
}
