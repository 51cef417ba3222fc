// The eval page (dist/eval.html) in Chromium: load a JSONL file, run against a local scripted
// OpenAI-compatible server, watch the results table fill, drill into a question, export JSONL.
import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';

const SHOTS = 'test/e2e/screenshots';
const lines = readFileSync('data/qa/hotpotqa.jsonl', 'utf8').trim().split('\n').slice(0, 3);
const items = lines.map((l) => JSON.parse(l) as { id: string; question: string; answers: string[] });

let browser: Browser;
let site: StaticServer;
let model: OpenAIServer;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  site = await startStaticServer({ root: 'dist', basePath: '/', isolation: true });
  model = await startOpenAIServer({
    respond: (messages) => {
      const i = items.findIndex((it) => messages[1]?.content.startsWith(it.question));
      const step = messages.filter((m) => m.role === 'assistant').length + 1;
      if (step === 1) {
        return `<think>I will search the local documents first.</think>\n<code>\nprint([h["title"] for h in web_search(${JSON.stringify(items[i]!.question)}, k=2)])\n</code><end_code>`;
      }
      const answer = i === 2 ? 'a wrong answer' : items[i]!.answers[0];
      return `<think>The paragraphs answer the question.</think>\n<code>\nsubmit_final_answer(${JSON.stringify(answer)})\n</code><end_code>`;
    },
  });
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await model?.close();
});

describe('eval.html', () => {
  it('runs a JSONL file with an OpenAI-compatible engine and shows, drills into and exports results', async () => {
    const { page } = await newAppPage(browser, site.url + 'eval.html', { acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(site.url + 'eval.html');
    await page.locator('input[name=dataset]').setInputFiles({ name: 'hotpotqa.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines.join('\n') + '\n') });
    await expect.poll(() => page.locator('.status').textContent()).toBe('3 questions loaded from hotpotqa.jsonl.');
    expect(await page.locator('select[name=tools]').inputValue()).toBe('corpus');
    await page.locator('input[name=engine]').fill(`engine=openai&baseUrl=${model.url}&model=scripted-page`);
    await page.locator('input[name=concurrency]').fill('2');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('.status').textContent(), { timeout: 180_000, interval: 500 }).toBe('Done: 3 questions.');

    const rows = page.locator('tr.result');
    expect(await rows.count()).toBe(3);
    const answers = await page.locator('tr.result td.answer').allTextContents();
    expect(answers.sort()).toEqual([items[0]!.answers[0], items[1]!.answers[0], 'a wrong answer'].sort());
    expect(await page.locator('tr.result.ok').count()).toBe(2);
    expect(await page.locator('.summary').textContent()).toMatch(/hotpotqa\s+3\s+66\.7\s+/);

    await rows.first().click();
    await expect.poll(() => page.locator('.drill h4').count()).toBe(2);
    expect(await page.locator('.drill pre.code').first().textContent()).toContain('web_search(');
    expect(await page.locator('.drill pre.observation').first().textContent()).toContain('<output>');
    await page.screenshot({ path: `${SHOTS}/eval-page-results.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export RL JSONL' }).click()]);
    expect(download.suggestedFilename()).toBe('rl.jsonl');
    const rl = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rl.length).toBe(3);
    expect(rl[0].schema).toBe('l0-browser/rl-trajectory@1');
    expect(rl[0].model.id).toBe('scripted-page');
    expect(errors).toEqual([]);
    await page.close();
  });
});
