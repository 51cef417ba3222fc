// Issue 11, item 2: a WebLLM model that is already in the browser's cache starts loading while the
// page renders (no click); a model that is not cached is never fetched before the user asks.
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { startStaticServer } from '../support/static-server';
import { openApp, waitForPython } from './ui-helpers';

const MODEL = 'L0-4B-q4f32_1-MLC';
const app = useBuiltApp({ webgpu: true });

describe('cached WebLLM model preload', () => {
  it('loads a cached model at page start, and never touches an uncached one before Run', async () => {
    const weights = `models/${MODEL}/resolve/main/`;
    const { context, page, errors } = await openApp(app.browser, `${app.site.url}?engine=webllm&model=${MODEL}`);
    await waitForPython(page);
    await page.waitForTimeout(1500); // the startup tasks have settled
    expect(app.site.requests.filter((r) => r.includes('/models/'))).toEqual([]);

    // Put the model's tensor manifest in WebLLM's cache, as a finished download leaves it
    // (an empty record list: WebLLM then counts the model as fully cached).
    await page.evaluate(async (url) => {
      const cache = await caches.open('webllm/model');
      await cache.put(url, new Response('{"records": []}', { headers: { 'Content-Type': 'application/json' } }));
    }, new URL(`tensor-cache.json`, new URL(weights, app.site.url)).href);

    const before = app.site.requests.length;
    await page.reload();
    await page.waitForSelector('.l0-app .task-form');
    // Nobody clicks Run: the engine starts loading from the cache by itself (here it then fails on
    // the missing config, which the model panel reports).
    await expect.poll(() => app.site.requests.slice(before).some((r) => r.includes(`/${weights}`)), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('.l0-app').evaluate((el) => el.classList.contains('is-running'))).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('Run during the cached-model preload', () => {
  it('loads the model once: the Run waits for the preload instead of starting a second engine', async () => {
    // The weights folder answers nothing until released, so the preload is still loading when Run is pressed.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const site = await startStaticServer({
      root: 'dist',
      handle: async (req, res) => {
        if (!req.url?.includes('/models/')) return false;
        await released;
        res.writeHead(404, { 'Cross-Origin-Resource-Policy': 'cross-origin' }).end('not found');
        return true;
      },
    });
    const modelRequests = () => site.requests.filter((r) => r.includes('/models/') && r.includes('mlc-chat-config.json')).length;
    try {
      const weights = `models/${MODEL}/resolve/main/`;
      const { context, page, errors } = await openApp(app.browser, `${site.url}?engine=webllm&model=${MODEL}`);
      const enginesStarted = () => page.evaluate(() => (window as unknown as { webllmWorkers: number }).webllmWorkers);
      // Count the WebLLM workers the page starts (each load of a model starts one; so does a cache listing).
      await context.addInitScript(() => {
        const w = window as unknown as { webllmWorkers: number };
        w.webllmWorkers = 0;
        const Original = window.Worker;
        window.Worker = class extends Original {
          constructor(url: string | URL, options?: WorkerOptions) {
            super(url, options);
            if (options?.name === 'webllm') w.webllmWorkers++;
          }
        };
      });
      await waitForPython(page);
      await page.evaluate(async (url) => {
        const cache = await caches.open('webllm/model');
        await cache.put(url, new Response('{"records": []}', { headers: { 'Content-Type': 'application/json' } }));
      }, new URL('tensor-cache.json', new URL(weights, site.url)).href);
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await expect.poll(modelRequests, { timeout: 60_000 }).toBe(1); // the preload is fetching the model's config
      const workersBeforeRun = await enginesStarted(); // the cache listing and the preload's engine
      expect(workersBeforeRun).toBeGreaterThan(0);

      await page.getByLabel('Task', { exact: true }).fill('Anything at all.');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.waitForFunction(() => document.querySelector('.l0-app')?.classList.contains('is-running'));
      release();
      await page.waitForFunction(() => !document.querySelector('.l0-app')?.classList.contains('is-running'), undefined, { timeout: 60_000 });
      // One load, shared by the preload and the Run: the Run started no second engine.
      expect(await enginesStarted()).toBe(workersBeforeRun);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      release();
      await site.close();
    }
  });
});
