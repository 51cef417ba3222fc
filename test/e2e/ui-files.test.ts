// Files in and out on the notebook page (issue 18), in Chromium against the built page and a local
// OpenAI-compatible server that reads the conversation. The CSV's numbers are random per run and
// the server answers with what the cell printed, so the answer proves the file was really read in
// Python. Attach through the "Attach files" input, by drag-and-drop and by paste; the model writes
// result.csv and the Files panel downloads it with the right bytes; after a reload the files are
// listed, downloadable from the saved copies, and back in a fresh Python for a follow-up.
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer, type ChatRequestMessage } from '../support/openai-server';
import { SCREENSHOTS, lastOutput, openApp, runTask, seriousViolations, turn, useOpenAIEndpoint, waitForIdle, waitForPython } from './ui-helpers';

const app = useBuiltApp();

const rand = () => 10 + Math.floor(Math.random() * 990);
const csvOf = (rows: [string, number][]) => `city,population\n${rows.map(([c, n]) => `${c},${n}`).join('\n')}\n`;
const attachedIn = (m: ChatRequestMessage | undefined) => (m?.role === 'user' ? [...m.content.matchAll(/^- (\S+) \(/gm)].map((x) => x[1]) : []);
const finalAnswerIs = (page: Page, text: string) =>
  page.waitForFunction((t) => document.querySelector('.final-answer:not([hidden]) .answer-body')?.textContent?.trim() === t, text, { timeout: 90_000 });

/** The model of these tests: sum the attached CSV named in the question, save result.csv, answer with the sum it printed. */
function csvModel() {
  return startOpenAIServer({
    respond: (messages) => {
      const last = messages.at(-1)!;
      const files = attachedIn(last).filter((n) => n.endsWith('.csv'));
      if (last.content.includes('Follow-up question: Read result.csv again.')) return turn('Python was restarted: read the saved file.', "print(open('result.csv').read().split()[1])");
      if (files.length) return turn(`Sum ${files[0]}.`, `import csv\nrows = list(csv.DictReader(open(${JSON.stringify(files[0])})))\ntotal = sum(int(r['population']) for r in rows)\nprint(total)`);
      const out = lastOutput(messages)?.trim() ?? '';
      if (/^\d+$/.test(out) && messages.some((m) => m.content.includes('Follow-up question: Read result.csv again.'))) return turn('Answer with what the file said.', `submit_final_answer(${JSON.stringify(`result.csv still says ${out}.`)})`);
      if (/^\d+$/.test(out) && !messages.some((m) => m.role === 'assistant' && m.content.includes('result.csv'))) {
        return turn('Save it for the user.', "_ = open('result.csv', 'w').write(f'total\\n{total}\\n')");
      }
      const total = [...messages].reverse().map((m) => (m.role === 'user' ? /<output>\n(\d+)\n<\/output>/.exec(m.content)?.[1] : undefined)).find(Boolean);
      return turn('Answer with the sum the cell printed.', `submit_final_answer(${JSON.stringify(`The total is ${total}.`)})`);
    },
  });
}

/** A file dropped on (or pasted into) the page, built inside it from text. */
async function dropFile(page: Page, name: string, text: string, how: 'drop' | 'paste'): Promise<void> {
  await page.evaluate(
    ([n, t, mode]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], n, { type: 'text/csv' }));
      const target = document.querySelector('.l0-app')!;
      if (mode === 'paste') {
        (document.querySelector('#l0-task') as HTMLElement).focus();
        document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        return;
      }
      for (const type of ['dragenter', 'dragover']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      if (!target.classList.contains('drop-target')) throw new Error('no drop hint while dragging files');
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, text, how] as const,
  );
}

describe('files in and out', () => {
  it('a CSV attached through "Attach files" is read by the model\'s code; result.csv downloads with the right bytes; after a reload the files are back', async () => {
    const rows: [string, number][] = [['Ada', rand()], ['Babbage', rand()], ['Lovelace', rand()]];
    const total = rows.reduce((n, [, v]) => n + v, 0);
    const server = await csvModel();
    try {
      const { context, page, errors, dialogs } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 860 }, colorScheme: 'light', acceptDownloads: true });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');

      // Attach: the chip shows before the run, with a Remove button.
      await page.getByLabel('Attach files').setInputFiles({ name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from(csvOf(rows)) });
      const pending = page.getByRole('list', { name: 'Files for the next question' });
      await pending.getByText('data.csv').waitFor();
      expect(await pending.getByRole('button', { name: 'Remove data.csv' }).isVisible()).toBe(true);
      await page.screenshot({ path: `${SCREENSHOTS}/files-attached.png` });
      await runTask(page, 'What is the total population in the attached file?');
      await finalAnswerIs(page, `The total is ${total}.`);
      await waitForIdle(page);

      // What the model was told: the file, its size and first line, under the question.
      const first = server.requests.find((r) => r.callIndex === 0)!.body!.messages as ChatRequestMessage[];
      expect(first[1]!.content).toContain(`- data.csv (${csvOf(rows).length} B, text/csv); first line: "city,population"`);
      // The question shows its file as a chip; nothing is pending any more.
      expect(await page.getByRole('list', { name: 'Files attached to the question' }).innerText()).toContain('data.csv');
      expect(await pending.isHidden()).toBe(true);
      await page.locator('.question-files').screenshot({ path: `${SCREENSHOTS}/files-question-chips.png` });

      // The Files panel: both files, with sizes; result.csv downloads with the bytes the code wrote.
      const panel = page.getByRole('region', { name: 'Files' });
      await panel.getByText('result.csv').waitFor();
      expect(await panel.locator('.file-name').allTextContents()).toEqual(['data.csv', 'result.csv']);
      const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Download result.csv' }).click()]);
      expect(download.suggestedFilename()).toBe('result.csv');
      expect(await readFile((await download.path())!, 'utf8')).toBe(`total\n${total}\n`);
      // Preview: the text, inline.
      await panel.getByRole('button', { name: 'Preview data.csv' }).click();
      await expect.poll(() => page.getByRole('region', { name: 'Preview of data.csv' }).innerText()).toContain(`Babbage,${rows[1]![1]}`);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SCREENSHOTS}/files-panel.png`, fullPage: true });

      // Export notebook + files: a zip with the .ipynb and both files beside it, bytes intact.
      await waitForIdle(page);
      const row = page.locator('.session-list li[data-session-id]').first();
      await row.locator('summary').click();
      const [zipped] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Export notebook + files (.zip)' }).click()]);
      expect(zipped.suggestedFilename()).toMatch(/\.zip$/);
      const entries = unzipSync(new Uint8Array(await readFile((await zipped.path())!)));
      const text = (n: string) => new TextDecoder().decode(entries[n]);
      expect(Object.keys(entries).filter((n) => !n.endsWith('.ipynb')).sort()).toEqual(['data.csv', 'result.csv']);
      expect([text('data.csv'), text('result.csv')]).toEqual([csvOf(rows), `total\n${total}\n`]);
      const nbName = Object.keys(entries).find((n) => n.endsWith('.ipynb'))!;
      expect(text(nbName)).toContain("open(\\\"data.csv\\\")");

      // Reload: the session's files are listed and download from the saved copies.
      await page.reload();
      await waitForPython(page);
      await page.locator('.session-list li[data-session-id] .session-open').first().click();
      await panel.getByText('result.csv').waitFor();
      const [again] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Download data.csv' }).click()]);
      expect(await readFile((await again.path())!, 'utf8')).toBe(csvOf(rows));
      // ...and they are in the fresh Python for a follow-up: the code reads result.csv again.
      await page.getByLabel('Follow-up question').fill('Read result.csv again.');
      await page.getByRole('button', { name: 'Ask', exact: true }).click();
      // The answer comes from what the follow-up's cell printed: the file was there after the reload.
      await finalAnswerIs(page, `result.csv still says ${total}.`);
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('files dropped on the page or pasted are attached; a follow-up shows its own files', async () => {
    const rows: [string, number][] = [['Turing', rand()], ['Hopper', rand()]];
    const more: [string, number][] = [['Noether', 2000 + rand()]]; // never the first answer's sum
    const server = await csvModel();
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      // While files are dragged over the page it says where they go.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'x.csv'));
        document.querySelector('.l0-app')!.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
      });
      await page.screenshot({ path: `${SCREENSHOTS}/files-drop-hint.png` });
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'x.csv'));
        document.querySelector('.l0-app')!.dispatchEvent(new DragEvent('dragleave', { dataTransfer: dt, bubbles: true }));
      });
      expect(await page.locator('.l0-app.drop-target').count()).toBe(0);
      await dropFile(page, 'dropped.csv', csvOf(rows), 'drop');
      await page.getByRole('list', { name: 'Files for the next question' }).getByText('dropped.csv').waitFor();
      expect(await page.locator('.l0-app').getAttribute('class')).not.toContain('drop-target');
      await runTask(page, 'Sum the dropped file.');
      await finalAnswerIs(page, `The total is ${rows[0]![1] + rows[1]![1]}.`);
      await waitForIdle(page);

      // A pasted file goes with the follow-up: the attach control sits in the follow-up box now.
      await page.getByLabel('Follow-up question').waitFor();
      await dropFile(page, 'pasted.csv', csvOf(more), 'paste');
      const box = page.locator('form.follow-up');
      await box.getByRole('list', { name: 'Files for the next question' }).getByText('pasted.csv').waitFor();
      expect(await box.getByLabel('Attach files').count()).toBe(1);
      await page.getByLabel('Follow-up question').fill('And this one?');
      await page.getByRole('button', { name: 'Ask', exact: true }).click();
      await finalAnswerIs(page, `The total is ${more[0]![1]}.`);
      await waitForIdle(page);
      expect(await page.getByRole('list', { name: 'Files attached to question 1' }).innerText()).toContain('dropped.csv');
      expect(await page.getByRole('list', { name: 'Files attached to question 2' }).innerText()).toContain('pasted.csv');
      expect(await page.getByRole('region', { name: 'Files' }).locator('.file-name').allTextContents()).toEqual(['dropped.csv', 'pasted.csv', 'result.csv']);
      await page.screenshot({ path: `${SCREENSHOTS}/files-follow-up-dark.png`, fullPage: true });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('files the model names and fills with markup (Markdown, HTML, SVG) are listed as text and previewed inert', async () => {
    const EVIL = '<img src=x onerror=alert(1)>.md'; // no '/': a file name, not a path
    let origin = '';
    const server = await startOpenAIServer({
      respond: (messages) => {
        if (messages.length > 2) return turn('Done.', "submit_final_answer('written')");
        const md = `# Report\n\n<img src="${origin}/pixel-md">\n\n<script>window.__pwned = 1</script>\n\n[click](javascript:window.__pwned=2)\n`;
        const html = `<h1>Page</h1><img src="${origin}/pixel-html" onerror="window.__pwned=3"><script>window.__pwned=4</script><iframe src="${origin}/pixel-frame"></iframe>`;
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=5"><image href="${origin}/pixel-svg"/></svg>`;
        const writes = [[EVIL, md], ['page.html', html], ['pic.svg', svg]].map(([n, t]) => `_ = open(${JSON.stringify(n)}, 'w').write(${JSON.stringify(t)})`);
        return turn('Write hostile files.', writes.join('\n'));
      },
    });
    origin = server.origin;
    try {
      const { context, page, errors, dialogs } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 860 } });
      await waitForPython(page);
      await useOpenAIEndpoint(page, server.url, 'test-model');
      await runTask(page, 'Write a report file.');
      await finalAnswerIs(page, 'written');
      const panel = page.getByRole('region', { name: 'Files' });
      await panel.locator('.file-name').nth(2).waitFor();
      expect(await panel.locator('.file-name').allTextContents()).toEqual([EVIL, 'page.html', 'pic.svg']);
      expect(await panel.locator('.file-name img').count()).toBe(0);
      // Markdown is rendered through the sanitiser: the heading stays, script, remote image and javascript: link go.
      await panel.getByRole('button', { name: `Preview ${EVIL}` }).click();
      const preview = page.getByRole('region', { name: `Preview of ${EVIL}` });
      await preview.getByRole('heading', { name: 'Report' }).waitFor();
      await preview.getByText('click').click().catch(() => undefined);
      expect(await preview.locator('script, img[src*="pixel"], a[href^="javascript"]').count()).toBe(0);
      // HTML is shown as its source text, never as a page.
      await panel.getByRole('button', { name: 'Preview page.html' }).click();
      const htmlPreview = page.getByRole('region', { name: 'Preview of page.html' });
      await htmlPreview.getByText('<script>window.__pwned=4</script>', { exact: false }).waitFor();
      expect(await htmlPreview.locator('h1, img, script, iframe').count()).toBe(0);
      // An SVG is offered for download only (no preview renders it).
      await panel.getByRole('button', { name: 'Download pic.svg' }).waitFor();
      expect(await panel.getByRole('button', { name: 'Preview pic.svg' }).count()).toBe(0);
      expect(await page.locator('.files-panel svg image, .files-panel object, .files-panel embed').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(server.requests.filter((r) => r.path.startsWith('/pixel'))).toEqual([]);
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);
      await page.screenshot({ path: `${SCREENSHOTS}/files-hostile-preview.png`, fullPage: true });
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('on a phone the Files panel sits below the notepad', async () => {
    const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.getByLabel('Attach files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello\n') });
    const [notepad, files] = await Promise.all([page.locator('.notepad').boundingBox(), page.locator('.files-panel').boundingBox()]);
    expect(files!.y).toBeGreaterThan(notepad!.y + notepad!.height - 1);
    expect(files!.width).toBeGreaterThan(300);
    await page.screenshot({ path: `${SCREENSHOTS}/files-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});
