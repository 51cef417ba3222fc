// Reload mid-run (issue 6, point 1), in Chromium against the built page and a local
// OpenAI-compatible server: the session reopens as "interrupted" with its finished step and its
// notepad; "Continue and re-run cells" (used from the keyboard) restores the Python variables, so
// the model's `print(x)` shows the value computed before the reload, and the model is told so.
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer, type ChatRequestMessage } from '../support/openai-server';
import { SCREENSHOTS, lastOutput, openApp, runTask, turn, useOpenAIEndpoint, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

const app = useBuiltApp();

const RESUME_NOTE = '(The session was interrupted';
const noteIn = (messages: ChatRequestMessage[]) => messages.find((m) => m.role === 'user' && m.content.startsWith(RESUME_NOTE))?.content;

describe('reload mid-run', () => {
  it('9. the reloaded page opens the interrupted session itself: the in-flight step marked interrupted, Continue in view', async () => {
    let releaseHungCall!: () => void;
    const hung = new Promise<void>((resolve) => (releaseHungCall = resolve));
    const server = await startOpenAIServer({
      respond: async (messages) => {
        if (noteIn(messages)) return turn('Resumed: answer.', 'submit_final_answer("resumed and done")');
        const step = messages.filter((m) => m.role === 'assistant').length + 1;
        if (step <= 3) return turn(`Step ${step}: print a tall table.`, `for i in range(12):\n    print("step ${step} row", i)`);
        await hung; // step 4 is in flight when the page reloads
        return turn('Too late.', 'print("never")');
      },
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Print three tall tables.');
      await expect.poll(() => server.requests.filter((r) => r.callIndex !== undefined).length, { timeout: 60_000 }).toBe(4);
      await page.waitForFunction(() => /after step 3/.test(document.querySelector('.notepad-step')?.textContent ?? '') || document.querySelectorAll('.cell').length >= 4);
      await page.reload();

      // Nothing clicked: the session is open, as interrupted.
      const notice = page.getByRole('region', { name: 'Interrupted' });
      await notice.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.getByLabel('Task', { exact: true }).inputValue()).toBe('Print three tall tables.');
      await expect.poll(() => page.locator('.cell').count()).toBe(4);
      const inFlight = page.locator('.cell.interrupted-step');
      expect(await inFlight.locator('.cell-step').innerText()).toMatch(/^Step 4/);
      expect(await inFlight.innerText()).toMatch(/interrupted[\s\S]*was not saved/);
      // The Continue choice is in view (the cells are taller than the window).
      expect(await page.locator('#l0-main').evaluate((m) => m.scrollHeight > m.clientHeight)).toBe(true);
      for (const name of ['Continue and re-run cells', 'Continue']) {
        const box = (await notice.getByRole('button', { name, exact: true }).boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(800);
      }
      await page.screenshot({ path: `${SCREENSHOTS}/reload-interrupted.png` });
      await notice.getByRole('button', { name: 'Continue', exact: true }).click();
      expect(await waitForAnswer(page)).toContain('resumed and done');
      await waitForIdle(page);
      expect(await page.locator('.cell.interrupted-step').count()).toBe(0);
      // A reload after the run ended opens nothing by itself.
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await page.locator('.session-list li[data-session-id]').first().waitFor();
      expect(await page.locator('.cell').count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      releaseHungCall();
      await server.close();
    }
  });

  it('reopens the session as interrupted; "Continue and re-run cells" brings the variables back', async () => {
    let releaseHungCall!: () => void;
    const hung = new Promise<void>((resolve) => (releaseHungCall = resolve));
    const server = await startOpenAIServer({
      respond: async (messages) => {
        const seen = lastOutput(messages);
        if (seen === undefined) return turn('Plan, then compute x.', 'x = 6 * 7\nnotepad.add_todo(["print x"])\nprint("x ready")');
        if (!noteIn(messages)) {
          await hung; // step 2 before the reload: the page goes away while the model "thinks"
          return turn('Too late.', 'print("never")');
        }
        if (seen.includes('x ready')) return turn('Variables are back, use x.', 'print(x)');
        return turn('Answer with what print(x) showed.', `notepad.mark_done(0)\nsubmit_final_answer("x is ${seen.trim()}")`);
      },
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Compute x, then print it.');

      // Step 1 is done and saved; step 2's generation hangs. Reload now.
      await page.waitForFunction(() => document.querySelector('.notepad')?.textContent?.includes('print x'), undefined, { timeout: 60_000 });
      await expect.poll(() => server.requests.filter((r) => r.callIndex !== undefined).length, { timeout: 30_000 }).toBe(2);
      await page.reload();

      const item = page.locator('.session-list li[data-session-id]').first();
      await page.waitForFunction(() => document.querySelector('.session-list li[data-session-id]')?.getAttribute('data-status') === 'interrupted', undefined, { timeout: 30_000 });
      expect(await item.locator('.session-meta').innerText()).toMatch(/^interrupted · 1 step/);
      await item.locator('.session-open').click();

      const notice = page.getByRole('region', { name: 'Interrupted' });
      await notice.waitFor({ state: 'visible' });
      expect(await notice.innerText()).toMatch(/stopped after step 1[\s\S]*notepad were saved; Python variables were not/);
      // Step 1 as saved, and step 2 (in flight at the reload) shown as interrupted.
      expect(await page.locator('.cell').count()).toBe(2);
      expect(await page.locator('.cell.interrupted-step .cell-status').innerText()).toBe('interrupted');
      expect(await page.locator('.cell').first().innerText()).toContain('x ready');
      expect(await page.locator('.notepad .todos li').first().innerText()).toContain('print x');
      expect(await page.locator('.run-status').innerText()).toContain('interrupted');
      await waitForPython(page);
      await page.screenshot({ path: `${SCREENSHOTS}/interrupted.png` });

      // Keyboard: focus the button and press Enter.
      await notice.getByRole('button', { name: 'Continue and re-run cells' }).focus();
      await page.keyboard.press('Enter');
      expect(await waitForAnswer(page)).toContain('x is 42');
      await waitForIdle(page);
      expect(await notice.isHidden()).toBe(true);
      expect(await page.locator('.resumed-note').innerText()).toMatch(/1 saved cell re-run, variables restored/);
      expect(await page.locator('.cell').count()).toBe(3); // step 1 (saved), steps 2 and 3 (continued); no placeholder
      expect(await page.locator('.cell.interrupted-step').count()).toBe(0);

      // What the model saw after the reload: the one-line note, then the value of x from before it.
      const calls = server.requests.filter((r) => r.callIndex !== undefined).map((r) => (r.body?.messages ?? []) as ChatRequestMessage[]);
      const afterReload = calls.filter((m) => noteIn(m));
      expect(afterReload).toHaveLength(2);
      expect(noteIn(afterReload[0])).toMatch(/variables are back/);
      expect(afterReload[0].at(-1)?.content).toBe(noteIn(afterReload[0]));
      expect(lastOutput(afterReload[1])?.trim()).toBe('42');

      // Reloading again shows the finished session, not an interrupted one.
      await page.reload();
      await page.waitForFunction(() => document.querySelector('.session-list li[data-session-id]')?.getAttribute('data-status') === 'answered', undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      releaseHungCall();
      await server.close();
    }
  });

  it('the sidebar Continue without re-running: the model is told its variables are gone', async () => {
    let releaseHungCall!: () => void;
    const hung = new Promise<void>((resolve) => (releaseHungCall = resolve));
    const server = await startOpenAIServer({
      respond: async (messages) => {
        const seen = lastOutput(messages);
        if (seen === undefined) return turn('Compute y.', 'y = 5\nprint("y ready")');
        if (!noteIn(messages)) {
          await hung;
          return turn('Too late.', 'print("never")');
        }
        if (seen.includes('y ready')) return turn('Try y.', 'print(y)');
        return turn('Report.', `submit_final_answer(${JSON.stringify(seen.includes('NameError') ? 'y is gone' : 'y is there')})`);
      },
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url);
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Compute y.');
      await expect.poll(() => server.requests.filter((r) => r.callIndex !== undefined).length, { timeout: 60_000 }).toBe(2);
      await page.reload();

      const item = page.locator('.session-list li[data-session-id]').first();
      await page.waitForFunction(() => document.querySelector('.session-list li[data-session-id]')?.getAttribute('data-status') === 'interrupted', undefined, { timeout: 30_000 });
      await item.locator('summary').click();
      expect(await item.getByLabel('Re-run saved cells').isChecked()).toBe(false);
      await page.screenshot({ path: `${SCREENSHOTS}/continue-menu.png` });
      await item.getByRole('button', { name: 'Continue' }).click();
      expect(await waitForAnswer(page)).toContain('y is gone');
      await waitForIdle(page);
      expect(await page.locator('.resumed-note').innerText()).toMatch(/variables from earlier steps are gone/);
      const last = server.requests.filter((r) => r.callIndex !== undefined).at(-1)!.body!.messages as ChatRequestMessage[];
      expect(noteIn(last)).toMatch(/Variables, imports and functions from step 1 are gone/);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      releaseHungCall();
      await server.close();
    }
  });
});
