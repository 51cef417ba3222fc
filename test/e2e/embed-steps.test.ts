// The widget gets the page's step behaviours (issue 22, items 1, 7 and 10), in Chromium against the
// library build (dist-lib/) on a plain host page: Esc inside the widget stops its run (Esc on the
// host page stays the host's) and focus moves to Stop; Copy buttons; "Run this cell again" in the
// widget's live Python; a Python error's line shown once.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';

const ROOT = resolve(import.meta.dirname, '../..');
const LIB = join(ROOT, 'dist-lib');
const MIME: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.zip': 'application/zip' };

const turn = (think: string, code: string) => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
const TURNS = {
  slow: [turn('Let me think about this slowly. '.repeat(80), 'print(1)')],
  steps: [
    turn('Count.', 'counter = globals().get("counter", 0) + 1\nprint("counter", counter)'),
    turn('Use a name that is not there.', 'print(mean)'),
    turn('Answer.', 'submit_final_answer(f"counted {counter}")'),
  ],
};

const HOST = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>widget steps</title></head>
<body><button id="host-button">A host button</button>
<div id="slow" style="height:420px;width:520px"></div><div id="steps" style="height:760px;width:520px"></div>
<script type="module">
import { mount } from '/l0/embed.js';
const turns = ${JSON.stringify(TURNS)};
window.slow = mount(document.getElementById('slow'), { namespace: 'slow', engine: { kind: 'replay', turns: turns.slow }, task: 'Think slowly.' });
window.steps = mount(document.getElementById('steps'), { namespace: 'steps', engine: { kind: 'replay', turns: turns.steps }, task: 'Count once.' });
window.ready = true;
</script></body></html>`;

let browser: Browser;
let site: StaticServer;

beforeAll(async () => {
  // dist-lib/: the library build embedders get (made once for all E2E files by the global setup).
  if (!existsSync(join(LIB, 'embed.js'))) throw new Error('the library build is incomplete');
  browser = await launchChromium();
  site = await startStaticServer({
    root: LIB,
    isolation: true,
    handle: async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/host.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }).end(HOST);
        return true;
      }
      if (!path.startsWith('/l0/')) return false;
      const file = normalize(join(LIB, decodeURIComponent(path.slice(4))));
      const st = file.startsWith(LIB) ? await stat(file).catch(() => undefined) : undefined;
      if (!st?.isFile()) {
        res.writeHead(404).end('not found');
        return true;
      }
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }).end(await readFile(file));
      return true;
    },
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function openHost(): Promise<{ page: Page; errors: string[] }> {
  const { page } = await newAppPage(browser, site.origin + '/host.html', { viewport: { width: 1280, height: 1300 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.origin + '/host.html');
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return { page, errors };
}

const inWidget = (page: Page, id: string) => page.locator(`#${id}`);
const activeInShadow = (page: Page, id: string) => page.evaluate((host) => {
  const a = document.getElementById(host)?.shadowRoot?.activeElement;
  return a ? `${a.tagName.toLowerCase()}.${a.className}` : 'none';
}, id);

describe('the widget', () => {
  it('1. Esc inside the widget stops its run, Esc on the host page does not; focus moves from Run to Stop', async () => {
    const { page, errors } = await openHost();
    const w = inWidget(page, 'slow');
    await w.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => (document.getElementById('slow')?.shadowRoot?.querySelector('.think-text')?.textContent ?? '').length > 30, undefined, { timeout: 60_000 });
    expect(await activeInShadow(page, 'slow')).toBe('button.stop');
    // The host page's own Esc (focus on a host button) leaves the widget's run alone.
    await page.locator('#host-button').focus();
    await page.keyboard.press('Escape');
    expect(await w.locator('.l0-embed').evaluate((el) => el.classList.contains('running'))).toBe(true);
    // Esc with focus in the widget (its task box) stops it.
    await w.getByRole('textbox', { name: 'Task for the agent' }).focus();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('slow')?.shadowRoot?.querySelector('.l0-embed')?.classList.contains('running'), undefined, { timeout: 30_000 });
    expect(await w.locator('.status').innerText()).toMatch(/Stopped/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('10+7. Copy code and answer, "Run this cell again" in its live Python, and an error line shown once', async () => {
    const { page, errors } = await openHost();
    const w = inWidget(page, 'steps');
    await w.getByRole('button', { name: 'Run', exact: true }).click();
    await w.locator('.answer:not([hidden])').waitFor({ timeout: 90_000 });
    const first = w.locator('.cell').first();
    await first.getByRole('button', { name: 'Copy code' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('counter = globals().get("counter", 0) + 1\nprint("counter", counter)');
    expect(await first.getByRole('button', { name: 'Copy code' }).innerText()).toBe('Copied ✓');
    await w.getByRole('button', { name: 'Copy answer' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('counted 1');

    await first.getByRole('button', { name: 'Run this cell again' }).click();
    await expect.poll(async () => (await first.locator('.rerun-output').innerText()).trim(), { timeout: 30_000 }).toBe('counter 2');
    // The widget has no sessions to fork: no "Re-run from this step".
    expect(await w.getByRole('button', { name: 'Re-run from this step' }).count()).toBe(0);

    const failed = w.locator('.cell').nth(1).locator('.cell-output-wrap');
    expect((await failed.innerText()).split("NameError: name 'mean' is not defined")).toHaveLength(2);
    await page.screenshot({ path: 'test-results/embed-steps.png' });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
