// The page CSP (a <meta> tag, so it holds on any static host): no 'unsafe-eval', scripts only from
// the app's own origin. The built app and the sandbox must work under it with zero violations.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { StaticServer } from '../support/static-server';
import { DIST, serveDist } from './support/targets';

let browser: Browser;
let server: StaticServer;
beforeAll(async () => {
  browser = await launchChromium();
  server = await serveDist(false);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string): Promise<{ page: Page; violations: string[]; errors: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const violations: string[] = [];
  const errors: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => (window as any).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + path);
  return { page, violations, errors };
}

describe('page CSP', () => {
  for (const file of ['index.html', 'eval.html', 'harness.html']) {
    it(`${file} ships the CSP without 'unsafe-eval', and rendered text may load nothing from elsewhere`, async () => {
      const html = await readFile(join(DIST, file), 'utf8');
      const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
      expect(csp).toBeDefined();
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
      expect(csp?.replace("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
      expect(csp).not.toContain('unsafe-inline');
      // Issue 16: images, media, fonts, styles and form targets only from the app's own origin.
      const directives = Object.fromEntries(csp!.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
      expect(directives['media-src']).toEqual(["'self'", 'data:', 'blob:']);
      expect(directives['font-src']).toEqual(["'self'", 'data:']);
      expect(directives['style-src']).toEqual(["'self'"]);
      expect(directives['form-action']).toEqual(["'self'"]);
      expect(directives['frame-src']).toEqual(["'none'"]);
      // Users point the app at their own model servers and tools: connect-src stays open.
      expect(directives['connect-src']).toBeUndefined();
      expect(directives['default-src']).toBeUndefined();
      expect(html).toContain('<meta http-equiv="x-dns-prefetch-control" content="off">');
    });
  }

  for (const file of ['index.html', 'eval.html']) {
    it(`${file} loads under the CSP with no violation (styles, icons, manifest)`, async () => {
      const { page, violations, errors } = await open(file);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      expect(violations).toEqual([]);
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => document.body.querySelector('#app, #eval-app')?.childElementCount ?? 0)).toBeGreaterThan(0);
      // The linked stylesheet applied (a blocked one would leave the body unstyled).
      expect(await page.evaluate(() => document.styleSheets.length)).toBeGreaterThan(0);
    });
  }

  it('the sandbox runs Python under the CSP, and eval is refused in the page', async () => {
    const { page, violations, errors } = await open('harness.html');
    await page.waitForFunction(() => (window as any).l0Ready === true);
    const r = await page.evaluate(async () => {
      const sb = await (window as any).l0.createPyodideSandbox();
      const cell = await sb.runCell('import asyncio\nawait asyncio.sleep(0)\nsum(range(5))');
      await sb.dispose();
      let evalBlocked = false;
      try {
        // Built from a string so no bundler sees it: the CSP must refuse it at run time.
        (0, window[('ev' + 'al') as 'eval'])('1');
      } catch (e) {
        evalBlocked = (e as Error).name === 'EvalError';
      }
      return { result: cell.result, status: cell.status, evalBlocked };
    });
    expect(r.status).toBe('ok');
    expect(r.result).toBe('10');
    expect(r.evalBlocked).toBe(true);
    expect(violations.filter((v) => !/eval/.test(v))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('the sandbox worker is a blob worker, so it runs under the page CSP too', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.addInitScript(() => {
      const w = window as any;
      w.__workerUrls = [];
      const Orig = w.Worker;
      w.Worker = class extends Orig {
        constructor(url: string | URL, opts?: WorkerOptions) {
          super(url, opts);
          w.__workerUrls.push(String(url));
        }
      };
    });
    await page.goto(server.url + 'harness.html');
    await page.waitForFunction(() => (window as any).l0Ready === true);
    const r = await page.evaluate(async () => {
      const sb = await (window as any).l0.createPyodideSandbox();
      const cell = await sb.runCell('6 * 7');
      await sb.dispose();
      return { result: cell.result, urls: (window as any).__workerUrls as string[] };
    });
    expect(r.result).toBe('42');
    expect(r.urls.length).toBeGreaterThan(0);
    expect(r.urls.every((u) => u.startsWith('blob:'))).toBe(true);
  });
});
