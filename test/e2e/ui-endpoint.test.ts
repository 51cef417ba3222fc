// The OpenAI-compatible endpoint form (issue 22, items 3, 4 and 5, and the 404 message of item 11),
// in Chromium against the built app (COOP/COEP on, as `npm start` serves it) and local servers: a
// server without CORS and a closed port are told apart, each with its fix; "Use this endpoint" tests
// the connection and offers the served models; a failed try shows its error once and leaves no
// session behind; the API key is not kept across reloads unless asked, and a 401 says so.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer } from '../support/openai-server';
import { SCREENSHOTS, lastOutput, openApp, runTask, seriousViolations, turn, waitForAnswer, waitForIdle } from './ui-helpers';

const app = useBuiltApp();

/** A port nothing listens on (a server was there a moment ago). */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

async function tryEndpoint(page: Page, baseUrl: string, model: string, apiKey = ''): Promise<void> {
  if (!(await page.getByRole('dialog', { name: 'Model' }).isVisible())) await page.locator('.engine-chip').click();
  await page.getByLabel('Base URL').fill(baseUrl);
  await page.getByLabel('Model name').fill(model);
  await page.getByLabel(/^API key/).fill(apiKey);
  await page.getByRole('button', { name: 'Use this endpoint' }).click();
}

const panelError = (page: Page) => page.locator('.model-panel .error-text');
const sessionCount = (page: Page) => page.locator('.session-list li[data-session-id]').count();

const answerWithKey = (messages: { role: string; content: string }[]) =>
  lastOutput(messages) === undefined ? turn('Compute.', 'print(6 * 7)') : turn('Answer.', 'submit_final_answer("forty-two")');

describe('the endpoint form', () => {
  it('3. a server without CORS and a closed port get different messages, each with its own fix', async () => {
    const noCors = await startOpenAIServer({ respond: () => 'never seen', cors: false, corp: false });
    const closed = await closedPortUrl();
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // the page's COEP blocks a no-cors probe
      await tryEndpoint(page, noCors.url, 'test-model');
      await panelError(page).waitFor({ state: 'visible', timeout: 30_000 });
      const cors = await panelError(page).innerText();
      expect(cors).toMatch(/^cors: /);
      expect(cors).toContain(new URL(app.site.url).origin); // the origin to allow
      for (const fix of ['--allowed-origins', 'OLLAMA_ORIGINS', 'llama-server', 'lms server start --cors']) expect(cors).toContain(fix);
      expect(cors).not.toMatch(/Could not reach|nothing answered/);
      expect(noCors.requests.some((r) => r.path === '/v1/models')).toBe(true); // it did answer
      await page.getByRole('dialog', { name: 'Model' }).screenshot({ path: `${SCREENSHOTS}/model-cors-error.png` });

      await tryEndpoint(page, closed, 'test-model');
      await expect.poll(() => panelError(page).innerText(), { timeout: 30_000 }).toMatch(/^network: /);
      const down = await panelError(page).innerText();
      expect(down).toMatch(/Could not reach http:\/\/127\.0\.0\.1:\d+: nothing answered/);
      expect(down).not.toMatch(/CORS|allowed-origins/);

      // Neither was taken: the engine is still the demo, nothing went to the banner.
      expect(await page.locator('.engine-chip').innerText()).toContain('Replay demo');
      expect(await page.locator('.banner').isHidden()).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await noCors.close();
    }
  });

  it('4. "Use this endpoint" tests the connection first and offers the served models; a failed try shows its error once and leaves no session', async () => {
    const server = await startOpenAIServer({ models: ['l0-4b', 'qwen3-4b'], model: 'l0-4b', respond: answerWithKey });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      // No model name: the server's models are offered as choices.
      await tryEndpoint(page, server.url, '');
      const choices = page.getByRole('group', { name: 'Models on this server' });
      await choices.waitFor({ timeout: 30_000 });
      expect(await choices.getByRole('button').allInnerTexts()).toEqual(['l0-4b', 'qwen3-4b']);
      expect(server.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
      expect(server.requests.some((r) => r.callIndex !== undefined)).toBe(false); // no generation to test it
      expect(await page.locator('.engine-chip').innerText()).toContain('Replay demo'); // not taken yet
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('dialog', { name: 'Model' }).screenshot({ path: `${SCREENSHOTS}/model-endpoint-choices.png` });
      await choices.getByRole('button', { name: 'l0-4b' }).click();
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      expect(await page.locator('.engine-chip').innerText()).toContain('l0-4b');
      await runTask(page, 'What is six times seven?');
      expect(await waitForAnswer(page)).toContain('forty-two');
      await waitForIdle(page);
      await expect.poll(() => sessionCount(page)).toBe(1);

      // The server goes away. Two runs fail: each shows its error once, in the banner only: not in
      // the status line, no empty cell, and no "error · 0 steps" session left behind.
      await server.close();
      for (let attempt = 0; attempt < 2; attempt++) {
        await runTask(page, `Try ${attempt}.`);
        await waitForIdle(page);
        await page.locator('.banner').waitFor({ state: 'visible' });
        expect(await page.locator('.banner').innerText()).toMatch(/^network: Could not reach .*: nothing answered/);
        expect(await page.locator('.run-status').innerText()).not.toMatch(/nothing answered/);
        expect(await page.locator('.cell').count()).toBe(0);
        expect(await page.locator('.model-panel .error-text').isVisible()).toBe(false);
      }
      await page.screenshot({ path: `${SCREENSHOTS}/endpoint-down.png` });
      await expect.poll(() => sessionCount(page)).toBe(1);
      expect(await page.locator('.session-list').innerText()).not.toMatch(/error · 0 steps/);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('4. a model name the server does not list is shown with the served ones (and can still be used)', async () => {
    const server = await startOpenAIServer({ models: ['l0-4b'], respond: answerWithKey });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url);
      await tryEndpoint(page, server.url, 'l0-4B-typo');
      const choices = page.getByRole('group', { name: 'Models on this server' });
      await choices.waitFor({ timeout: 30_000 });
      expect(await page.locator('.model-panel .endpoint-note').innerText()).toMatch(/does not list “l0-4B-typo”/);
      await choices.getByRole('button', { name: 'Use “l0-4B-typo” anyway' }).click();
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      expect(await page.locator('.engine-chip').innerText()).toContain('l0-4B-typo');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('5. the API key: not kept across reloads (said next to the field and on a 401), "remember on this device" on request', async () => {
    const server = await startOpenAIServer({ requireKey: 'sk-test-123', respond: answerWithKey });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      await page.locator('.engine-chip').click();
      expect(await page.locator('.model-panel .key-note').innerText()).toMatch(/not kept across reloads/);
      const remember = page.getByRole('checkbox', { name: /Remember the key on this device/ });
      expect(await remember.isChecked()).toBe(false);

      // A wrong key: the test of the connection says so, and nothing is taken.
      await tryEndpoint(page, server.url, 'test-model', 'sk-wrong');
      await expect.poll(() => panelError(page).innerText(), { timeout: 30_000 }).toMatch(/^http: The server answered 401/);
      expect(await page.locator('.engine-chip').innerText()).toContain('Replay demo');

      await tryEndpoint(page, server.url, 'test-model', 'sk-test-123');
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      await runTask(page, 'Six times seven?');
      expect(await waitForAnswer(page)).toContain('forty-two');
      await waitForIdle(page);

      // After a reload the key is gone (by design): the 401 says so.
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await expect.poll(() => page.locator('.engine-chip').innerText()).toContain('test-model');
      await runTask(page, 'Six times seven, again?');
      await waitForIdle(page);
      const banner = await page.locator('.banner').innerText();
      expect(banner).toMatch(/401/);
      expect(banner).toMatch(/API keys are not kept across reloads/);
      await page.screenshot({ path: `${SCREENSHOTS}/api-key-401.png` });

      // Remember it on this device: a clear warning, and the key survives the next reload.
      await page.locator('.engine-chip').click();
      await remember.check();
      expect(await page.locator('.model-panel .remember-warning').isVisible()).toBe(true);
      expect(await page.locator('.model-panel .remember-warning').innerText()).toMatch(/unencrypted/);
      await tryEndpoint(page, server.url, 'test-model', 'sk-test-123');
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await runTask(page, 'Six times seven, remembered?');
      expect(await waitForAnswer(page)).toContain('forty-two');
      await waitForIdle(page);
      await page.locator('.engine-chip').click();
      expect(await remember.isChecked()).toBe(true);

      // Unticked and used again: the stored key is deleted.
      await remember.uncheck();
      await tryEndpoint(page, server.url, 'test-model', 'sk-test-123');
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      await runTask(page, 'Six times seven, forgotten?');
      await waitForIdle(page);
      expect(await page.locator('.banner').innerText()).toMatch(/401/);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it('11. a 404 whose server message ends with a full stop reads right (no "..")', async () => {
    const server = await startOpenAIServer({
      respond: () => 'never',
      fault: () => ({ status: 404, body: JSON.stringify({ error: { message: 'The model `test-model` does not exist.' } }) }),
    });
    try {
      const { context, page, errors } = await openApp(app.browser, app.site.url);
      await tryEndpoint(page, server.url, 'test-model');
      await page.getByRole('dialog', { name: 'Model' }).waitFor({ state: 'hidden' });
      await runTask(page, 'Anything.');
      await waitForIdle(page);
      const banner = await page.locator('.banner').innerText();
      expect(banner).toContain('does not exist. Check the base URL');
      expect(banner).not.toContain('..');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });
});
