// Everyday tools on a step (issue 22, item 10), in Chromium against the built app and a local
// OpenAI-compatible server: Copy buttons on code, output and the answer (keyboard too, with a
// visible "Copied"); token figures per step as the engine reports them; "Run this cell again" in the
// live Python (not shown to the model, the session unchanged); the task edited and the session
// re-run from a step (earlier variables restored, the model given the new task).
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer, type ChatRequestMessage } from '../support/openai-server';
import { SCREENSHOTS, openApp, runTask, turn, useOpenAIEndpoint, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

const app = useBuiltApp();

const text = async (l: Locator) => (await l.innerText()).trim();
const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());
const stepOf = (messages: ChatRequestMessage[]) => messages.filter((m) => m.role === 'assistant').length + 1;
const chatCalls = (server: { requests: { callIndex?: number; body?: Record<string, unknown> }[] }) =>
  server.requests.filter((r) => r.callIndex !== undefined).map((r) => r.body!.messages as ChatRequestMessage[]);

describe('tools on a step', () => {
  it('10. Copy code, output and answer (mouse and keyboard, "Copied" shown); token figures per step', async () => {
    const server = await startOpenAIServer({
      usage: () => ({ prompt_tokens: 1000, completion_tokens: 25, cached_tokens: 900 }),
      respond: (messages) =>
        stepOf(messages) === 1 ? turn('Count.', 'counter = globals().get("counter", 0) + 1\nprint("counter", counter)') : turn('Answer.', 'submit_final_answer("The **answer** is 42.")'),
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light', permissions: ['clipboard-read', 'clipboard-write'] });
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Count once, then answer.');
      await waitForAnswer(page);
      await waitForIdle(page);
      const cell = page.locator('.cell').first();

      // The figures the server reported: 25 generated, 1,000 prompt tokens of which 900 were cached.
      const stats = await cell.locator('.cell-stats').innerText();
      expect(stats).toMatch(/^[\d.]+ tokens\/s · 25 generated · 1,000 prompt tokens \(900 reused\)$/);

      // Keyboard: Tab to "Copy code", Enter.
      const copyCode = cell.getByRole('button', { name: 'Copy code' });
      await copyCode.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => clipboard(page)).toBe('counter = globals().get("counter", 0) + 1\nprint("counter", counter)');
      expect(await copyCode.innerText()).toBe('Copied ✓');
      expect(await cell.getByRole('status').filter({ hasText: 'Copied' }).count()).toBe(1); // said to screen readers too
      await page.screenshot({ path: `${SCREENSHOTS}/copied.png` });
      await cell.getByRole('button', { name: 'Copy output' }).click();
      await expect.poll(() => clipboard(page)).toBe('counter 1\n');
      await page.locator('.final-answer').getByRole('button', { name: 'Copy answer' }).click();
      await expect.poll(() => clipboard(page)).toBe('The **answer** is 42.');
      await expect.poll(() => copyCode.innerText(), { timeout: 5000 }).toBe('Copy code'); // back after a moment
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('10. "Run this cell again" runs the code in the live Python and shows the new output; the session and the model are untouched', async () => {
    const server = await startOpenAIServer({
      respond: (messages) =>
        stepOf(messages) === 1 ? turn('Count.', 'counter = globals().get("counter", 0) + 1\nprint("counter", counter)') : turn('Answer.', 'submit_final_answer(f"counted {counter}")'),
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Count once, then answer.');
      expect(await waitForAnswer(page)).toContain('counted 1');
      await waitForIdle(page);
      const cell = page.locator('.cell').first();
      await cell.getByRole('button', { name: 'Run this cell again' }).click();
      const again = cell.getByRole('region', { name: 'Step 1 run again' });
      await expect.poll(() => text(again.locator('.rerun-output')), { timeout: 30_000 }).toBe('counter 2'); // the run's variables are live
      await waitForIdle(page);
      expect(await again.innerText()).toMatch(/not shown to the model/);
      expect(await page.locator('.run-status .status-text').innerText()).toMatch(/ran again: done\. The model does not see this run\./);
      expect(await text(cell.locator('.cell-output').first())).toBe('counter 1'); // what the model saw stays
      await page.screenshot({ path: `${SCREENSHOTS}/run-again.png` });
      await cell.getByRole('button', { name: 'Run this cell again' }).click();
      await expect.poll(() => text(again.locator('.rerun-output')), { timeout: 30_000 }).toBe('counter 3');
      await waitForIdle(page);
      expect(chatCalls(server)).toHaveLength(2); // no generation for a cell run again

      // The saved session is as the run left it.
      await page.reload();
      await page.locator('.session-list li[data-session-id] .session-open').first().click();
      await page.waitForFunction(() => document.querySelectorAll('.cell').length === 2);
      expect(await text(page.locator('.cell').first().locator('.cell-output').first())).toBe('counter 1');
      expect(await page.locator('.cell-rerun:visible').count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('10. edit the task and re-run from a step: earlier steps kept (variables restored), the model gets the new task, the old session stays', async () => {
    const server = await startOpenAIServer({
      respond: (messages) => {
        const task = messages[1]?.content ?? '';
        const factor = /times eight/.test(task) ? 8 : 7;
        switch (stepOf(messages)) {
          case 1:
            return turn('Start with six.', 'x = 6\nprint("x =", x)');
          case 2:
            return turn(`Multiply by ${factor}.`, `y = x * ${factor}\nprint("y =", y)`);
          default:
            return turn('Answer.', 'submit_final_answer(f"{x} times the factor is {y}")');
        }
      },
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Six times seven.');
      expect(await waitForAnswer(page)).toContain('6 times the factor is 42');
      await waitForIdle(page);

      // Edit the task, then re-run from step 2 (keyboard).
      await page.getByLabel('Task', { exact: true }).fill('Six times eight.');
      await page.locator('.cell').nth(1).getByRole('button', { name: 'Re-run from this step' }).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('.final-answer:not([hidden])').innerText().catch(() => ''), { timeout: 60_000 }).toContain('6 times the factor is 48');
      await waitForIdle(page);
      expect(await page.locator('.resumed-note').innerText()).toMatch(/1 saved cell re-run, variables restored/);
      expect(await page.locator('.cell').count()).toBe(3); // step 1 kept, steps 2 and 3 new
      expect(await text(page.locator('.cell').nth(1).locator('.cell-output').first())).toBe('y = 48');
      // The model's context: the edited task, then step 1 as it was.
      const fork = chatCalls(server)[3]!;
      expect(fork[1]!.content).toMatch(/^Six times eight\.\n/);
      expect(fork.filter((m) => m.role === 'assistant')).toHaveLength(1);
      expect(fork.find((m) => m.role === 'assistant')!.content).toContain('x = 6');
      await page.screenshot({ path: `${SCREENSHOTS}/rerun-from-step.png` });

      // Two sessions: the old one kept its answer.
      await expect.poll(() => page.locator('.session-list li[data-session-id]').count()).toBe(2);
      await page.locator('.session-list li[data-session-id]', { hasText: 'Six times seven.' }).locator('.session-open').click();
      await expect.poll(() => page.locator('.final-answer').innerText()).toContain('6 times the factor is 42');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });
});
