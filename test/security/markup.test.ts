// Model text is inert (issue 16): a scripted model writes markup that tries to load resources,
// restyle or spoof the app, submit forms and clobber globals, into its thinking, code, cell output,
// todos, facts, draft and final answer. In the page (under its CSP) and in the <l0-agent> widget
// (a host page with no CSP: the sanitiser alone), the canary server must get no request, nothing
// outside the allowlist may be rendered, and the layout around the content must not change.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startOpenAIServer } from '../support/openai-server';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';
import { runTask, turn, useOpenAIEndpoint, waitForAnswer, waitForIdle } from '../e2e/ui-helpers';
import { startCanaryServer, type CanaryServer } from './support/canaries';
import { DATA_PNG, findLeaks, hostileMarkup, hostileThought, pythonString } from './support/hostile-markup';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-results/security');

let browser: Browser;
let canary: CanaryServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  canary = await startCanaryServer();
});
afterAll(async () => {
  await browser?.close();
  await canary?.close();
  await Promise.all(closers.map((c) => c()));
});

/** The model's turns: every notepad part, the output and the answer carry the hostile markup. */
function hostileTurns(markup: string): string[] {
  return [
    turn(`Plan. ${hostileThought(canary.url)}`, `${pythonString(markup)}\nnotepad.add_todo([H, 'second todo'])\nnotepad.add_facts([H, 'second fact'])\nnotepad.write_draft(H)\nprint(H)`),
    turn('Answer.', `${pythonString(markup)}\nsubmit_final_answer(H)`),
  ];
}

/**
 * Resources can only be proved absent by waiting: a few animation frames plus a second for any
 * request the renderer queued (images, preloads, refreshes) to reach the canary server.
 */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(1000);
}

/**
 * CSP violations that are not DOMPurify's own parse: it parses the dirty HTML in an inert document
 * that inherits the page's CSP, which reports the inline styles, handlers and <base> it refuses
 * there (the events are dispatched later, at nodes that by then sit sanitised in the page). None of
 * that is applied or loaded. A violation of any other kind (img-src, font-src, media-src, form-action,
 * a stylesheet URL...) would mean rendered markup tried to load something.
 */
function resourceViolations(violations: string[]): string[] {
  return violations.filter((v) => !/^(?:style-src-attr|style-src-elem|script-src-attr) inline /.test(v) && !/^base-uri \S+ target=#document live=false$/.test(v));
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Bounding boxes of the given elements, and whether each is the topmost element at its centre. */
function layout(page: Page, selectors: string[], shadowHost?: string): Promise<Record<string, { box: Box | null; onTop: boolean; visible: boolean }>> {
  return page.evaluate(
    ({ selectors, shadowHost }) => {
      const scope: Document | ShadowRoot = shadowHost ? document.querySelector(shadowHost)!.shadowRoot! : document;
      const out: Record<string, { box: Box | null; onTop: boolean; visible: boolean }> = {};
      for (const sel of selectors) {
        const el = scope.querySelector(sel);
        if (!el) {
          out[sel] = { box: null, onTop: false, visible: false };
          continue;
        }
        const r = el.getBoundingClientRect();
        const top = scope.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        const cs = getComputedStyle(el);
        out[sel] = {
          box: { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) },
          onTop: !!top && (top === el || el.contains(top)),
          visible: cs.display !== 'none' && cs.visibility === 'visible' && Number(cs.opacity) > 0,
        };
      }
      return out;
    },
    { selectors, shadowHost },
  );
}

/** What the page as a whole looks like: styles, head, URL, globals a clobbering id or name would shadow. */
function pageState(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => ({
    url: location.href,
    styleSheets: document.styleSheets.length,
    head: [...document.head.children].map((e) => e.outerHTML.slice(0, 80)),
    bodyBackground: getComputedStyle(document.body).backgroundImage,
    bodyFont: getComputedStyle(document.body).fontFamily,
    cookieIsString: typeof document.cookie === 'string',
    getElementByIdNative: /\[native code\]/.test(String(document.getElementById)),
    base: document.baseURI,
    fixedOutsideDialogs: [...document.querySelectorAll('body *')].filter((e) => getComputedStyle(e).position === 'fixed' && !e.closest('dialog')).length,
  }));
}

/** Checks the rendered hostile content says what it is: links to click, text as text. */
function renderedFacts(page: Page, rootSelector: string, shadowHost?: string) {
  return page.evaluate(
    ({ rootSelector, shadowHost, dataPng }) => {
      const scope: ParentNode = shadowHost ? document.querySelector(shadowHost)!.shadowRoot! : document;
      const root = scope.querySelector(rootSelector)!;
      const answer = root.querySelector('.answer .markdown, .answer-body')!;
      const remote = [...answer.querySelectorAll('a.remote-image')].map((a) => a.textContent ?? '');
      const plain = answer.querySelector('a[href$="/plain-link"]');
      return {
        remoteImageLinks: remote,
        dataImageKept: !!answer.querySelector(`img[src="${dataPng}"]`),
        plainLink: plain ? { target: plain.getAttribute('target'), rel: plain.getAttribute('rel') } : null,
        taskMarks: (answer.textContent ?? '').includes('☐ task list item') && (answer.textContent ?? '').includes('☑ done item'),
        // Each shows the markup as text (the first 2,000 characters of an item, 3,000 of the output).
        factAsText: (root.querySelector('.notepad .facts li')?.textContent ?? '').includes('<style>@import'),
        todoAsText: (root.querySelector('.notepad .todos li')?.textContent ?? '').includes('![secret=42]('),
        outputAsText: (root.querySelector('.cell-output')?.textContent ?? '').includes('<iframe src='),
        thinkAsText: (root.querySelector('.think-text')?.textContent ?? '').includes('<iframe'),
        draftHeading: root.querySelector('.draft h1')?.textContent ?? null,
      };
    },
    { rootSelector, shadowHost, dataPng: DATA_PNG },
  );
}

function expectInertRendering(facts: Awaited<ReturnType<typeof renderedFacts>>, canaryHost: string): void {
  expect(facts.remoteImageLinks.length).toBeGreaterThanOrEqual(3);
  expect(facts.remoteImageLinks[0]).toBe(`Image “secret=42” from ${canaryHost} — click to open`);
  expect(facts.dataImageKept).toBe(true);
  expect(facts.plainLink).toEqual({ target: '_blank', rel: 'noopener noreferrer' });
  expect(facts.taskMarks).toBe(true);
  expect(facts).toMatchObject({ factAsText: true, todoAsText: true, outputAsText: true, thinkAsText: true, draftHeading: 'Hostile answer' });
}

describe('model markup in the page', () => {
  it('loads nothing, renders only allowed elements, and leaves the task box and Run where they were (live and reopened)', async () => {
    const site = await startStaticServer({ root: 'dist' });
    closers.push(() => site.close());
    const markup = hostileMarkup(canary.url);
    // 'Say hello.' is the control run: an answered session changes the page by itself (the follow-up
    // box appears, the attach control moves there), so the layout to keep is the one it leaves.
    let hostileCalls = 0;
    const model = await startOpenAIServer({
      respond: (messages) => {
        if (/Say hello/.test(String(messages[1]?.content))) return turn('Greet.', "submit_final_answer('hello')");
        return hostileTurns(markup)[Math.min(hostileCalls++, 1)]!;
      },
    });
    closers.push(() => model.close());

    const { context, page } = await newAppPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const violations: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => {
        const t = e.target as Node;
        (window as any).__cspViolation(`${e.violatedDirective} ${e.blockedURI} target=${t.nodeName} live=${t.isConnected && t.ownerDocument === document}`);
      }),
    );
    await page.goto(site.url);
    await page.waitForSelector('.l0-app .task-form');
    await useOpenAIEndpoint(page, model.url, 'test-model');

    const watched = ['.run-button', '#l0-task', '.topbar', '.engine-chip', '.task-form'];
    await runTask(page, 'Say hello.');
    expect(await waitForAnswer(page)).toContain('hello');
    await waitForIdle(page);
    await page.evaluate(() => document.getElementById('l0-main')!.scrollTo(0, 0));
    const before = await layout(page, watched);
    const stateBefore = await pageState(page);
    for (const sel of watched) expect(before[sel]).toMatchObject({ onTop: true, visible: true });

    await runTask(page, 'Summarise the page.');
    await waitForAnswer(page);
    await waitForIdle(page);
    await page.waitForSelector('.notepad .draft h1');
    await settle(page);
    await page.screenshot({ path: join(SHOTS, 'markup-page.png'), fullPage: false });
    await page.locator('.final-answer').screenshot({ path: join(SHOTS, 'markup-page-answer.png') });

    expect(canary.requests).toEqual([]);
    expect(resourceViolations(violations)).toEqual([]); // the sanitiser left nothing for the CSP to block
    expect(violations.length).toBeGreaterThan(0); // the listener works (see resourceViolations)
    expect(await findLeaks(page, '.l0-app')).toEqual([]);
    expectInertRendering(await renderedFacts(page, '.l0-app'), new URL(canary.url).host);
    expect(await page.locator('.status-text').innerText()).toMatch(/^Answered in 2 steps/);

    // The notebook column followed the answer down; back at the top, nothing moved or is covered.
    await page.evaluate(() => document.getElementById('l0-main')!.scrollTo(0, 0));
    expect(await layout(page, watched)).toEqual(before);
    expect(await pageState(page)).toEqual(stateBefore);
    await page.locator('.run-button').click({ trial: true, timeout: 2000 }); // clickable: nothing on top of it

    // Reopened from the sessions list after a reload: the saved session renders just as inertly.
    await page.reload();
    await page.locator('.session-list li[data-session-id] .session-open').first().click();
    await page.waitForSelector('.final-answer:not([hidden]) h1');
    await page.waitForSelector('.notepad .draft h1');
    await settle(page);
    expect(canary.requests).toEqual([]);
    expect(resourceViolations(violations)).toEqual([]);
    expect(await findLeaks(page, '.l0-app')).toEqual([]);
    expectInertRendering(await renderedFacts(page, '.l0-app'), new URL(canary.url).host);
    await page.evaluate(() => document.getElementById('l0-main')!.scrollTo(0, 0));
    expect(await layout(page, watched)).toEqual(before);
    expect(errors).toEqual([]);
    await context.close();
  });
});

/** The host page: no CSP, its own content around the widget, the widget mounted with a replay model. */
function hostPage(turns: string[], namespace = 'markup'): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<style>body { margin: 0; font: 16px serif; } #slot { width: 480px; height: 640px; margin: 20px; }</style></head>
<body><h1 id="host-title">Host site</h1><button id="host-button">Host button</button><div id="slot"></div><p id="host-after">Host text after the widget</p>
<script type="module">
import { mount } from '/l0/embed.js';
window.agent = mount(document.getElementById('slot'), { namespace: '${namespace}', engine: { kind: 'replay', turns: ${JSON.stringify(turns)} }, task: 'Summarise the page.' });
window.ready = true;
</script></body></html>`;
}

describe('model markup in the <l0-agent> widget on a host page without a CSP', () => {
  beforeAll(() => {
    // dist-lib/: the library build embedders get (made once for all E2E files by the global setup).
    if (!existsSync(join(ROOT, 'dist-lib/embed.js'))) throw new Error('the library build is incomplete');
  }, 180_000);

  it('loads nothing, renders only allowed elements, and changes neither the host page nor the widget frame', async () => {
    const markup = hostileMarkup(canary.url);
    const html = hostPage(hostileTurns(markup));
    // The control: the same widget answering without markup. An answered widget changes by itself
    // (the follow-up box appears, the attach control moves there): its layout is the one to keep.
    const control = hostPage([turn('Answer.', "submit_final_answer('hello')")], 'markup-control');
    const server: StaticServer = await startStaticServer({
      root: join(ROOT, 'dist-lib'),
      basePath: '/l0/',
      isolation: false,
      handle: (req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path !== '/host.html' && path !== '/control.html') return false;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(path === '/host.html' ? html : control);
        return true;
      },
    });
    closers.push(() => server.close());
    const widgetWatched = ['button.run', 'textarea.task', 'header', 'form.ask'];
    const { context: controlContext, page: controlPage } = await newAppPage(browser, server.origin + '/control.html', { viewport: { width: 1280, height: 900 } });
    await controlPage.goto(server.origin + '/control.html');
    await controlPage.waitForFunction(() => (window as any).ready === true);
    expect(await controlPage.evaluate(() => (window as any).agent.run().then((t: { status: string }) => t.status))).toBe('answered');
    await controlPage.evaluate(() => document.querySelector('#slot')!.shadowRoot!.querySelector('.body')!.scrollTo(0, 0));
    const widgetAnswered = await layout(controlPage, widgetWatched, '#slot');
    await controlContext.close();

    const { context, page } = await newAppPage(browser, server.origin + '/host.html', { viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.origin + '/host.html');
    await page.waitForFunction(() => (window as any).ready === true);

    const hostWatched = ['#host-title', '#host-button', '#host-after', '#slot'];
    const hostBefore = await layout(page, hostWatched.filter((s) => s !== '#slot'));
    const slotBefore = await page.locator('#slot').boundingBox();
    const widgetBefore = await layout(page, widgetWatched, '#slot');
    const stateBefore = await pageState(page);
    for (const sel of widgetWatched) expect(widgetBefore[sel]).toMatchObject({ onTop: true, visible: true });

    const status = await page.evaluate(() => (window as any).agent.run().then((t: { status: string }) => t.status));
    expect(status).toBe('answered');
    await page.evaluate(() => ((document.querySelector('#slot')!.shadowRoot!.querySelector('details.notepad-box') as HTMLDetailsElement).open = true));
    await settle(page);
    await page.screenshot({ path: join(SHOTS, 'markup-widget.png') });

    expect(canary.requests).toEqual([]);
    expect(await findLeaks(page, '.l0-embed', '#slot')).toEqual([]);
    expectInertRendering(await renderedFacts(page, '.l0-embed', '#slot'), new URL(canary.url).host);

    // The host page around the widget: same boxes, still on top and clickable, same styles and globals.
    expect(await layout(page, hostWatched.filter((s) => s !== '#slot'))).toEqual(hostBefore);
    expect(await page.locator('#slot').boundingBox()).toEqual(slotBefore);
    expect(await pageState(page)).toEqual(stateBefore);
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('slot')!).position)).toBe('static');
    await page.locator('#host-button').click({ trial: true, timeout: 2000 });
    // Inside the widget: the task box and Run are where an answer without markup leaves them
    // (scrolled back to the top).
    await page.evaluate(() => document.querySelector('#slot')!.shadowRoot!.querySelector('.body')!.scrollTo(0, 0));
    expect(await layout(page, widgetWatched, '#slot')).toEqual(widgetAnswered);
    expect(errors).toEqual([]);
    await context.close();
  });
});
