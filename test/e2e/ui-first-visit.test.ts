// A first visit (issue 22, items 2, 7 and 11), in Chromium against the built app: without WebGPU the
// model panel puts what works here first and folds the in-browser models away with one sentence,
// and its status strip never sits over the list; the demo is paced, can be skipped, keeps the task
// in view and shows its error line once; every example task runs with the demo model; the phone's
// copy says where the notepad is.
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { useBuiltApp } from '../support/built-app';
import { SCREENSHOTS, openApp, seriousViolations, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

const app = useBuiltApp();
/** A first visit starts Python cold too (no warm-start snapshot seeded). */
const FIRST_VISIT = { coldStart: true };

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The part of `el` that shows (clipped by its scrolling ancestors), or null when none does. */
function visibleBox(el: Locator): Promise<Box | null> {
  return el.evaluate((node) => {
    let r = node.getBoundingClientRect();
    let box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    for (let p = node.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (!/(auto|scroll|hidden)/.test(style.overflowY + style.overflowX)) continue;
      r = p.getBoundingClientRect();
      box = { left: Math.max(box.left, r.left), top: Math.max(box.top, r.top), right: Math.min(box.right, r.right), bottom: Math.min(box.bottom, r.bottom) };
    }
    if (box.right <= box.left || box.bottom <= box.top) return null;
    return { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top };
  });
}

/** True when the whole of `el` is inside the viewport (and not clipped by a scroller). */
async function fullyInView(page: Page, el: Locator): Promise<boolean> {
  const all = await el.boundingBox();
  const seen = await visibleBox(el);
  const vp = page.viewportSize()!;
  return !!all && !!seen && Math.abs(seen.height - all.height) < 1 && all.y >= 0 && all.y + all.height <= vp.height;
}

describe('first visit', () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    it(`2. without WebGPU (${viewport.width}px): the endpoint form first, the in-browser models folded with one sentence, no strip over the list`, async () => {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport, colorScheme: 'light' }, FIRST_VISIT);
      await page.locator('.engine-chip').click();
      const dialog = page.getByRole('dialog', { name: 'Model' });
      const folded = dialog.locator('details.webllm-models');
      await expect.poll(() => folded.locator(':scope > summary').innerText()).toMatch(/cannot run here/);
      // What works here comes first, in view without scrolling.
      const form = dialog.locator('form.openai-form');
      expect((await form.boundingBox())!.y).toBeLessThan((await folded.boundingBox())!.y);
      expect(await fullyInView(page, dialog.getByRole('button', { name: 'Use this endpoint' }))).toBe(true);
      // The cards that cannot run are folded away, with one sentence saying why (and no red wall).
      expect(await folded.getAttribute('open')).toBeNull();
      expect(await dialog.locator('.model-card:visible').count()).toBe(0);
      const why = (await folded.locator(':scope > summary').innerText()).trim();
      expect(why).toMatch(/WebGPU/);
      expect(why.split(/[.!?](?:\s|$)/).filter((s) => s.trim()).length).toBe(1);
      expect(await dialog.locator('.gpu-status.bad:visible').count()).toBe(0);
      await page.screenshot({ path: `${SCREENSHOTS}/model-panel-no-webgpu${viewport.width < 600 ? '-phone' : ''}.png` });
      expect(await seriousViolations(page)).toEqual([]);

      // Opened and scrolled to the end: no card shows under the "Using: …" strip.
      await folded.locator(':scope > summary').click();
      expect(await dialog.locator('.model-card').count()).toBeGreaterThan(10);
      const strip = dialog.locator('.model-status');
      for (const y of [200, 600, 100_000]) {
        await dialog.locator('.model-body').evaluate((b, top) => b.scrollTo(0, top), y);
        const stripBox = (await strip.boundingBox())!;
        for (const card of await dialog.locator('.model-card').all()) {
          const seen = await visibleBox(card);
          if (seen) expect(overlap(seen, stripBox)).toBe(false);
        }
      }
      expect(await fullyInView(page, strip)).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it('11+7. the demo is paced and can be skipped, the task stays in view, and its error line shows once', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' }, FIRST_VISIT);
    await waitForPython(page);
    await page.getByRole('button', { name: /Watch the demo/ }).click();
    const skip = page.getByRole('button', { name: 'Skip to the end' });
    await skip.waitFor();
    // Paced: the second cell appears while the first one's thinking is still being read.
    await page.locator('.cell').nth(1).waitFor({ timeout: 60_000 });
    expect(await page.locator('.final-answer').isHidden()).toBe(true);
    const task = page.getByLabel('Task', { exact: true });
    expect(await fullyInView(page, task)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/demo-paced.png` });
    // Skip (keyboard): the rest plays at once.
    await skip.focus();
    await page.keyboard.press('Enter');
    await waitForAnswer(page);
    await waitForIdle(page);
    expect(await skip.isHidden()).toBe(true);
    expect(await page.locator('.cell').count()).toBe(5);
    // The task is still in view next to the answer.
    expect(await fullyInView(page, task)).toBe(true);
    expect(await task.inputValue()).toMatch(/prime numbers are there below 10,000/);
    // Step 3's NameError: the error line once, at the end of its traceback.
    const wrap = await page.locator('.cell').nth(2).locator('.cell-output-wrap').innerText();
    expect(wrap.split("NameError: name 'mean' is not defined")).toHaveLength(2);
    expect((await page.locator('.cell').nth(2).locator('.traceback').innerText()).trim().split('\n').at(-1)).toBe("NameError: name 'mean' is not defined");
    expect(errors).toEqual([]);
    await context.close();
  });

  it('11. every example task runs with the demo model (a recorded run each, cells live in Python)', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 } }, FIRST_VISIT);
    await waitForPython(page);
    const examples = page.locator('.first-run .example');
    const tasks = await examples.allInnerTexts();
    expect(tasks).toHaveLength(3);
    const expected = [/1229[\s\S]*36/, /12586269025[\s\S]*\b7\b/, /\(0, 45\)[\s\S]*\(27, 36\)|0² \+ 45²[\s\S]*27² \+ 36²/];
    for (let i = 0; i < tasks.length; i++) {
      if (i > 0) await page.getByRole('button', { name: '+ New' }).click();
      await page.locator('.first-run .example').nth(i).click();
      expect(await page.getByLabel('Task', { exact: true }).inputValue()).toBe(tasks[i]);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.getByRole('button', { name: 'Skip to the end' }).click();
      const answer = await waitForAnswer(page);
      await waitForIdle(page);
      expect(answer).toMatch(expected[i]!);
      expect(await page.locator('.banner').isHidden()).toBe(true);
      // The cells ran in Python: no cell failed except where the recording shows a fix.
      expect(await page.locator('.cell .cell-output').first().innerText()).not.toBe('');
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('11. on a phone the first-run copy says the notepad is below', async () => {
    const phone = await openApp(app.browser, app.site.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, FIRST_VISIT);
    const text = await phone.page.locator('.first-run').innerText();
    expect(text).toMatch(/notepad \(below\)/);
    expect(text).not.toMatch(/\(right\)/);
    await phone.context.close();
    const wide = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 } }, FIRST_VISIT);
    expect(await wide.page.locator('.first-run').innerText()).toMatch(/notepad \(right\)/);
    await wide.context.close();
  });
});
