// Shared steps for the notebook page E2E tests (test/e2e/ui*.test.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newAppPage } from '../support/warm-start-seed';

/** Where UI tests write screenshots: an ignored folder, so `npm test` leaves the tree unchanged.
 * `npm run screenshots` points it at docs/screenshots to refresh the documentation's pictures. */
export const SCREENSHOTS = process.env.L0_SCREENSHOTS_DIR ?? 'test/e2e/screenshots';

/** Opens the app in a fresh context (seeded with the warm-start snapshot unless `coldStart`);
 * collects page errors, and native dialogs (alert, confirm, prompt: the app must never open one;
 * they are dismissed), so tests can assert there were none. */
export async function openApp(
  browser: Browser,
  url: string,
  contextOptions: Parameters<Browser['newContext']>[0] = {},
  opts: { coldStart?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[]; dialogs: string[] }> {
  // A returning visitor's start (Python restored from the warm-start snapshot) unless the test is
  // about the first start: see test/support/warm-start-seed.ts.
  const { context, page } = await newAppPage(browser, url, contextOptions, opts);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message || e.stack || String(e)));
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  await page.goto(url);
  try {
    await page.waitForSelector('.l0-app .task-form', { timeout: 60_000 });
  } catch (e) {
    const body = await page.evaluate(() => document.body.innerHTML.slice(0, 500)).catch((x: Error) => x.message);
    throw new Error(`The app did not render: ${(e as Error).message}\nerrors: ${errors.join(' | ')}\nconsole: ${consoleLines.join(' | ')}\nbody: ${body}`, { cause: e });
  }
  return { context, page, errors, dialogs };
}

export async function waitForPython(page: Page): Promise<void> {
  try {
    await page.waitForFunction(() => /ready|failed/.test(document.querySelector('.python-status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    const status = (await page.locator('.python-status').textContent()) ?? '';
    if (!/ready/.test(status)) throw new Error(status);
  } catch (e) {
    // Say what the page shows instead (an error message, or a load phase it is stuck in).
    const status = await page.evaluate(() => document.querySelector('.python-status')?.textContent ?? '(no status line)').catch((x: Error) => x.message);
    throw new Error(`Python did not become ready: ${(e as Error).message}\nstatus line: ${status}`, { cause: e });
  }
}

/** Runs the bundled replay demo from the first-run card, skips its reading pace, and waits for the answer. */
export async function runDemo(page: Page): Promise<void> {
  await page.getByRole('button', { name: /Watch the demo/ }).click();
  await skipDemo(page);
  await waitForAnswer(page);
}

/** "Skip to the end" of a paced demo (it shows once the demo started). */
export async function skipDemo(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Skip to the end' }).click({ timeout: 60_000 });
}

export async function waitForAnswer(page: Page): Promise<string> {
  await page.waitForSelector('.final-answer:not([hidden])', { timeout: 90_000 });
  return page.locator('.final-answer').innerText();
}

export async function waitForIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.l0-app')?.classList.contains('is-running'), undefined, { timeout: 90_000 });
}

/** Points the app at an OpenAI-compatible server through the model dialog. */
export async function useOpenAIEndpoint(page: Page, baseUrl: string, model: string): Promise<void> {
  await page.locator('.engine-chip').click();
  await page.getByLabel('Base URL').fill(baseUrl);
  await page.getByLabel('Model name').fill(model);
  await page.getByRole('button', { name: 'Use this endpoint' }).click();
  await page.waitForFunction((m) => document.querySelector('.engine-chip')?.textContent?.includes(m), model);
}

export async function runTask(page: Page, task: string): Promise<void> {
  await page.getByLabel('Task', { exact: true }).fill(task);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
}

/** The JS chunks that hold WebLLM's library (its TVM runtime; found by content, names are hashed). */
export function webllmChunks(dist = 'dist'): string[] {
  const dir = join(dist, 'assets');
  return readdirSync(dir).filter((f) => f.endsWith('.js') && readFileSync(join(dir, f), 'utf8').includes('tvmjs'));
}

/** One model turn in NB-Agent form. */
export function turn(think: string, code: string): string {
  return `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
}

/** The text of the last <output> the model was shown (proves observations reach the model). */
export function lastOutput(messages: { role: string; content: string }[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== 'user') continue; // the system prompt mentions <output>...</output> too
    const m = /<output>([\s\S]*?)<\/output>/.exec(messages[i].content);
    if (m) return m[1];
  }
  return undefined;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let axeSource: string | undefined;

/** Runs axe-core in the page; returns serious and critical violations (WCAG 2.x A/AA + best practice). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  )) as { violations: AxeViolation[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
}
