// The scientific Python stack in the notebook page (issue 19), in Chromium against the built app:
// a replayed model imports a package from the package source (wheels built by the tests, served
// from another origin), shows a table, a PNG made with zlib, an SVG, a figure from a stand-in
// matplotlib and hostile HTML. The user sees them rendered (the HTML inert: the canary server gets
// nothing); the model's observation holds text only; the .ipynb export has the MIME bundles and is
// valid; the system prompt lists what can be imported; after a reload offline, Python restores
// from its snapshot and the package loads from Cache Storage; Settings lists and clears the cache.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBuiltApp } from '../support/built-app';
import { fixtureSource, PNG_PY, startPackageServer, type PackageServer } from '../support/packages';
import { startCanaryServer, type CanaryServer } from '../security/support/canaries';
import { SCREENSHOTS, openApp, runTask, turn, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

const require = createRequire(import.meta.url);
const validateNotebook = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(require.resolve('nbformat/v4/nbformat.v4.schema.json'), 'utf8')));

const app = useBuiltApp();
let packages: PackageServer;
let canary: CanaryServer;
beforeAll(async () => {
  packages = await startPackageServer(fixtureSource().files);
  canary = await startCanaryServer();
});
afterAll(async () => {
  await Promise.all([packages?.close(), canary?.close()]);
});

function hostileHtml(c: string): string {
  return [
    '<script>window.__pwned = "script"</script>',
    `<style>.l0-app { display: none !important } body { background: url(${c}/style-bg) }</style>`,
    `<link rel="stylesheet" href="${c}/link.css">`,
    `<img src="${c}/img.png" onerror="window.__pwned = 'onerror'">`,
    `<img src="x" onerror="window.__pwned = 'onerror2'">`,
    `<iframe src="${c}/frame"></iframe>`,
    `<a href="javascript:window.__pwned='js-link'">click</a>`,
    `<table><tr><td style="background:url(${c}/td-bg)">evil cell</td><td background="${c}/attr-bg">b</td></tr></table>`,
    `<svg><image href="${c}/inline-svg-image"/></svg>`,
    `<form action="${c}/form"><input name="x"></form>`,
    `<object data="${c}/object"></object>`,
  ].join('\n');
}

/** The cell the replayed model runs: with `c` (the canary server's URL), hostile SVG and HTML too. */
function script(c?: string): string[] {
  const code = c === undefined ? `import l0demo
import matplotlib.pyplot as plt
plt.plot([3, 1, 4, 1, 5, 9, 2, 6])
print("answer", l0demo.ANSWER)
l0demo.Table([("alpha", 1), ("beta", 2), ("gamma", 3)])` : `${PNG_PY}
import l0demo
class Img:
    def _repr_png_(self): return make_png(40, 20)
    def __repr__(self): return "Img(40x20)"
class Svg:
    def _repr_svg_(self):
        return '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="15"><script>window.__pwned="svg"</script><image href="${c}/svg-image" width="9" height="9"/><rect width="30" height="15" fill="teal"/></svg>'
    def __repr__(self): return "Svg(30x15)"
class Evil:
    def _repr_html_(self): return ${JSON.stringify(hostileHtml(c))}
    def __repr__(self): return "Evil()"
class Js:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"application/javascript": "window.__pwned = 'js-mime'", "text/html": "<b>bundle</b>", "text/plain": "Js()"}
    def _repr_javascript_(self): return "window.__pwned = 'js-repr'"
display(Img(), Svg(), Evil(), Js())
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
print("answer", l0demo.ANSWER)
l0demo.Table([("alpha", 1), ("beta", 2)])`;
  return [turn('I will show the table.', code), turn('Done.', 'submit_final_answer("Here is the table.")')];
}

function appUrl(c?: string): string {
  const data = `data:application/json,${encodeURIComponent(JSON.stringify(script(c)))}`;
  return `${app.site.url}?engine=replay&script=${encodeURIComponent(data)}&packageBaseUrl=${encodeURIComponent(packages.url)}`;
}

/** Records every text the package line of a cell shows while the run goes. */
async function recordPackageLines(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __pkgLines: string[] };
    w.__pkgLines = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('.cell-packages')) {
        const t = el.textContent ?? '';
        if (t && w.__pkgLines.at(-1) !== t) w.__pkgLines.push(t);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

async function exportLatest(page: Page, label: 'Export .ipynb' | 'Export JSON'): Promise<string> {
  const row = page.locator('.session-list li[data-session-id]').first();
  await row.locator('summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: label }).click()]);
  return readFile((await download.path())!, 'utf8');
}

describe('rich outputs and packages in the notebook page', () => {
  it('a run imports a package, the user sees table, image, SVG and figure, hostile HTML is inert, the model reads text', async () => {
    const { context, page, errors } = await openApp(app.browser, appUrl(canary.url), { viewport: { width: 1280, height: 1000 } });
    await waitForPython(page);
    await recordPackageLines(page);
    await runTask(page, 'Show me the demo table.');
    expect(await waitForAnswer(page)).toContain('Here is the table.');
    await waitForIdle(page);

    // Progress was shown in the cell while the wheels loaded.
    const lines = await page.evaluate(() => (window as unknown as { __pkgLines: string[] }).__pkgLines);
    expect(lines.some((l) => /loading l0demo 2\.0\.0/.test(l))).toBe(true);
    expect(lines.some((l) => /l0demo 2\.0\.0 ready/.test(l))).toBe(true);

    const cell = page.locator('.cell').first();
    await cell.locator('.rich-output').first().scrollIntoViewIfNeeded();
    // The last value's table (execute_result) replaces its plain repr; the PNG, SVG and figure load as images.
    expect(await cell.locator('.rich-output[data-mime="text/html"] table').last().innerText()).toMatch(/alpha\s+1[\s\S]*beta\s+2/);
    expect((await cell.locator('pre.cell-output').innerText()).trim()).toBe('answer 42');
    const images = await cell.locator('img.rich-image').evaluateAll((els) => (els as HTMLImageElement[]).map((i) => [i.src.slice(0, 22), i.naturalWidth, i.naturalHeight, i.complete]));
    expect(images).toEqual([
      ['data:image/png;base64,', 40, 20, true],
      ['data:image/svg+xml;cha', 30, 15, true],
      ['data:image/png;base64,', 640, 480, true],
    ]);
    // Hostile HTML: nothing ran, nothing loaded, nothing restyled the app.
    await page.waitForTimeout(300);
    const html = cell.locator('.rich-output[data-mime="text/html"]').first();
    expect(await html.locator('script, style, link, iframe, form, object, svg, [onerror], [style], [background]').count()).toBe(0);
    expect(await html.locator('td').first().innerText()).toBe('evil cell');
    // A bundle's script MIME type is dropped (only its HTML is shown).
    expect(await cell.locator('.rich-output[data-mime="text/html"]').nth(1).innerHTML()).toBe('<div class="rich-html"><b>bundle</b></div>');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator('.l0-app').isVisible()).toBe(true);
    expect(canary.requests).toEqual([]);
    await cell.screenshot({ path: `${SCREENSHOTS}/rich-output-hostile.png` });

    // The model saw text only: text/plain forms and markers, no base64, HTML or SVG.
    const saved = JSON.parse(await exportLatest(page, 'Export JSON')) as { trajectory: { systemPrompt: string; steps: { observation: string }[] } };
    const obs = saved.trajectory.steps[0]!.observation;
    for (const text of ['answer 42', 'Img(40x20)\n[image/png 40×20 shown to the user]', 'Svg(30x15)\n[image/svg+xml 30×15 shown to the user]', 'Evil()\n[text/html shown to the user]', 'Js()\n[text/html shown to the user]', '<Figure size 640x480 with 1 Axes>\n[image/png 640×480 shown to the user]', 'alpha  1\nbeta  2\n[text/html shown to the user]']) {
      expect(obs).toContain(text);
    }
    for (const text of ['iVBOR', '<table', '<script', '<svg', '__pwned', canary.url]) expect(obs).not.toContain(text);
    // The prompt said what can be imported (the stand-in matplotlib is in the source's lock).
    expect(saved.trajectory.systemPrompt).toContain("You can import: Python's standard library, matplotlib (figures are shown to the user), ");

    // The notebook export keeps the rich outputs as MIME bundles, valid nbformat.
    const nb = JSON.parse(await exportLatest(page, 'Export .ipynb')) as { cells: { cell_type: string; outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const outputs = nb.cells.find((c) => c.cell_type === 'code')!.outputs!;
    expect(outputs.map((o) => [o.output_type, Object.keys(o.data ?? {}).sort().join(',')])).toEqual([
      ['stream', ''],
      ['display_data', 'image/png,text/plain'],
      ['display_data', 'image/svg+xml,text/plain'],
      ['display_data', 'text/html,text/plain'],
      ['display_data', 'text/html,text/plain'],
      ['execute_result', 'text/html,text/plain'],
      ['display_data', 'image/png,text/plain'],
    ]);
    expect(validateNotebook(nb)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('after a reload offline: Python restores from its snapshot, the package loads from the cache, the prompt names it; Settings lists and clears the cache', async () => {
    const { context, page } = await openApp(app.browser, appUrl(), { viewport: { width: 1100, height: 900 }, serviceWorkers: 'allow' });
    await waitForPython(page);
    // One online run caches the wheels; the service worker takes over after a reload.
    await runTask(page, 'Show me the demo table.');
    await waitForAnswer(page);
    await waitForIdle(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 60_000 });
    await page.waitForFunction(async () => {
      for (const k of await caches.keys()) if ((await (await caches.open(k)).keys()).some((r) => r.url.includes('pyodide.asm.wasm'))) return true;
      return false;
    }, undefined, { timeout: 60_000 });
    const online = packages.requests.length;

    await context.setOffline(true);
    // What the Python status line says while it starts (a warm start says "restored").
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __statusSeen: string[] }).__statusSeen = seen;
      document.addEventListener('DOMContentLoaded', () =>
        new MutationObserver(() => {
          const t = document.querySelector('.python-status')?.textContent ?? '';
          if (t && seen.at(-1) !== t) seen.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true }),
      );
    });
    await page.reload();
    await page.waitForSelector('.l0-app .task-form');
    await waitForPython(page);
    const statuses = await page.evaluate(() => (window as unknown as { __statusSeen: string[] }).__statusSeen);
    expect(statuses.some((t) => /restored from a saved snapshot/.test(t)), statuses.join(' | ')).toBe(true);
    await runTask(page, 'Show me the demo table.');
    expect(await waitForAnswer(page)).toContain('Here is the table.');
    await waitForIdle(page);
    const cell = page.locator('.cell').first();
    expect((await cell.locator('pre.cell-output').innerText()).trim()).toBe('answer 42');
    expect(await cell.locator('.rich-output[data-mime="text/html"] table').last().innerText()).toContain('alpha');
    expect(packages.requests.length).toBe(online);
    // Tall enough that the cell is shown whole below the task box (which stays on top when scrolled).
    await page.setViewportSize({ width: 1280, height: 1800 });
    await page.evaluate(() => document.getElementById('l0-main')?.scrollTo(0, 0));
    await cell.screenshot({ path: `${SCREENSHOTS}/rich-output.png` });
    const saved = JSON.parse(await exportLatest(page, 'Export JSON')) as { trajectory: { systemPrompt: string } };
    // Offline, only what is in this browser is offered, by name.
    expect(saved.trajectory.systemPrompt).toMatch(/You can import: Python's standard library, [^\n]*l0demo/);
    expect(saved.trajectory.systemPrompt).not.toContain('more packages of the Pyodide distribution');

    // Settings: the cached packages with their sizes, and Clear.
    await page.getByRole('button', { name: 'Settings' }).click();
    const line = page.locator('.packages-text');
    await expect.poll(() => line.innerText()).toMatch(/^Cached packages \([\d.]+ k?B\): .*l0demo 2\.0\.0 \([\d.]+ k?B\)/i);
    expect(await page.locator('.packages-field').innerText()).toContain(`In use: ${packages.url} (from this page's link (?packageBaseUrl=))`);
    await page.locator('.packages-field').screenshot({ path: `${SCREENSHOTS}/settings-packages.png` });
    await page.getByRole('button', { name: 'Clear the cached Python packages' }).click();
    await expect.poll(() => line.innerText()).toContain('cleared');
    expect(await page.evaluate(async () => (await caches.has('l0-packages')) && (await (await caches.open('l0-packages')).keys()).length)).toBeFalsy();
    await context.close();
  });
});
