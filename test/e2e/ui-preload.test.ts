// Issue 11, item 2: a WebLLM model that is already in the browser's cache starts loading while the
// page renders (no click); a model that is not cached is never fetched before the user asks.
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
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
