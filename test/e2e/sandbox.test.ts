// The Pyodide sandbox in the built site (dist/) in Debian Chromium: with COOP/COEP (interrupt
// buffer) and without (restart path, from a sub-path), tool calls from Python through the host,
// streaming, and no request to any other origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';

const SHOTS = 'test/e2e/screenshots';

interface Setup {
  name: string;
  isolation: boolean;
  basePath: string;
}

const setups: Setup[] = [
  { name: 'isolated (COOP/COEP) at /', isolation: true, basePath: '/' },
  { name: 'not isolated, sub-path /docs/agent/', isolation: false, basePath: '/docs/agent/' },
];

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Creates the sandbox in the page as `window.sb`, with a host-side tool `add` and a stuck tool. */
async function openHarness(page: Page, server: StaticServer): Promise<void> {
  await page.goto(server.url + 'harness.html');
  await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
  await page.evaluate(async () => {
    const w = window as unknown as Record<string, any>;
    w.progress = [];
    w.hostToolCalls = 0;
    w.sb = await w.l0.createPyodideSandbox({
      onProgress: (p: unknown) => w.progress.push(p),
      tools: [
        {
          name: 'add', params: ['a', 'b'], signature: 'add(a, b)', description: 'adds', example: 'add(1, 2)',
          run: async (args: { a: number; b: number }) => { w.hostToolCalls++; return { sum: args.a + args.b, where: String(location.pathname) }; },
        },
        {
          name: 'stuck', params: [], signature: 'stuck()', description: 'never answers', example: 'stuck()',
          run: () => new Promise(() => undefined),
        },
        {
          name: 'broken', params: [], signature: 'broken()', description: 'throws', example: 'broken()',
          run: async () => { throw new Error('backend down'); },
        },
      ],
    });
  });
}

async function run(page: Page, code: string, timeoutMs?: number): Promise<any> {
  return page.evaluate(
    async ({ code, timeoutMs }) => {
      const w = window as unknown as Record<string, any>;
      w.chunks = [];
      const r = await w.sb.runCell(code, { timeoutMs, onStream: (c: unknown) => w.chunks.push(c) });
      return { ...r, chunks: w.chunks };
    },
    { code, timeoutMs },
  );
}

async function show(page: Page, lines: string[]): Promise<void> {
  await page.evaluate((text) => {
    document.getElementById('log')!.textContent = text;
  }, lines.join('\n\n'));
}

for (const setup of setups) {
  describe(`sandbox in Chromium, ${setup.name}`, () => {
    let server: StaticServer;
    let ctx: BrowserContext;
    let page: Page;
    const requested: string[] = [];
    const log: string[] = [];

    beforeAll(async () => {
      server = await startStaticServer({ root: 'dist', isolation: setup.isolation, basePath: setup.basePath });
      ctx = await browser.newContext();
      ctx.on('request', (r) => requested.push(r.url()));
      page = await ctx.newPage();
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
      await openHarness(page, server);
    });
    afterAll(async () => {
      await page?.evaluate(() => (window as unknown as { sb?: { dispose(): Promise<void> } }).sb?.dispose()).catch(() => undefined);
      await ctx?.close();
      await server?.close();
    });

    it('loads Pyodide from its own site and reports progress and info', async () => {
      const { info, isolated, progress } = await page.evaluate(() => {
        const w = window as unknown as Record<string, any>;
        return { info: w.sb.info, isolated: crossOriginIsolated, progress: w.progress };
      });
      expect(isolated).toBe(setup.isolation);
      expect(info.interrupt).toBe(setup.isolation ? 'interrupt-buffer' : 'restart');
      expect(info.toolBridge).toBe('jspi');
      expect(info.pyodideVersion).toBe('314.0.7');
      expect(progress.at(-1)).toMatchObject({ phase: 'ready' });
      expect(server.requests.some((u) => u === `${setup.basePath}pyodide/pyodide.asm.wasm`)).toBe(true);
      log.push(`info: ${JSON.stringify(info)} crossOriginIsolated=${isolated}`);
    });

    it('runs a cell and streams its output', async () => {
      const r = await run(page, 'import sys\nfor i in range(3):\n    print("line", i)\nprint("err", file=sys.stderr)\nx = 6 * 7\nx');
      expect(r).toMatchObject({ status: 'ok', stdout: 'line 0\nline 1\nline 2\n', stderr: 'err\n', result: '42' });
      expect(r.chunks.map((c: { text: string }) => c.text).join('')).toBe('line 0\nline 1\nline 2\nerr\n');
      log.push(`cell: ${JSON.stringify({ stdout: r.stdout, result: r.result, chunks: r.chunks.length })}`);
    });

    it('gives tracebacks with the cell lines', async () => {
      const r = await run(page, 'def f():\n    return {}["k"]\nf()');
      expect(r.error.ename).toBe('KeyError');
      expect(r.error.traceback.join('\n')).toMatch(/Cell In\[\d+\], line 2, in f\n\s+return \{\}\["k"\]/);
      log.push(`error: ${r.error.traceback.join('\n')}`);
    });

    it('calls a host tool synchronously from Python', async () => {
      const r = await run(page, 'r = add(2, b=3)\nr["sum"], r["where"]');
      expect(r.status).toBe('ok');
      expect(r.result).toBe(`(5, '${setup.basePath}harness.html')`);
      expect(r.toolCalls[0]).toMatchObject({ name: 'add', args: { a: 2, b: 3 }, ok: true });
      expect(await page.evaluate(() => (window as unknown as { hostToolCalls: number }).hostToolCalls)).toBe(1);
      const e = await run(page, 'broken()');
      expect(e.error).toMatchObject({ ename: 'ToolError', evalue: 'broken: backend down' });
      log.push(`tool: ${r.result}; ${e.error.ename}: ${e.error.evalue}`);
    });

    it('times out while True: pass and recovers', async () => {
      await run(page, 'kept = "still here"');
      const r = await run(page, 'while True: pass', 2000);
      expect(r.status).toBe('timeout');
      expect(r.durationMs).toBeLessThan(3500);
      expect(r.restarted).toBe(!setup.isolation);
      if (!setup.isolation) expect(r.error.evalue).toContain('the interpreter was restarted; variables were lost');
      const after = await run(page, '"kept" in globals(), 1 + 1');
      expect(after.status).toBe('ok');
      expect(after.result).toBe(setup.isolation ? '(True, 2)' : '(False, 2)');
      log.push(`timeout: status=${r.status} restarted=${r.restarted} durationMs=${Math.round(r.durationMs)}; after: ${after.result}`);
    });

    it('stops a cell stuck in a tool call', async () => {
      await run(page, 'kept2 = 1');
      const r = await run(page, 'stuck()', 1000);
      // The "interrupted" reply wakes Python through JSPI, so even without an interrupt buffer the
      // interpreter survives.
      expect(r).toMatchObject({ status: 'timeout', restarted: false });
      const after = await run(page, '"kept2" in globals()');
      expect(after.result).toBe('True');
      log.push(`stuck tool: status=${r.status} restarted=${r.restarted}`);
    });

    it('uses the Atomics bridge when asked (or says clearly that tools cannot run)', async () => {
      const r = await page.evaluate(async () => {
        const w = window as unknown as Record<string, any>;
        const sb = await w.l0.createPyodideSandbox({
          preferToolBridge: 'atomics',
          tools: [
            { name: 'mul', params: ['a', 'b'], signature: 'mul(a, b)', description: 'multiplies', example: 'mul(2, 3)', run: async (a: { a: number; b: number }) => a.a * a.b },
            { name: 'stuck', params: [], signature: 'stuck()', description: 'never answers', example: 'stuck()', run: () => new Promise(() => undefined) },
          ],
        });
        const call = await sb.runCell('kept = 1\nmul(6, b=7)');
        const stuck = await sb.runCell('stuck()', { timeoutMs: 1000 });
        const after = await sb.runCell('"kept" in globals()');
        const info = sb.info;
        await sb.dispose();
        return { info, call, stuck, after };
      });
      if (setup.isolation) {
        expect(r.info.toolBridge).toBe('atomics');
        expect(r.call.result).toBe('42');
        expect(r.stuck).toMatchObject({ status: 'timeout', restarted: false });
        expect(r.after.result).toBe('True');
      } else {
        expect(r.info.toolBridge).toBe('none');
        expect(r.call.error).toMatchObject({ ename: 'ToolError' });
        expect(r.call.error.evalue).toMatch(/^mul: tools cannot be called in this browser/);
      }
      log.push(`atomics preference: toolBridge=${r.info.toolBridge} -> ${r.call.result ?? r.call.error.evalue}`);
    });

    it('keeps the page responsive during a runaway print loop, capping the output', async () => {
      const t0 = Date.now();
      const pending = page.evaluate(() => {
        const w = window as unknown as Record<string, any>;
        w.chunks = [];
        return w.sb.runCell('while True:\n    print("spam " * 20)', { timeoutMs: 2000, onStream: (c: unknown) => w.chunks.push(c) });
      });
      // The main thread answers while the worker floods stdout.
      await page.waitForFunction(() => (window as unknown as { chunks: unknown[] }).chunks.length > 0);
      const ping = Date.now();
      await page.evaluate(() => 1);
      expect(Date.now() - ping).toBeLessThan(500);
      const r = await pending;
      expect(r.status).toBe('timeout');
      expect(r.truncated).toBe(true);
      expect(r.stdout).toMatch(/output truncated/);
      expect(r.stdout.length).toBeLessThan(10_300);
      const nChunks = await page.evaluate(() => (window as unknown as { chunks: unknown[] }).chunks.length);
      expect(nChunks).toBeLessThan(60);
      log.push(`print flood: ${Date.now() - t0} ms, ${nChunks} stream messages, stdout ${r.stdout.length} chars`);
    });

    it('keeps the notepad across a restart and submits a final answer', async () => {
      await run(page, 'notepad.add_todo(["plan", "answer"])\nnotepad.mark_done("plan")\nnotepad.add_facts("the sky is blue")');
      const np = await page.evaluate(() => (window as unknown as Record<string, any>).sb.getNotepad());
      expect(np.todos).toEqual([{ text: 'plan', done: true }, { text: 'answer', done: false }]);
      const r = await run(page, 'submit_final_answer("blue")\nnotepad');
      expect(r.finalAnswer).toBe('blue');
      expect(r.result).toContain('[x] plan');
      log.push(`notepad: ${r.result}`);
    });

    it('made no request to any other origin', async () => {
      const foreign = requested.filter((u) => !u.startsWith(server.origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
      expect(foreign).toEqual([]);
      expect(requested.some((u) => u.includes('pyodide.worker'))).toBe(true);
      log.push(`requests: ${requested.length}, all from ${server.origin}`);
      expect(log.filter((l) => l.startsWith('pageerror'))).toEqual([]);
      await show(page, [`${setup.name}`, ...log]);
      await page.screenshot({ path: `${SHOTS}/sandbox-${setup.isolation ? 'isolated' : 'restart'}.png`, fullPage: true });
    });
  });
}
