// Issue 6, point 6: persistent storage is requested when the user invests in the site (a long
// session here; a downloaded model likewise), and storage use is shown in Settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { openApp, runDemo } from './ui-helpers';

let browser: Browser;
let site: StaticServer;

beforeAll(async () => {
  browser = await launchChromium();
  site = await startStaticServer({ root: 'dist' });
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('storage persistence and use', () => {
  it('asks for persistent storage once a session is long, and shows storage use in Settings', async () => {
    const { context: ctx, page, errors } = await openApp(browser, site.url);
    // Count calls to navigator.storage.persist() (the browser's own answer is kept); the init script
    // applies from the reload on.
    await ctx.addInitScript(() => {
      const w = window as unknown as { persistCalls: number };
      w.persistCalls = 0;
      const original = navigator.storage.persist.bind(navigator.storage);
      navigator.storage.persist = () => {
        w.persistCalls++;
        return original();
      };
    });
    await page.reload();
    await page.waitForSelector('.l0-app .task-form');
    expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(0);

    await runDemo(page); // five steps: a long session
    expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(1);

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => page.locator('.settings .storage-use').innerText()).toMatch(/^Storage used by this site: \S+/);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
