// Issue 6, point 6: persistent storage is requested when the user invests in the site (a long
// session here; a downloaded model likewise), and storage use is shown in Settings, with the Python
// warm-start snapshot and a button to clear it.
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { SCREENSHOTS, openApp, runDemo, waitForPython } from './ui-helpers';

const app = useBuiltApp();

describe('storage persistence and use', () => {
  it('asks for persistent storage once a session is long, and shows storage use in Settings', async () => {
    const { context: ctx, page, errors } = await openApp(app.browser, app.site.url);
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
  it('Save settings on a full disk: they apply in this tab, the status line says they were not saved and why, a reload brings back the saved ones', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url);
    // From the reload on, IndexedDB refuses every write once the page's `diskFull` is set.
    await context.addInitScript(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
        if ((window as unknown as { diskFull?: boolean }).diskFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
    });
    await page.reload();
    await page.waitForSelector('.l0-app .task-form');
    const status = page.locator('.run-status .status-text');
    const save = async (maxSteps: string) => {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Max steps').fill(maxSteps);
      await page.getByRole('button', { name: 'Save settings' }).click();
    };
    const maxStepsShown = async () => {
      await page.getByRole('button', { name: 'Settings' }).click();
      const value = await page.getByLabel('Max steps').inputValue();
      await page.getByRole('button', { name: 'Close Settings' }).click();
      return value;
    };

    await save('7');
    await status.filter({ hasText: 'Settings saved.' }).waitFor();
    await page.evaluate(() => ((window as unknown as { diskFull: boolean }).diskFull = true));
    await save('3');
    // The page's store carries on in memory (and says so); the settings are not on disk.
    await expect.poll(() => status.innerText()).toBe('Settings apply in this tab but were not saved: browser storage is full.');
    expect(await page.locator('.l0-app .banner').innerText()).toBe('quota: Browser storage is full. This session continues in memory only: export it before closing the tab.');
    expect(await maxStepsShown()).toBe('3');
    await page.screenshot({ path: `${SCREENSHOTS}/settings-not-saved.png` });

    await page.reload(); // the disk has room again; what was saved is what the page reads
    await page.waitForSelector('.l0-app .task-form');
    expect(await maxStepsShown()).toBe('7');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lists the Python warm-start snapshot in Settings once Python has started, and Clear deletes it', async () => {
    const { context, page, errors, dialogs } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const line = page.locator('.settings .snapshot-use');
    const clear = page.getByRole('button', { name: 'Clear the Python snapshot' });
    /** Opens Settings (the line is read on every open) and returns the line. */
    const readLine = async () => {
      if (await page.locator('dialog[open]').count()) await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.locator('dialog[open] .settings').waitFor();
      await expect.poll(() => line.innerText()).not.toMatch(/checking/);
      return line.innerText();
    };
    await waitForPython(page);
    // The sandbox saves the snapshot in the background once Python is ready.
    await expect.poll(readLine, { timeout: 60_000, interval: 500 }).toMatch(/^Python warm-start snapshot: \d+(\.\d)? MB, saved /);
    const mb = Number(/snapshot: ([\d.]+) MB/.exec(await line.innerText())![1]);
    expect(mb).toBeGreaterThan(1);
    expect(mb).toBeLessThan(200);
    expect(await clear.isVisible()).toBe(true);
    await line.scrollIntoViewIfNeeded();
    await page.locator('dialog[open]').screenshot({ path: `${SCREENSHOTS}/settings-snapshot.png` });
    console.log(await line.innerText());

    await clear.click();
    await expect.poll(() => line.innerText()).toMatch(/^Python warm-start snapshot: none saved yet\. The next start of Python makes a new one\./);
    expect(await clear.isHidden()).toBe(true);
    // Focus stays in the dialog, on the line that says what happened.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('snapshot-text'))).toBe(true);
    // It is gone from the database, not just from the line.
    expect(await readLine()).toMatch(/^Python warm-start snapshot: none saved yet\./);

    // The next start boots normally and saves a new one.
    await page.reload();
    await waitForPython(page);
    await expect.poll(readLine, { timeout: 60_000, interval: 500 }).toMatch(/^Python warm-start snapshot: \d+(\.\d)? MB, saved /);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
