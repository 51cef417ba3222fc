// The notebook page (issue 8), driven in Chromium against the built app: the replay demo, a local
// OpenAI-compatible server, Stop, the live notepad, sessions after reload, exports, settings.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer } from '../support/openai-server';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, lastOutput, openApp, runTask, seriousViolations, skipDemo, turn, useOpenAIEndpoint, waitForAnswer, waitForIdle, waitForPython } from './ui-helpers';

const app = useBuiltApp();

describe('notebook page', () => {
  it('1+2. runs the one-click replay demo end to end: cells, highlighted code, traceback, live notepad, answer', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await page.locator('.first-run').waitFor({ state: 'visible' });
    await waitForPython(page);
    // The welcome card is read from its top: its heading is not scrolled under the sticky task box.
    const form = (await page.locator('.task-form').boundingBox())!;
    expect((await page.locator('#first-run-heading').boundingBox())!.y).toBeGreaterThanOrEqual(form.y + form.height);
    await page.screenshot({ path: `${SCREENSHOTS}/first-run.png` });

    await page.getByRole('button', { name: /Watch the demo/ }).click();
    // The notepad panel fills while the run is still going (the plan is written at step 1).
    await page.waitForFunction(() => document.querySelectorAll('.notepad .todos li:not(.muted)').length === 4, undefined, { timeout: 60_000 });
    expect(await page.locator('.final-answer').isHidden()).toBe(true);
    await page.waitForSelector('.cell:nth-child(3)');
    await page.screenshot({ path: `${SCREENSHOTS}/running.png` });
    await skipDemo(page); // the demo plays at a reading pace; the rest at once

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
      const { context, page, errors } = await openApp(app.browser, app.site.url);
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
      // The rest is revealed in chunks, one per task: poll until it is drawn.
      await expect.poll(async () => (await first.locator('.cell-output').innerText()).length, { timeout: 10_000 }).toBeGreaterThan(6000);
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
      const { context, page, errors } = await openApp(app.browser, app.site.url);
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
      const { context, page } = await openApp(app.browser, app.site.url);
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
      const cellText = await page.locator('.cell').first().innerText();
      expect(await page.locator('.cell .cell-status').first().innerText(), cellText).toMatch(/interrupted|stopped/);
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
      const { context, page } = await openApp(app.browser, app.site.url);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Think slowly.');
      await page.waitForFunction(() => (document.querySelector('.think-text')?.textContent ?? '').length > 40, undefined, { timeout: 60_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await waitForIdle(page);
      expect(await page.locator('.run-status .status-text').innerText()).toMatch(/Stopped/);
      expect(await page.locator('.cell-code').first().innerText()).not.toContain('print(1)');
      await expect.poll(() => server.requests.find((r) => r.callIndex === 0)?.clientClosed).toBe(true);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('4. renames and deletes sessions in the page by keyboard (inline editor, inline confirmation); never a native dialog', async () => {
    const { context, page, errors, dialogs } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    // Three saved sessions, written through the library into the page's own database.
    await page.goto(app.site.url + 'harness.html');
    await page.waitForFunction(() => window.l0Ready === true, undefined, { timeout: 30_000 });
    await page.evaluate(async () => {
      const store = window.l0.createIndexedDBStore();
      for (const title of ['Gamma run', 'Beta run', 'Alpha run']) {
        await store.createSession(`${title} task`, { title, status: 'answered' });
        await new Promise((r) => setTimeout(r, 5)); // distinct times: a stable order
      }
    });
    await page.goto(app.site.url);
    const rows = page.locator('.session-list li[data-session-id]');
    await expect.poll(() => rows.count()).toBe(3);
    const row = (title: string) => rows.filter({ has: page.locator('.session-title', { hasText: title }) });
    // The list is newest first and a rename counts as an update: compare the names, not the order.
    const titles = async () => (await page.locator('.session-list .session-title').allInnerTexts()).sort();
    const focused = (p: Page) => p.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return { tag: a?.tagName.toLowerCase(), role: a?.dataset.focus, session: a?.closest('li')?.querySelector('.session-title')?.textContent ?? undefined };
    });
    const beforeTitles = await titles();

    // Rename from the ⋯ menu: the title becomes a text field, focused, with the old name selected.
    const openMenuAndPress = async (title: string, action: string) => {
      await row(title).locator('summary').focus();
      await page.keyboard.press('Enter');
      await row(title).getByRole('button', { name: action }).focus();
      await page.keyboard.press('Enter');
    };
    await openMenuAndPress('Beta run', 'Rename');
    const field = page.getByRole('textbox', { name: 'New name for Beta run' });
    await field.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'input', role: 'rename-input' });
    expect(await field.evaluate((el: HTMLInputElement) => [el.value, el.selectionStart, el.selectionEnd])).toEqual(['Beta run', 0, 8]);
    expect(await page.locator('details.session-menu[open]').count()).toBe(0);
    await page.keyboard.type('Beta, renamed by keyboard');
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('.sidebar').screenshot({ path: `${SCREENSHOTS}/session-rename.png` });
    await page.keyboard.press('Enter');
    await expect.poll(titles).toEqual(['Alpha run', 'Beta, renamed by keyboard', 'Gamma run']);
    // Focus goes back to the session's ⋯ button.
    expect(await focused(page)).toMatchObject({ role: 'menu', session: 'Beta, renamed by keyboard' });

    // An empty or blank name is refused (the field stays, marked invalid); Escape cancels.
    await openMenuAndPress('Alpha run', 'Rename');
    const alphaField = page.getByRole('textbox', { name: 'New name for Alpha run' });
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    expect(await alphaField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.rename-error').innerText()).toBe('A name cannot be empty.');
    await page.keyboard.type('   ');
    await page.keyboard.press('Enter');
    expect(await alphaField.getAttribute('aria-invalid')).toBe('true');
    await page.keyboard.type('not kept');
    await page.keyboard.press('Escape');
    await alphaField.waitFor({ state: 'detached' });
    expect(await titles()).toEqual(['Alpha run', 'Beta, renamed by keyboard', 'Gamma run']);
    expect(await focused(page)).toMatchObject({ role: 'menu', session: 'Alpha run' });
    // Escape in the field cancels the edit only: nothing else reacts (the run stop, the drawer).
    expect(await page.locator('.l0-app').evaluate((el) => el.classList.contains('sidebar-open'))).toBe(false);

    // Leaving the field (blur) saves a valid name.
    await openMenuAndPress('Gamma run', 'Rename');
    await page.keyboard.type('Gamma, saved on blur');
    await page.keyboard.press('Tab');
    await expect.poll(titles).toEqual(['Alpha run', 'Beta, renamed by keyboard', 'Gamma, saved on blur']);

    // Delete asks in the list; focus starts on Cancel. Escape cancels and focus returns to ⋯.
    await openMenuAndPress('Alpha run', 'Delete');
    const confirm = page.getByRole('group', { name: 'Delete “Alpha run”? This cannot be undone.' });
    await confirm.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'button', role: 'confirm-cancel', session: 'Alpha run' });
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('.sidebar').screenshot({ path: `${SCREENSHOTS}/session-delete.png` });
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await focused(page)).toMatchObject({ role: 'menu', session: 'Alpha run' });
    expect(await rows.count()).toBe(3);

    // Cancel (Enter on the focused Cancel) keeps the session too.
    await openMenuAndPress('Alpha run', 'Delete');
    await confirm.waitFor();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(3);

    // Confirm: Shift+Tab to Delete, Enter. The session goes; focus moves to the next session.
    await openMenuAndPress('Alpha run', 'Delete');
    await confirm.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatchObject({ role: 'confirm-delete' });
    await page.keyboard.press('Enter');
    await expect.poll(titles).toEqual(['Beta, renamed by keyboard', 'Gamma, saved on blur']);
    expect(await focused(page)).toMatchObject({ tag: 'button', role: 'open' });

    // All of it was saved.
    await page.reload();
    await expect.poll(titles).toEqual(['Beta, renamed by keyboard', 'Gamma, saved on blur']);
    expect(beforeTitles).toEqual(['Alpha run', 'Beta run', 'Gamma run']);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
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
      const { context, page, errors, dialogs } = await openApp(app.browser, app.site.url);
      // Settings: a one-step limit, saved and still there after a reload.
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Max steps').fill('1');
      await page.getByLabel('Temperature').fill('0.2');
      await page.getByRole('button', { name: 'Save settings' }).click();
      // The status says so once they are written (a reload before that could lose them).
      await page.locator('.run-status .status-text', { hasText: 'Settings saved.' }).waitFor();
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

      // Rename and delete, in the list itself (no browser prompt/confirm).
      const first = page.locator('.session-list li[data-session-id]').first();
      await first.locator('summary').click();
      await first.getByRole('button', { name: 'Rename' }).click();
      await first.getByRole('textbox', { name: /^New name for/ }).fill('Squares');
      await first.getByRole('textbox', { name: /^New name for/ }).press('Enter');
      await page.waitForFunction(() => document.querySelector('.session-list')?.textContent?.includes('Squares'));
      const renamed = page.locator('.session-list li[data-session-id]', { hasText: 'Squares' });
      await renamed.locator('summary').click();
      await renamed.getByRole('button', { name: 'Delete' }).click();
      await renamed.getByRole('group', { name: /Delete “Squares”\?/ }).getByRole('button', { name: 'Delete' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.session-list li[data-session-id]').length === 1);
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll('.session-list li[data-session-id]').length === 1);
      expect(await page.locator('.session-list').innerText()).not.toContain('Squares');
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });
});
