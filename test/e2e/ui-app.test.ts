// The notebook page over the app controller (issue 17, parts 2 and 4), in Chromium against the
// built app: a run on a plain-http origin without crypto.randomUUID, restarting Python from the UI
// after it failed to start, and the model choice falling back when an engine cannot load.
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer } from '../support/openai-server';
import { startStaticServer } from '../support/static-server';
import { SCREENSHOTS, lastOutput, openApp, runDemo, runTask, turn, useOpenAIEndpoint, waitForIdle } from './ui-helpers';

const app = useBuiltApp();

describe('the page over the app controller', () => {
  it('runs on an origin without crypto.randomUUID (plain http, not localhost), with no unhandled rejection', async () => {
    const server = await startOpenAIServer({
      respond: (messages) => (lastOutput(messages) === undefined ? turn('Compute.', 'print(6 * 7)') : turn('Answer.', 'submit_final_answer("forty-two")')),
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url);
      // A page served over http from a LAN address is not a secure context: randomUUID is missing there.
      await context.addInitScript(() => {
        delete (Crypto.prototype as { randomUUID?: unknown }).randomUUID;
      });
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      expect(await page.evaluate(() => typeof (crypto as { randomUUID?: unknown }).randomUUID)).toBe('undefined');
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'What is six times seven?');
      await expect.poll(() => page.locator('.final-answer:not([hidden])').count(), { timeout: 60_000 }).toBe(1);
      expect(await page.locator('.final-answer').innerText()).toContain('forty-two');
      await waitForIdle(page);
      // The session was saved under a generated id and is listed.
      await expect.poll(() => page.locator('.session-list li[data-session-id]').count()).toBe(1);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('Python that failed to start can be restarted from the status line', async () => {
    // The Python runtime's module cannot be had (a flaky network, a host that briefly answers 503).
    let failRuntime = true;
    const site = await startStaticServer({
      root: 'dist',
      handle: (req, res) => {
        if (!failRuntime || !req.url?.includes('/pyodide/pyodide.mjs')) return false;
        res.writeHead(503, { 'Cross-Origin-Resource-Policy': 'same-origin' }).end('unavailable');
        return true;
      },
    });
    try {
      const { context, page, errors } = await openApp(app.browser, site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await page.waitForFunction(() => /failed/.test(document.querySelector('.python-status')?.textContent ?? ''), undefined, { timeout: 60_000 });
      const restart = page.getByRole('button', { name: 'Restart Python' });
      await restart.waitFor({ state: 'visible' });
      await page.screenshot({ path: `${SCREENSHOTS}/python-failed.png` });

      failRuntime = false;
      await restart.click();
      await page.waitForFunction(() => /ready/.test(document.querySelector('.python-status')?.textContent ?? ''), undefined, { timeout: 60_000 });
      expect(await restart.isHidden()).toBe(true);
      // The restarted Python runs the demo.
      await runDemo(page);
      expect(await page.locator('.final-answer').innerText()).toContain('1229');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await site.close();
    }
  });

  it('a failed run shows its error once: no banner and status line both saying it, no empty cell', async () => {
    const server = await startOpenAIServer({ model: 'nope', respond: () => 'never', fault: () => ({ status: 400, body: JSON.stringify({ error: { message: 'model "nope" does not exist' } }) }) });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url);
      await useOpenAIEndpoint(page, server.url, 'nope');
      await runTask(page, 'Anything.');
      await waitForIdle(page);
      await page.locator('.banner').waitFor({ state: 'visible' });
      const banner = await page.locator('.banner').innerText();
      expect(banner).toContain('does not exist');
      expect(await page.locator('.run-status').innerText()).not.toContain('does not exist');
      expect(await page.locator('.cell').count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });
});

describe('engine fallback', () => {
  it('an engine that fails to load is not left selected: the choice falls back and says why', async () => {
    const gpuBrowser = await launchChromium({ webgpu: true });
    try {
      const { context, page, errors } = await openApp(gpuBrowser, app.site.url, { viewport: { width: 1280, height: 800 } });
      expect(await page.locator('.engine-chip').innerText()).toContain('Replay demo');
      await page.locator('.engine-chip').click();
      await page.waitForFunction(() => /WebGPU available/.test(document.querySelector('.gpu-status')?.textContent ?? ''), undefined, { timeout: 30_000 });
      await page.locator('.model-card:not([disabled])', { hasText: 'q4f32' }).first().click();
      // No weights can be had here: the load fails, the panel says why and that the old engine is back.
      await page.locator('.model-panel .error-text').waitFor({ state: 'visible', timeout: 90_000 });
      const message = await page.locator('.model-panel .error-text').innerText();
      expect(message).toMatch(/^(network|cors|http|unsupported|bad-response): /);
      expect(message).toMatch(/Back to Replay demo/);
      expect(await page.locator('.engine-chip').innerText()).toContain('Replay demo');
      expect(await page.locator('.model-card[aria-checked="true"]').count()).toBe(0);
      // The failed choice was not saved: a reload still uses the demo.
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await expect.poll(() => page.locator('.engine-chip').innerText()).toContain('Replay demo');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await gpuBrowser.close();
    }
  });
});
