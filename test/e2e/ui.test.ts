// The notebook page (issue 8), driven in Chromium against the built app: the replay demo, a local
// OpenAI-compatible server, Stop, the live notepad, sessions after reload, exports, settings.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { startOpenAIServer } from '../support/openai-server';
import { SCREENSHOTS, lastOutput, openApp, runTask, turn, useOpenAIEndpoint, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

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

describe('notebook page', () => {
  it('1+2. runs the one-click replay demo end to end: cells, highlighted code, traceback, live notepad, answer', async () => {
    const { context, page, errors } = await openApp(browser, site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await page.locator('.first-run').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${SCREENSHOTS}/first-run.png` });

    await page.getByRole('button', { name: /Watch the demo/ }).click();
    // The notepad panel fills while the run is still going (the plan is written at step 1).
    await page.waitForFunction(() => document.querySelectorAll('.notepad .todos li:not(.muted)').length === 4, undefined, { timeout: 60_000 });
    expect(await page.locator('.final-answer').isHidden()).toBe(true);
    await page.waitForSelector('.cell:nth-child(3)');
    await page.screenshot({ path: `${SCREENSHOTS}/running.png` });

    const answer = await waitForAnswer(page);
    expect(answer).toContain('1229');
    expect(answer).toContain('36');
    await waitForIdle(page);
    expect(await page.locator('.cell').count()).toBe(5);
    expect(await page.locator('.run-status').innerText()).toMatch(/Answered in 5 steps/);
    // Code is highlighted; the NameError of step 3 is shown as a traceback; outputs came from Python.
    expect(await page.locator('.cell-code .hljs-keyword').count()).toBeGreaterThan(0);
    expect(await page.locator('.cell').nth(2).locator('.traceback').innerText()).toMatch(/NameError: name 'mean' is not defined/);
    expect(await page.locator('.cell').nth(1).locator('.cell-output').innerText()).toContain('primes below 10000 = 1229');
    expect(await page.locator('.cell').nth(0).locator('.cell-timing').innerText()).toMatch(/generate .* · run /);
    // Thinking is folded once the code arrived, and can be opened again.
    const think = page.locator('.cell').nth(0).locator('details.cell-think');
    expect(await think.getAttribute('open')).toBeNull();
    await think.locator('summary').click();
    expect(await think.getAttribute('open')).not.toBeNull();
    // The notepad: every todo done, two facts, the draft rendered as Markdown.
    expect(await page.locator('.notepad .todos li.done').count()).toBe(4);
    expect(await page.locator('.notepad .facts li').count()).toBe(2);
    expect(await page.locator('.notepad .draft strong').first().innerText()).toBe('1229');
    expect(await page.locator('.final-answer strong').first().innerText()).toBe('1229');
    await page.screenshot({ path: `${SCREENSHOTS}/demo-answer.png` });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('1. runs against a local OpenAI-compatible server, and the cell output reaches the model', async () => {
    const server = await startOpenAIServer({
      respond: (messages) => {
        const seen = lastOutput(messages);
        if (seen === undefined) return turn('Compute the product in Python.', 'x = 12345 * 6789\nprint("product", x)\nprint("-" * 6000)');
        const n = /product (\d+)/.exec(seen)?.[1] ?? 'nothing';
        return turn('The output gave the product.', `submit_final_answer("The product is ${n}.")`);
      },
    });
    try {
      const { context, page, errors } = await openApp(browser, site.url);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'What is 12345 times 6789?');
      const answer = await waitForAnswer(page);
      expect(answer).toContain(`The product is ${12345 * 6789}.`);
      expect(server.requests.filter((r) => r.callIndex !== undefined)).toHaveLength(2);
      expect(await page.locator('.cell').count()).toBe(2);
      // Long output is cut in the cell, with "Show all" to expand it.
      const first = page.locator('.cell').first();
      const shown = (await first.locator('.cell-output').innerText()).length;
      expect(shown).toBeLessThan(6000);
      await first.getByRole('button', { name: /Show all/ }).click();
      expect((await first.locator('.cell-output').innerText()).length).toBeGreaterThan(6000);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('5. an uploaded corpus file is searchable by the agent (search_corpus enabled on upload)', async () => {
    const server = await startOpenAIServer({
      respond: (messages) => {
        const seen = lastOutput(messages);
        if (seen === undefined) return turn('Search the local corpus.', 'hits = search_corpus("zebra migration route", 3)\nprint("top:", hits[0]["title"])');
        return turn('Answer with the title.', `submit_final_answer(${JSON.stringify(/top: (.*)/.exec(seen)?.[1] ?? 'none')})`);
      },
    });
    try {
      const { context, page, errors } = await openApp(browser, site.url);
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel(/Local corpus/).setInputFiles([
        { name: 'zebras.md', mimeType: 'text/markdown', buffer: Buffer.from('# Zebra migration\n\nEvery year zebras follow a migration route of about 500 km between Botswana and Namibia.\n') },
        { name: 'owls.txt', mimeType: 'text/plain', buffer: Buffer.from('Owls hunt at night and swallow their prey whole.') },
      ]);
      await page.waitForFunction(() => /Corpus: \d+ document/.test(document.querySelector('.settings')?.textContent ?? ''));
      expect(await page.getByRole('checkbox', { name: /search_corpus/ }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Which document is about zebras?');
      expect(await waitForAnswer(page)).toContain('Zebra migration');
      expect(await page.locator('.cell').first().locator('.tool-calls').innerText()).toContain('search_corpus');
      // The tool was documented to the model in the system prompt.
      const system = (server.requests.find((r) => r.callIndex === 0)?.body?.messages as { content: string }[])[0].content;
      expect(system).toContain('search_corpus(');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('1. Stop interrupts a running cell promptly and ends the run', async () => {
    const server = await startOpenAIServer({
      respond: () => turn('Count for a long time.', 'import time\ni = 0\nwhile True:\n    i += 1\n    print("tick", i)\n    time.sleep(0.05)'),
    });
    try {
      const { context, page } = await openApp(browser, site.url);
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Count forever.');
      await page.waitForFunction(() => /tick 5/.test(document.querySelector('.cell-output')?.textContent ?? ''), undefined, { timeout: 60_000 });
      const stoppedAt = Date.now();
      await page.getByRole('button', { name: 'Stop' }).click();
      await waitForIdle(page);
      const stopMs = Date.now() - stoppedAt;
      // The cell would run forever: the run ended only because Stop interrupted it.
      expect(stopMs).toBeLessThan(5000);
      expect(await page.locator('.run-status .status-text').innerText()).toMatch(/Stopped/);
      expect(await page.locator('.cell .cell-status').first().innerText()).toMatch(/interrupted|stopped/);
      expect(await page.getByRole('button', { name: 'Run', exact: true }).isEnabled()).toBe(true);
      console.log(`stop latency: ${stopMs} ms`);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('1. Stop also ends a generation that is still streaming (the request is aborted)', async () => {
    const server = await startOpenAIServer({ chunkDelayMs: 100, respond: () => turn('Let me think about this slowly. '.repeat(40), 'print(1)') });
    try {
      const { context, page } = await openApp(browser, site.url);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Think slowly.');
      await page.waitForFunction(() => (document.querySelector('.think-text')?.textContent ?? '').length > 40, undefined, { timeout: 60_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await waitForIdle(page);
      expect(await page.locator('.run-status .status-text').innerText()).toMatch(/Stopped/);
      expect(await page.locator('.cell-code').first().innerText()).not.toContain('print(1)');
      await page.waitForTimeout(300);
      expect(server.requests.find((r) => r.callIndex === 0)?.clientClosed).toBe(true);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('4+5. sessions survive a reload (reopen, continue, rename, delete), settings persist, exports download and import back', async () => {
    const server = await startOpenAIServer({
      respond: (messages) => {
        const seen = lastOutput(messages);
        if (seen === undefined) return turn('Start with a plan.', 'notepad.add_todo(["square 21"])\nprint("sq", 21 * 21)');
        return turn('Answer from the output.', `notepad.mark_done(0)\nsubmit_final_answer("It is ${/sq (\d+)/.exec(seen)?.[1]}.")`);
      },
    });
    try {
      const { context, page, errors } = await openApp(browser, site.url);
      // Settings: a one-step limit, saved and still there after a reload.
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Max steps').fill('1');
      await page.getByLabel('Temperature').fill('0.2');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.reload();
      await page.getByRole('button', { name: 'Settings' }).click();
      expect(await page.getByLabel('Max steps').inputValue()).toBe('1');
      expect(await page.getByLabel('Temperature').inputValue()).toBe('0.2');
      await page.getByRole('button', { name: 'Close Settings' }).click();

      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'What is 21 squared?');
      await waitForIdle(page);
      expect(await page.locator('.run-status').innerText()).toMatch(/step limit/);
      expect(server.requests.at(-1)?.body?.temperature).toBe(0.2);

      // Reload: the session is listed; reopening shows its cell and notepad.
      await page.reload();
      const item = page.locator('.session-list li[data-session-id]').first();
      await page.waitForFunction(() => document.querySelector('.session-list li[data-session-id]')?.textContent?.includes('What is 21 squared?'));
      await item.locator('.session-open').click();
      await page.waitForFunction(() => document.querySelectorAll('.cell').length === 1);
      expect(await page.locator('.notepad .todos li').first().innerText()).toContain('square 21');

      // Continue with a larger step limit: the saved step is kept and the run finishes.
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Max steps').fill('4');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await item.locator('summary').click();
      await item.getByRole('button', { name: 'Continue' }).click();
      expect(await waitForAnswer(page)).toContain('It is 441.');
      await waitForIdle(page);
      expect(await page.locator('.cell').count()).toBe(2);

      // Exports: .ipynb, Markdown and JSON download; the JSON imports back as a new session.
      const files: Record<string, string> = {};
      for (const label of ['Export .ipynb', 'Export Markdown', 'Export JSON']) {
        const row = page.locator('.session-list li[data-session-id]').first();
        await row.locator('summary').click();
        const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: label }).click()]);
        files[label] = await readFile((await download.path())!, 'utf8');
        expect(download.suggestedFilename()).toMatch(label === 'Export .ipynb' ? /\.ipynb$/ : label === 'Export Markdown' ? /\.md$/ : /\.json$/);
      }
      const nb = JSON.parse(files['Export .ipynb']) as { nbformat: number; cells: { cell_type: string; source: string[] | string }[] };
      expect(nb.nbformat).toBe(4);
      expect(nb.cells.some((c) => c.cell_type === 'code' && [c.source].flat().join('').includes('21 * 21'))).toBe(true);
      expect(files['Export Markdown']).toContain('What is 21 squared?');
      expect(JSON.parse(files['Export JSON']).trajectory.finalAnswer).toBe('It is 441.');

      await page.setInputFiles('#session-import', { name: 'session.json', mimeType: 'application/json', buffer: Buffer.from(files['Export JSON']) });
      await page.waitForFunction(() => document.querySelectorAll('.session-list li[data-session-id]').length === 2);

      // Rename and delete (the dialogs are the browser's own prompt/confirm).
      page.once('dialog', (d) => void d.accept('Squares'));
      const first = page.locator('.session-list li[data-session-id]').first();
      await first.locator('summary').click();
      await first.getByRole('button', { name: 'Rename' }).click();
      await page.waitForFunction(() => document.querySelector('.session-list')?.textContent?.includes('Squares'));
      page.once('dialog', (d) => void d.accept());
      const renamed = page.locator('.session-list li[data-session-id]', { hasText: 'Squares' });
      await renamed.locator('summary').click();
      await renamed.getByRole('button', { name: 'Delete' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.session-list li[data-session-id]').length === 1);
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll('.session-list li[data-session-id]').length === 1);
      expect(await page.locator('.session-list').innerText()).not.toContain('Squares');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });
});
