// The notebook page as a web app (issue 8, points 7-9): offline after one visit, a sub-path,
// phone width, accessibility (axe), theme, and a first load without WebLLM's code.
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { useBuiltApp } from '../support/built-app';
import { startStaticServer } from '../support/static-server';
import { SCREENSHOTS, openApp, runDemo, seriousViolations, skipDemo, waitForIdle, waitForPython, webllmChunks } from './ui-helpers';

const app = useBuiltApp();

describe('notebook page as a web app', () => {
  it('9. is interactive before Python is ready, and loads no WebLLM code on first load', async () => {
    const chunks = webllmChunks();
    expect(chunks.length).toBeGreaterThan(0); // the build does contain WebLLM, in its own chunks
    const before = app.site.requests.length;
    // A first visit: Python boots cold, so there is time to type before it is ready.
    const { context, page } = await openApp(app.browser, app.site.url, {}, { coldStart: true });
    // Typing works while the Python runtime is still loading.
    await page.getByLabel('Task', { exact: true }).fill('typed before Python was ready');
    expect(await page.locator('.python-status').innerText()).not.toMatch(/ready/);
    await waitForPython(page);
    // The service worker is ready once installed, and it installs only after its precache of the
    // shell is complete: everything it fetched is in the server's log by then (no WebLLM chunk).
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const requested = app.site.requests.slice(before);
    for (const c of chunks) expect(requested.some((r) => r.includes(c))).toBe(false);
    expect(requested.some((r) => r.includes('pyodide.asm.wasm'))).toBe(true);
    await context.close();
  });

  it('3+9. choosing a WebLLM model loads WebLLM\'s code only then, and shows the load error in the model panel', async () => {
    const gpuBrowser = await launchChromium({ webgpu: true });
    try {
      const chunks = webllmChunks();
      const { context, page, errors } = await openApp(gpuBrowser, app.site.url, { viewport: { width: 1280, height: 800 } });
      const before = app.site.requests.length;
      await page.locator('.engine-chip').click();
      await page.waitForFunction(() => /WebGPU available/.test(document.querySelector('.gpu-status')?.textContent ?? ''), undefined, { timeout: 30_000 });
      // The software adapter has no shader-f16: q4f16 models are offered disabled, with the reason.
      expect(await page.locator('.model-card[disabled]', { hasText: 'q4f16' }).count()).toBeGreaterThan(0);
      expect(app.site.requests.slice(before).some((r) => chunks.some((c) => r.includes(c)))).toBe(false);
      await page.locator('.model-card:not([disabled])', { hasText: 'q4f32' }).first().click();
      // No weights can be downloaded here: the failure is shown as data (kind + message) in the panel.
      await page.locator('.model-panel .error-text').waitFor({ state: 'visible', timeout: 90_000 });
      expect(await page.locator('.model-panel .error-text').innerText()).toMatch(/^(network|cors|http|unsupported): /);
      expect(app.site.requests.slice(before).some((r) => chunks.some((c) => r.includes(c)))).toBe(true);
      await page.screenshot({ path: `${SCREENSHOTS}/model-webllm-error.png` });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await gpuBrowser.close();
    }
  });

  it('8. works from a sub-path (/docs/agent/) with every request under it', async () => {
    const sub = await startStaticServer({ root: 'dist', basePath: '/docs/agent/' });
    try {
      const { context, page, errors } = await openApp(app.browser, sub.url);
      await runDemo(page);
      expect(await page.locator('.final-answer').innerText()).toContain('1229');
      expect(sub.requests.every((r) => r.startsWith('/docs/agent/'))).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await sub.close();
    }
  });

  it('7. reloads and runs the demo offline after one visit (service worker: app shell + Pyodide)', async () => {
    const { context, page } = await openApp(app.browser, app.site.url, { serviceWorkers: 'allow' });
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // The worker takes control after a reload; wait until everything was precached.
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 60_000 });
    await page.waitForFunction(async () => {
      const keys = await caches.keys();
      for (const k of keys) {
        const c = await caches.open(k);
        if ((await c.keys()).some((r) => r.url.includes('pyodide.asm.wasm'))) return true;
      }
      return false;
    }, undefined, { timeout: 60_000 });
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('.l0-app .task-form');
    await runDemo(page);
    expect(await page.locator('.final-answer').innerText()).toContain('1229');
    await context.close();
  });

  it('8. fits a phone (390 px): no horizontal scroll, notepad below the cells; screenshots', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light' });
    await page.screenshot({ path: `${SCREENSHOTS}/phone-first-run.png` });
    await runDemo(page);
    await waitForIdle(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const [cells, notepad] = await Promise.all([page.locator('.cells').boundingBox(), page.locator('.notepad').boundingBox()]);
    expect(notepad!.y).toBeGreaterThan(cells!.y);
    await page.locator('.final-answer').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}/phone-answer.png` });
    // Sessions open as a drawer.
    await page.getByRole('button', { name: 'Sessions' }).click();
    await page.locator('.sidebar').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${SCREENSHOTS}/phone-sessions.png` });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('8. is accessible (axe: no serious or critical violations) in light and dark, with dialogs open; keyboard-usable', async () => {
    const { context, page } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    // prefers-color-scheme: dark is followed until the toggle is used.
    expect(await page.locator('.l0-app').getAttribute('data-theme')).toBe('dark');
    expect(await seriousViolations(page)).toEqual([]);

    // Keyboard: type a task and start the demo without a mouse.
    await page.locator('.first-run').getByRole('button', { name: /Watch the demo/ }).focus();
    await page.keyboard.press('Enter');
    await skipDemo(page);
    await page.waitForSelector('.final-answer:not([hidden])', { timeout: 90_000 });
    await waitForIdle(page);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/demo-dark.png` });

    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(await page.locator('.l0-app').getAttribute('data-theme')).toBe('light');
    expect(await seriousViolations(page)).toEqual([]);

    // Dialogs: model and settings, opened and closed by keyboard.
    await page.locator('.engine-chip').focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open] .model-panel').waitFor();
    await page.waitForFunction(() => !/Checking/.test(document.querySelector('.gpu-status')?.textContent ?? 'Checking'));
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/model-panel.png` });
    await page.keyboard.press('Escape');
    expect(await page.locator('dialog[open]').count()).toBe(0);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.locator('dialog[open] .settings').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/settings.png` });
    await page.keyboard.press('Escape');

    // The theme choice is remembered.
    await page.reload();
    expect(await page.locator('.l0-app').getAttribute('data-theme')).toBe('light');
    await context.close();
  });
});
