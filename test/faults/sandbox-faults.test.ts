// Faults in model code against the built app's sandbox in Chromium: after each one the sandbox
// answers the next cell, the notepad is intact, and the cell result says what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { StaticServer } from '../support/static-server';
import { openAppSandbox, serveDist, type Target } from '../security/support/targets';

interface Cell {
  status: string;
  stdout: string;
  stderr: string;
  error?: { ename: string; evalue: string };
  truncated: boolean;
  restarted: boolean;
  outLen: number;
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

for (const isolation of [true, false]) {
  describe(`sandbox faults (${isolation ? 'COOP/COEP: interrupt buffer' : 'no headers: restart'})`, () => {
    let server: StaticServer;
    let t: Target;

    async function cell(code: string, timeoutMs = 4_000): Promise<Cell> {
      return t.page.evaluate(
        async ({ code, timeoutMs }) => {
          const r = await (window as any).__sb.runCell(code, { timeoutMs });
          return {
            status: r.status,
            stdout: r.stdout.slice(0, 2000),
            stderr: r.stderr.slice(0, 2000),
            error: r.error,
            truncated: r.truncated,
            restarted: r.restarted,
            outLen: r.stdout.length + r.stderr.length + (r.result?.length ?? 0),
          };
        },
        { code, timeoutMs },
      );
    }

    /** The app is still usable and the notepad survived. */
    async function expectHealthy() {
      const ok = await cell('print(6 * 7)');
      expect(ok.status).toBe('ok');
      expect(ok.stdout).toContain('42');
      const np = await t.page.evaluate(() => (window as any).__sb.getNotepad());
      expect(np.facts).toContain('kept across faults');
      // The page itself stayed responsive.
      expect(await t.page.evaluate(() => 1 + 1)).toBe(2);
    }

    beforeAll(async () => {
      server = await serveDist(isolation);
      t = await openAppSandbox(browser, server, {}, { warmStart: true });
      const r = await cell('notepad.add_facts("kept across faults")');
      expect(r.status).toBe('ok');
    });
    afterAll(async () => {
      await t?.close();
      await server?.close();
    });

    it('infinite loop: times out, then recovers', async () => {
      const r = await cell('while True:\n    pass', 1_500);
      expect(r.status).toBe('timeout');
      expect(r.error?.ename).toBe('TimeoutError');
      // Without SharedArrayBuffer the only way out is a restart; with it, an interrupt usually
      // suffices (a restart after the grace period is allowed: the machine may be slow).
      if (!isolation) expect(r.restarted).toBe(true);
      if (r.restarted) expect(r.stderr).toMatch(/restarted/);
      await expectHealthy();
    });

    it('fork bomb of threads: refused, sandbox fine', async () => {
      const r = await cell('import threading\nts = [threading.Thread(target=lambda: None) for _ in range(10000)]\nfor th in ts: th.start()');
      expect(r.status).toBe('error');
      expect(r.error?.ename).toBe('RuntimeError');
      await expectHealthy();
    });

    it('fork bomb of async tasks and timers: stopped by the time limit', async () => {
      const r = await cell(
        'import asyncio\nasync def bomb():\n    while True:\n        asyncio.ensure_future(bomb())\n        await asyncio.sleep(0)\nfor _ in range(100):\n    asyncio.ensure_future(bomb())\nawait asyncio.sleep(60)',
        2_000,
      );
      expect(['timeout', 'interrupted', 'error']).toContain(r.status);
      await expectHealthy();
    });

    it('memory bomb: MemoryError reported, worker recycled', async () => {
      const r = await cell('blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 1024 * 1024))', 20_000);
      expect(r.status).toBe('error');
      expect(r.error?.ename).toBe('MemoryError');
      expect(r.restarted).toBe(true);
      await expectHealthy();
    });

    it('100 MB print: output capped with a marker, page responsive', async () => {
      const r = await cell('print("x" * 100_000_000)', 20_000);
      expect(r.status).toBe('ok');
      expect(r.truncated).toBe(true);
      expect(r.outLen).toBeLessThan(100_000);
      await expectHealthy();
    });

    it('recursion limit: RecursionError, also with the limit raised', async () => {
      const r = await cell('def f(n):\n    return f(n + 1)\nf(0)');
      expect(r.error?.ename).toBe('RecursionError');
      // With the limit raised, Python's frames grow on the heap until the time limit (no RecursionError
      // in any time a test can wait): the cell ends by its limit and the sandbox answers the next one.
      // 3 s are enough for that; each second more is a second of a busy core (npm test is CPU-bound).
      const deep = await cell('import sys\nsys.setrecursionlimit(10**7)\ndef g(n):\n    return g(n + 1)\ng(0)', 3_000);
      expect(deep.status).not.toBe('ok');
      await expectHealthy();
    });

    it('deleting notepad and submit_final_answer: the notepad survives and both come back', async () => {
      const r = await cell('del notepad\ndel submit_final_answer\nprint("deleted")');
      expect(r.stdout).toContain('deleted');
      await expectHealthy();
      const again = await cell('notepad.add_facts("after delete")\nprint(len(notepad.facts))');
      expect(again.status).toBe('ok');
      const np = await t.page.evaluate(() => (window as any).__sb.getNotepad());
      expect(np.facts).toEqual(expect.arrayContaining(['kept across faults', 'after delete']));
      // Clean up for the next tests.
      await cell('pass');
    });

    it('exit attempts (sys.exit, SystemExit, KeyboardInterrupt, os._exit): the sandbox answers the next cell', async () => {
      for (const code of ['import sys\nsys.exit(3)', 'raise SystemExit("bye")', 'raise KeyboardInterrupt', 'import os\nos._exit(1)']) {
        const r = await cell(code, 8_000);
        expect(r.status, code).not.toBe('ok');
        await expectHealthy();
      }
    });

    it('a fatal interpreter error (wasm abort: os.abort(); ctypes, which the red team used, is gone): restart, notepad kept', async () => {
      const r = await cell('import os\nos.abort()', 3_000);
      expect(r.status).not.toBe('ok');
      expect(r.restarted).toBe(true);
      expect(r.stderr).toMatch(/restarted/);
      await expectHealthy();
    });

    it('monkey-patching builtins and json: the runtime still reports results', async () => {
      const r = await cell(
        'import builtins, json\nbuiltins.print = None\nbuiltins.len = lambda x: -1\nbuiltins.str = lambda *a: "patched"\njson.dumps = lambda *a, **k: "garbage"\njson.loads = None\nrepr = None',
      );
      expect(['ok', 'error']).toContain(r.status);
      const after = await cell('1 + 1');
      expect(['ok', 'error']).toContain(after.status);
      const np = await t.page.evaluate(() => (window as any).__sb.getNotepad());
      expect(np.facts).toContain('kept across faults');
      // A reset restores a clean namespace; builtins patched in the shared interpreter are
      // repaired by a restart if needed, never at the cost of the notepad.
      await t.page.evaluate(() => (window as any).__sb.reset());
      await expectHealthyOrRestart();
    });

    async function expectHealthyOrRestart() {
      let ok = await cell('print(6 * 7)');
      if (!ok.stdout.includes('42')) {
        // Builtins are process-wide in the interpreter: the host's escape hatch is a fresh worker.
        await cell('while True: pass', 500);
        ok = await cell('print(6 * 7)');
      }
      expect(ok.stdout).toContain('42');
      const np = await t.page.evaluate(() => (window as any).__sb.getNotepad());
      expect(np.facts).toContain('kept across faults');
    }
  });
}

describe('tool gateway limits (calls per cell, result size)', () => {
  it('a tool flood is cut at the per-cell cap and huge results are capped', async () => {
    const server = await serveDist(true);
    const t = await openAppSandbox(browser, server, {}, { warmStart: true });
    try {
      const r = await t.page.evaluate(async () => {
        let runs = 0;
        const tool = (name: string, run: (a: any) => Promise<unknown>) => ({
          name, signature: `${name}(n)`, params: ['n'], description: name, example: `${name}(1)`, run,
        });
        const sb = await (window as any).l0.createPyodideSandbox({
          tools: [
            tool('ping', async (a) => { runs += 1; return { n: a.n }; }),
            tool('huge', async () => 'x'.repeat(2_000_000)),
          ],
          toolLimits: { maxCallsPerCell: 30, maxResultChars: 50_000 },
        });
        const flood = await sb.runCell('ok = 0\nerrors = 0\nfor i in range(100):\n    try:\n        ping(i); ok += 1\n    except Exception as e:\n        errors += 1\nprint(ok, errors)');
        const big = await sb.runCell('try:\n    r = huge(1)\n    print("len", len(r))\nexcept Exception as e:\n    print("error", type(e).__name__, e)');
        const next = await sb.runCell('print(ping(7))');
        await sb.dispose();
        return { runs, flood: flood.stdout, calls: flood.toolCalls?.length, big: big.stdout, next: next.stdout };
      });
      expect(r.runs).toBeLessThanOrEqual(31);
      expect(r.flood.trim()).toBe('30 70');
      // The gateway refuses an oversized result (a clear error the model can act on).
      expect(r.big).toMatch(/^error \w+/);
      expect(r.next).toContain('7');
    } finally {
      await t.close();
      await server.close();
    }
  });
});
