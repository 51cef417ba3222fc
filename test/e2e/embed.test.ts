// E2E: the embeddable agent (issue 9). Builds the library (dist-lib/), serves the example docs
// site with the library under /l0/ from a plain static server (no COOP/COEP unless asked), and
// drives it in Chromium: replay runs that really call the corpus tools in Pyodide, host CSS that
// attacks every element, two widgets side by side, and dispose() terminating the workers.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startOpenAIServer } from '../support/openai-server';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';
import { turn } from './ui-helpers';

const ROOT = resolve(import.meta.dirname, '../..');
const LIB = join(ROOT, 'dist-lib');
const SITE = join(ROOT, 'examples/docs-site');
const SHOTS = join(ROOT, 'test-results/embed');

const MIME: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.zip': 'application/zip', '.html': 'text/html' };

/** Test-only host pages, served from memory under /hosts/. */
const HOST_PAGES: Record<string, string> = {};

function isolationHeaders(isolated: boolean): Record<string, string> {
  return isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
}

/** Serves /l0/** from dist-lib/ and /hosts/* from HOST_PAGES; the docs site is the server root. */
function libHandler(isolated: boolean) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/hosts/')) {
      const html = HOST_PAGES[path.slice('/hosts/'.length)];
      if (html === undefined) return false;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...isolationHeaders(isolated) }).end(html);
      return true;
    }
    if (!path.startsWith('/l0/')) return false;
    const file = normalize(join(LIB, decodeURIComponent(path.slice(4))));
    const st = file.startsWith(LIB) ? await stat(file).catch(() => undefined) : undefined;
    if (!st?.isFile()) {
      res.writeHead(404).end('not found');
      return true;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', ...isolationHeaders(isolated) }).end(await readFile(file));
    return true;
  };
}

let browser: Browser;
const servers: { close(): Promise<void> }[] = [];

async function serve(isolated: boolean): Promise<StaticServer> {
  const s = await startStaticServer({ root: SITE, isolation: isolated, handle: libHandler(isolated) });
  servers.push(s);
  return s;
}

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const { context, page } = await newAppPage(browser, url, { viewport: { width: 1280, height: 900 } });
  // Closing the page ends its context; at the file's end, closing the browser closes both first.
  page.once('close', () => void context.close().catch(() => undefined));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/** Text of a selector inside the shadow root of the n-th widget. */
function shadowText(page: Page, selector: string, index = 0): Promise<string> {
  return page.evaluate(
    ([sel, i]) => {
      const host = document.querySelectorAll('l0-agent, .agent-host')[i as number];
      return host?.shadowRoot?.querySelector(sel as string)?.textContent ?? '';
    },
    [selector, index] as const,
  );
}

beforeAll(() => {
  // dist-lib/: the library build embedders get (made once for all E2E files by the global setup).
  if (!existsSync(join(LIB, 'l0-agent.js')) || !existsSync(join(LIB, 'pyodide/pyodide.asm.wasm'))) throw new Error('the library build is incomplete');
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

describe('the example docs site', () => {
  it('ships a corpus.json that matches its pages', async () => {
    const fresh = execFileSync('node', ['--input-type=module', '-e', "const m = await import('./examples/docs-site/build-corpus.mjs'); process.stdout.write(m.corpusJson(m.buildCorpus()));"], { cwd: ROOT, encoding: 'utf8' });
    expect(fresh).toBe(await readFile(join(SITE, 'corpus.json'), 'utf8'));
    const docs = JSON.parse(fresh) as { id: string; title: string; text: string; url: string }[];
    expect(docs.length).toBeGreaterThan(20);
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
  });

  for (const isolated of [false, true]) {
    it(`answers from its own pages with a replay run (${isolated ? 'with' : 'without'} COOP/COEP)`, async () => {
      const server = await serve(isolated);
      const { page, errors } = await openPage(server.url + 'how-it-works.html');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
      await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
      await page.evaluate(() => {
        (window as unknown as { answers: string[] }).answers = [];
        document.querySelector('l0-agent')!.addEventListener('l0-answer', (e) => (window as unknown as { answers: string[] }).answers.push((e as CustomEvent).detail.answer));
      });

      // The reader clicks Run (the task comes from the element's task attribute).
      await page.locator('l0-agent button.run').click();
      await page.locator('l0-agent .answer').waitFor({ state: 'visible', timeout: 90_000 });

      const answer = await shadowText(page, '.answer');
      expect(answer).toContain('terminates the Python worker');
      // The link comes from read_document's result, so the corpus tool really ran.
      const href = await page.locator('l0-agent .answer a').getAttribute('href');
      expect(href).toBe('embedding.html#static-hosts-and-coop-coep');
      const tools = await page.locator('l0-agent ul.tool-calls li').allTextContents();
      expect(tools.some((t) => t.startsWith('search_corpus(') && t.includes('✓'))).toBe(true);
      expect(tools.some((t) => t.startsWith('read_document(') && t.includes('✓'))).toBe(true);
      // The search hits were printed by Python: the corpus is the site's own pages.
      expect(await shadowText(page, '.cell-output')).toContain('embedding#static-hosts-and-coop-coep');
      expect(await shadowText(page, '.status')).toBe('Answered in 3 steps.');
      expect(await page.evaluate(() => (window as unknown as { answers: string[] }).answers.length)).toBe(1);
      // The notepad panel shows the plan with every item done.
      expect(await page.locator('l0-agent .notepad li.done').count()).toBe(3);

      // Runtime and workers came from the library's folder, never from the page's.
      const paths = server.requests.map((r) => new URL(r, server.origin).pathname);
      expect(paths).toContain('/l0/pyodide/pyodide.asm.wasm');
      expect(paths.some((p) => p.startsWith('/l0/assets/pyodide.worker'))).toBe(true);
      expect(paths.filter((p) => p.includes('pyodide') && !p.startsWith('/l0/'))).toEqual([]);
      expect(errors).toEqual([]);

      await page.locator('l0-agent details.notepad-box summary').click();
      await page.screenshot({ path: join(SHOTS, `docs-site-answered${isolated ? '-isolated' : ''}.png`) });

      // Accessibility of the page and the widget inside its shadow root (axe-core walks open shadow roots).
      await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
      const serious = (probe: boolean) =>
        page.evaluate(async (withProbe) => {
          const axe = (window as unknown as { axe: { run(ctx: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
          // The probe (an image without alt text inside the shadow root) proves axe looks inside it.
          const probeEl = document.createElement('img');
          if (withProbe) document.querySelector('l0-agent')!.shadowRoot!.querySelector('.body')!.append(probeEl);
          const r = await axe.run(document);
          probeEl.remove();
          return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
        }, probe);
      expect(await serious(true)).toContain('image-alt');
      expect(await serious(false)).toEqual([]);
      await page.close();
    });
  }
});

/** A host page with two widgets mounted from JS (/l0/embed.js), with different tools and namespaces. */
HOST_PAGES['two.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>two agents</title>
<style>body{margin:0;display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px}.agent-host{height:600px}</style></head>
<body><div class="agent-host" id="a"></div><div class="agent-host" id="b"></div>
<script type="module">
import { mount } from '/l0/embed.js';
const turnsA = [
  "<think>Plan, keep a variable and a fact, and call the host tool.</think>\\n<code>\\nsecret = 'from-A'\\nnotepad.add_facts(['fact of A'])\\nprint(host_lookup('alpha'))\\n</code><end_code>",
  "<think>Answer.</think>\\n<code>\\nsubmit_final_answer('A says ' + host_lookup('alpha') + ', secret=' + secret)\\n</code><end_code>",
];
const turnsB = [
  "<think>Is A's variable visible here?</think>\\n<code>\\nseen = globals().get('secret', 'missing')\\nnotepad.add_facts(['fact of B'])\\nhits = search_corpus('widgets', k=2)\\nprint(seen, [h['title'] for h in hits])\\n</code><end_code>",
  "<think>Answer.</think>\\n<code>\\nsubmit_final_answer('B sees secret=' + seen + ' and ' + hits[0]['title'])\\n</code><end_code>",
];
window.agents = {
  a: mount(document.getElementById('a'), {
    engine: { kind: 'replay', turns: turnsA }, namespace: 'test-a', title: 'Agent A',
    tools: [{ name: 'host_lookup', signature: 'host_lookup(key: str) -> str', params: ['key'], description: 'Looks a key up on the host page.',
              example: "host_lookup('alpha')", run: async ({ key }) => 'host value of ' + key }],
  }),
  b: mount(document.getElementById('b'), {
    engine: { kind: 'replay', turns: turnsB }, namespace: 'test-b', title: 'Agent B',
    corpus: { search: async (query, k) => [{ id: 'h1', title: 'Host search hit for ' + query, snippet: 'from the host site search' }].slice(0, k) },
  }),
};
window.ready = true;
</script></body></html>`;

/** Counts the page's dedicated workers through CDP (Target domain), independent of Playwright's bookkeeping. */
async function workerTargets(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { type: string }[] };
  await cdp.detach();
  return targetInfos.filter((t) => t.type === 'worker').length;
}

describe('embedding in a host page', () => {
  it('two widgets keep separate sandboxes, notepads, tools and databases; dispose() ends their workers', async () => {
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/two.html');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    expect(page.workers().length).toBe(0); // nothing loads before the first run

    const [a, b] = await page.evaluate(async () => {
      const w = window as unknown as { agents: Record<'a' | 'b', { run(t: string): Promise<{ status: string; finalAnswer?: string }> }> };
      const runs = await Promise.all([w.agents.a.run('Task for A'), w.agents.b.run('Task for B')]);
      return runs.map((t) => ({ status: t.status, answer: t.finalAnswer }));
    });
    expect(a).toEqual({ status: 'answered', answer: 'A says host value of alpha, secret=from-A' });
    // B's Python never saw A's variable, and its search_corpus is the host's search function.
    expect(b).toEqual({ status: 'answered', answer: 'B sees secret=missing and Host search hit for widgets' });

    // Separate notepads.
    expect(await shadowText(page, '.notepad .facts', 0)).toBe('fact of A');
    expect(await shadowText(page, '.notepad .facts', 1)).toBe('fact of B');

    // Separate databases, each holding only its own session.
    const dbs = await page.evaluate(async () => {
      const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('l0-browser:'));
      const tasks: Record<string, string[]> = {};
      for (const name of names) {
        const db = await new Promise<IDBDatabase>((ok, ko) => {
          const r = indexedDB.open(name);
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
        const values = await new Promise<unknown[]>((ok, ko) => {
          const r = db.transaction(db.objectStoreNames[0]!).objectStore(db.objectStoreNames[0]!).getAll();
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
        db.close();
        tasks[name] = [...new Set(values.flatMap((v) => (v && typeof v === 'object' && typeof (v as { task?: unknown }).task === 'string' ? [(v as { task: string }).task] : [])))];
      }
      return tasks;
    });
    expect(dbs).toEqual({ 'l0-browser:test-a': ['Task for A'], 'l0-browser:test-b': ['Task for B'] });

    // Two Python workers, one per widget.
    expect(page.workers().length).toBe(2);
    expect(await workerTargets(page)).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'two-widgets.png') });

    await page.evaluate(() => (window as unknown as { agents: { a: { dispose(): Promise<void> } } }).agents.a.dispose());
    await expect.poll(() => workerTargets(page), { timeout: 10_000 }).toBe(1);
    // B still works after A is gone.
    expect(await shadowText(page, '.answer', 1)).toContain('B sees secret=missing');
    await page.evaluate(() => (window as unknown as { agents: { b: { dispose(): Promise<void> } } }).agents.b.dispose());
    await expect.poll(() => workerTargets(page), { timeout: 10_000 }).toBe(0);
    expect(page.workers().length).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps only the last `keepSessions` runs in the host site\'s IndexedDB, and clearHistory() deletes them', async () => {
    HOST_PAGES['retention.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>retention</title></head>
<body><div id="w" style="height:480px"></div><script type="module">
import { mount } from '/l0/embed.js';
const answer = "<think>Answer.</think>\\n<code>\\nsubmit_final_answer('done')\\n</code><end_code>";
window.agent = mount(document.getElementById('w'), { namespace: 'retention', keepSessions: 2, engine: { kind: 'replay', turns: [answer, answer, answer] } });
window.ready = true;
</script></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/retention.html');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    type W = { agent: { run(t: string): Promise<{ status: string }>; clearHistory(): Promise<void> } };
    const statuses = await page.evaluate(async () => {
      const { agent } = window as unknown as W;
      const out: string[] = [];
      for (const task of ['first task', 'second task', 'third task']) out.push((await agent.run(task)).status);
      return out;
    });
    expect(statuses).toEqual(['answered', 'answered', 'answered']);
    const savedTasks = () =>
      page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((ok, ko) => {
          const r = indexedDB.open('l0-browser:retention');
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
        const entries = await new Promise<[unknown, unknown][]>((ok, ko) => {
          const store = db.transaction(db.objectStoreNames[0]!).objectStore(db.objectStoreNames[0]!);
          const keys = store.getAllKeys();
          const values = store.getAll();
          values.onsuccess = () => ok(keys.result.map((k, i) => [k, values.result[i]]));
          values.onerror = () => ko(values.error);
        });
        db.close();
        return entries.filter(([k]) => Array.isArray(k) && k[0] === 'meta').map(([, v]) => (v as { task: string }).task).sort();
      });
    // The oldest run was deleted when the third one ended.
    await expect.poll(savedTasks).toEqual(['second task', 'third task']);
    await page.evaluate(() => (window as unknown as W).agent.clearHistory());
    expect(await savedTasks()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is styled on a host page whose CSP refuses inline styles (style-src \'self\')', async () => {
    // A <style> element inside the shadow root would be refused by such a host; the widget adopts a
    // constructed stylesheet instead, which the CSP does not block.
    HOST_PAGES['strict-csp.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:; style-src 'self'">
<title>strict</title><script type="module" src="/l0/l0-agent.js"></script></head>
<body><l0-agent engine="replay" script-url="/demo-replay.json" namespace="strict-csp"></l0-agent></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/strict-csp.html');
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text()) && /style/i.test(m.text())) violations.push(m.text());
    });
    await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
    const look = await page.evaluate(() => {
      const root = document.querySelector('l0-agent')!.shadowRoot!;
      const run = getComputedStyle(root.querySelector('button.run')!);
      const box = getComputedStyle(root.querySelector('.l0-embed')!);
      return { runBackground: run.backgroundColor, boxDisplay: box.display, sheets: root.adoptedStyleSheets.length };
    });
    // Unstyled, the Run button would have the browser's default grey and the box no flex layout.
    expect(look.sheets).toBe(1);
    expect(look.runBackground).not.toBe('rgb(239, 239, 239)');
    expect(look.runBackground).not.toBe('rgba(0, 0, 0, 0)');
    expect(look.boxDisplay).toBe('flex');
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('removing <l0-agent> from the page disposes it and terminates its worker', async () => {
    const server = await serve(false);
    const { page } = await openPage(server.url + 'index.html');
    await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
    await page.evaluate(() => document.querySelector('l0-agent')!.run());
    expect(await workerTargets(page)).toBe(1);
    await page.evaluate(() => document.querySelector('l0-agent')!.remove());
    await expect.poll(() => workerTargets(page), { timeout: 10_000 }).toBe(0);
    await page.close();
  });
});

/** The same widget with and without a hostile host stylesheet. */
function stylePage(hostile: boolean): string {
  const attack = hostile
    ? `<style>
* { font: italic 900 31px/3.7 "Comic Sans MS", cursive !important; color: #f0f !important; background: #0f0 !important;
    letter-spacing: 7px !important; word-spacing: 9px !important; text-transform: uppercase !important; text-align: right !important;
    text-shadow: 2px 2px red !important; box-sizing: content-box !important; visibility: visible !important;
    direction: rtl !important; white-space: nowrap !important; cursor: wait !important; text-indent: 40px !important; }
div, button, textarea, pre, section, article, details, summary, ul, li, header, form, p, span { margin: 13px !important; padding: 17px !important;
    border: 5px dashed red !important; display: block !important; }
</style>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>styles</title>${attack}
<script type="module" src="/l0/l0-agent.js"></script></head>
<body style="margin:0"><div id="slot" style="width:420px;height:640px"><l0-agent engine="replay" script-url="/demo-replay.json" corpus-url="/corpus.json" namespace="style-${hostile}" heading="Ask these docs" task="How does stopping a run work on a static host without COOP/COEP?" style="height:640px"></l0-agent></div>
<p id="host-text">Host text</p><button id="host-button">Host button</button></body></html>`;
}
HOST_PAGES['plain.html'] = stylePage(false);
HOST_PAGES['hostile.html'] = stylePage(true);
HOST_PAGES['no-widget.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>no widget</title></head>
<body style="margin:0"><div id="slot" style="width:420px;height:640px"></div><p id="host-text">Host text</p><button id="host-button">Host button</button></body></html>`;

const PROPS = ['font-family', 'font-size', 'font-style', 'font-weight', 'line-height', 'color', 'background-color', 'letter-spacing', 'word-spacing', 'text-transform', 'text-align', 'text-shadow', 'direction', 'white-space', 'text-indent', 'margin-top', 'padding-left', 'border-top-style', 'border-top-width', 'display', 'box-sizing', 'width', 'height'];

/** Computed styles of every element in the widget's shadow root, in document order. */
function widgetStyles(page: Page): Promise<string[][]> {
  return page.evaluate((props) => {
    const root = document.querySelector('l0-agent')!.shadowRoot!;
    return [...root.querySelectorAll('*')].filter((el) => el.tagName !== 'STYLE').map((el) => {
      const cs = getComputedStyle(el);
      return [el.tagName + '.' + el.className, ...props.map((p) => cs.getPropertyValue(p))];
    });
  }, PROPS);
}

function hostStyles(page: Page): Promise<string[][]> {
  return page.evaluate((props) => ['body', '#host-text', '#host-button'].map((sel) => {
    const cs = getComputedStyle(document.querySelector(sel)!);
    return [sel, ...props.filter((p) => p !== 'width' && p !== 'height').map((p) => cs.getPropertyValue(p))];
  }), PROPS);
}

/** Differing pixels allowed between two renderings of the widget (anti-aliasing of edges). */
const MAX_EDGE_PIXELS = 40;

/** How many pixels differ between two PNG screenshots of the same size (decoded in `page`). */
function differingPixels(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(async ([a, b]) => {
    const decode = async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, canvas.width, canvas.height);
    };
    const [x, y] = await Promise.all([decode(a), decode(b)]);
    if (x.width !== y.width || x.height !== y.height) return Number.POSITIVE_INFINITY;
    let n = 0;
    for (let i = 0; i < x.data.length; i += 4) {
      if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2] || x.data[i + 3] !== y.data[i + 3]) n++;
    }
    return n;
  }, [a.toString('base64'), b.toString('base64')] as const);
}

describe('style isolation', () => {
  it('host CSS that styles * aggressively does not change the widget, and the widget does not change the host', async () => {
    const server = await serve(false);
    const styles: Record<string, string[][]> = {};
    const shots: Record<string, Buffer> = {};
    const host: Record<string, string[][]> = {};
    for (const name of ['plain', 'hostile']) {
      const { page, errors } = await openPage(`${server.origin}/hosts/${name}.html`);
      await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
      await page.evaluate(() => document.querySelector('l0-agent')!.run());
      await page.locator('l0-agent .answer').waitFor({ state: 'visible' });
      await page.locator('l0-agent details.notepad-box summary').click();
      // Freeze the live parts (timers, and the token rates measured from them) so both renderings
      // are comparable.
      await page.evaluate(() => document.querySelector('l0-agent')!.shadowRoot!.querySelectorAll('.cell-timing, .cell-stats').forEach((e) => (e.textContent = '')));
      styles[name] = await widgetStyles(page);
      // The widget's box, inset past its rounded corners (where the host's own background shows).
      const box = (await page.locator('l0-agent .l0-embed').boundingBox())!;
      // Once the rendering has settled (the scroll to the answer, the notepad opening): two equal
      // frames in a row. One of the two pages was caught mid-way on a busy machine.
      const clip = { x: box.x + 12, y: box.y + 12, width: box.width - 24, height: box.height - 24 };
      let shot = await page.screenshot({ clip });
      for (let i = 0; i < 30; i++) {
        await page.waitForTimeout(100);
        const next = await page.screenshot({ clip });
        if (next.equals(shot)) break;
        shot = next;
      }
      shots[name] = shot;
      await page.screenshot({ path: join(SHOTS, `style-${name}.png`) });
      if (name === 'plain') host[name] = await hostStyles(page);
      expect(errors).toEqual([]);
      await page.close();
    }
    expect(styles.hostile!.length).toBeGreaterThan(40);
    expect(styles.hostile).toEqual(styles.plain);
    const { page } = await openPage(`${server.origin}/hosts/no-widget.html`);
    host['none'] = await hostStyles(page);
    // The hostile stylesheet moves and paints the host element's own box (that is the host's to
    // style), but the widget's pixels are the same, up to a few anti-aliased edge pixels: one
    // clean-clone run on a busy machine had 7 of 243,000 differ, along one border row; any style
    // that reached the widget would change thousands (its fonts, colours, margins).
    expect(await differingPixels(page, shots.plain!, shots.hostile!)).toBeLessThanOrEqual(MAX_EDGE_PIXELS);
    await page.close();
    expect(host.plain).toEqual(host.none);
  });
});

describe('engines and stopping', () => {
  it('<l0-agent engine="openai"> drives the run from a local OpenAI-compatible server that reads the observations', async () => {
    const model = await startOpenAIServer({
      model: 'docs-model',
      respond: (messages, req) => {
        if (req.callIndex === 0) {
          return "<think>Search the docs.</think>\n<code>\nhits = search_corpus('notepad memory limit', k=3)\nprint(hits[0]['id'])\n</code><end_code>";
        }
        // Answer with the id the cell printed: proves the observation reached the model.
        const last = messages[messages.length - 1]!.content;
        const id = /<output>\s*(\S+)/.exec(last)?.[1] ?? 'nothing';
        return `<think>Answer with the best section.</think>\n<code>\nsubmit_final_answer('See ${id}')\n</code><end_code>`;
      },
    });
    servers.push(model);
    HOST_PAGES['openai.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>openai</title>
<script type="module" src="/l0/l0-agent.js"></script></head><body>
<l0-agent engine="openai" base-url="${model.url}" model="docs-model" corpus-url="/corpus.json" max-steps="4" namespace="openai" theme="dark"
  task="Why does the notepad matter?" style="height:560px;width:480px"></l0-agent></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/openai.html');
    await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
    const traj = await page.evaluate(() => document.querySelector('l0-agent')!.run().then((t) => ({ status: t.status, answer: t.finalAnswer, model: t.modelId })));
    expect(traj.status).toBe('answered');
    // The model answered with the section id that search_corpus returned in the browser.
    expect(traj.answer).toMatch(/^See [a-z-]+#[a-z-]+$/);
    expect(await shadowText(page, '.cell-output')).toContain(traj.answer!.slice(4));
    expect(await shadowText(page, '.answer')).toContain(traj.answer!);
    const chat = model.requests.filter((r) => r.path.endsWith('/chat/completions') && r.method === 'POST');
    expect(chat.length).toBe(2);
    expect(chat[0]!.body?.model).toBe('docs-model');
    // The system prompt documents the corpus tools the page configured.
    const system = (chat[0]!.body?.messages as { role: string; content: string }[])[0]!.content;
    expect(system).toContain('search_corpus(query: str, k: int = 5)');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'openai-dark.png') });
    await page.close();
  });

  it('Stop ends a runaway cell on a host without COOP/COEP by restarting the worker, and the next run works', async () => {
    // The model answers each question on its own: the first one loops, the second looks for the
    // first one's variable (a replay would start both runs from its first turn, looping again).
    const LOOP = 'Loop forever.';
    const model = await startOpenAIServer({
      respond: (messages) =>
        messages.some((m) => m.role === 'user' && m.content.includes(LOOP))
          ? turn('Loop forever.', 'kept = 41\nwhile True:\n    pass')
          : turn('Is the old variable still there?', "submit_final_answer('after stop: ' + str(globals().get('kept', 'gone')))"),
    });
    servers.push(model);
    HOST_PAGES['stop.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stop</title></head>
<body><div id="w" style="height:560px;width:480px"></div><script type="module">
import { mount } from '/l0/embed.js';
window.agent = mount(document.getElementById('w'), { namespace: 'stop', engine: { kind: 'openai', baseUrl: ${JSON.stringify(model.url)}, model: 'm' } });
window.ready = true;
</script></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/stop.html');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    type W = { agent: { run(t: string): Promise<{ status: string; finalAnswer?: string; steps: unknown[] }>; stop(): void; sandboxInfo(): { interrupt: string } | undefined } };
    await page.evaluate((question) => {
      const w = window as unknown as W & { first?: Promise<unknown> };
      w.first = w.agent.run(question).then((t) => t.status);
    }, LOOP);
    await page.locator('.cell-status', { hasText: 'running…' }).first().waitFor({ timeout: 60_000 });
    const stopped = Date.now();
    await page.locator('button.stop').click();
    const status = await page.evaluate(() => (window as unknown as { first: Promise<string> }).first);
    expect(Date.now() - stopped).toBeLessThan(8_000);
    expect(status).toBe('aborted');
    expect(await page.evaluate(() => (window as unknown as W).agent.sandboxInfo()?.interrupt)).toBe('restart');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    // A new run in the restarted interpreter: the old variable is gone (documented degradation).
    const second = await page.evaluate(() => (window as unknown as W).agent.run('Is kept still defined?').then((t) => ({ status: t.status, answer: t.finalAnswer, steps: t.steps.length })));
    expect(second).toEqual({ status: 'answered', answer: 'after stop: gone', steps: 1 });
    // The interrupted worker was terminated, not leaked: one Python worker remains.
    await expect.poll(() => workerTargets(page), { timeout: 10_000 }).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('follow-up questions', () => {
  it('the widget asks a follow-up through el.ask() and through its box, in the same Python, and the model sees the earlier turns', async () => {
    const FIRST = 'Set x to 21, then tell me x.';
    const DOUBLE = 'Now multiply that by 2.';
    const PLUS = 'Add 1 to that.';
    type Msg = { role: string; content: string };
    const asked = (m: Msg | undefined) => (m?.role === 'user' ? /Follow-up question: (.+)/.exec(m.content)?.[1] : undefined);
    // Answers computed from the conversation: what the cells printed, with the variables Python still held.
    const model = await startOpenAIServer({
      respond: (messages) => {
        const q = asked(messages.at(-1));
        if (q === DOUBLE) return turn('Go.', 'y = x * 2\nprint(y)');
        if (q === PLUS) return turn('Go.', 'print(y + 1)');
        if (messages.length === 2) return turn('Go.', 'x = 21\nprint(x)');
        const out = /<output>([\s\S]*?)<\/output>/.exec(messages.at(-1)!.content)?.[1]?.trim() ?? '';
        return turn('Go.', `submit_final_answer(${JSON.stringify(out)})`);
      },
    });
    servers.push(model);
    HOST_PAGES['follow-up.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>follow-up</title>
<script type="module" src="/l0/l0-agent.js"></script></head><body>
<l0-agent engine="openai" base-url="${model.url}" model="m" max-steps="4" namespace="follow-up" style="display:block;height:720px;width:520px"></l0-agent></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/follow-up.html');
    await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
    type El = HTMLElement & { run(t: string): Promise<{ status: string; finalAnswer?: string }>; ask(q: string): Promise<{ status: string; finalAnswer?: string; turns?: unknown[]; sessionId: string }> };
    // Nothing to follow up before a first run.
    expect(await page.evaluate(() => (document.querySelector('l0-agent') as unknown as El).ask('Anything?').then(() => 'asked', (e: Error) => e.message))).toMatch(/run a task first/);
    const box = page.locator('l0-agent').getByLabel('Follow-up question');
    expect(await box.isVisible()).toBe(false);

    const first = await page.evaluate((t) => (document.querySelector('l0-agent') as unknown as El).run(t).then((r) => ({ status: r.status, answer: r.finalAnswer })), FIRST);
    expect(first).toEqual({ status: 'answered', answer: '21' });
    const second = await page.evaluate((q) => (document.querySelector('l0-agent') as unknown as El).ask(q).then((r) => ({ status: r.status, answer: r.finalAnswer, questions: r.turns?.length })), DOUBLE);
    expect(second).toEqual({ status: 'answered', answer: '42', questions: 2 });
    const chats = () => model.requests.filter((r) => r.callIndex !== undefined).map((r) => (r.body?.messages ?? []) as Msg[]);
    const followUp = chats().find((m) => asked(m.at(-1)) === DOUBLE)!;
    expect(followUp[1]!.content.startsWith(FIRST)).toBe(true);
    expect(followUp.some((m) => m.role === 'assistant' && m.content.includes('submit_final_answer("21")'))).toBe(true);

    // The box: Enter asks, the answer uses y from the previous question.
    await box.waitFor({ state: 'visible' });
    await box.fill(PLUS);
    await box.press('Enter');
    await page.waitForFunction(() => document.querySelector('l0-agent')?.shadowRoot?.querySelector('.answer:not([hidden]) .answer-body')?.textContent?.trim() === '43', undefined, { timeout: 60_000 });
    expect(await page.locator('l0-agent .question .question-text').allTextContents()).toEqual([FIRST, DOUBLE, PLUS]);
    expect((await page.locator('l0-agent .question-answer .answer-body').allTextContents()).map((t) => t.trim())).toEqual(['21', '42']);
    expect(await page.locator('l0-agent .cell').count()).toBe(6);
    expect(chats().find((m) => asked(m.at(-1)) === PLUS)!.some((m) => asked(m) === DOUBLE)).toBe(true);
    await page.waitForFunction(() => !document.querySelector('l0-agent')?.shadowRoot?.querySelector('.l0-embed.running'));
    expect(await box.inputValue()).toBe('');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'follow-up.png') });
    await page.close();
  });
});

describe('files in the widget (issue 18)', () => {
  it('files from mount() options and agent.attach() are read by the model\'s code, shown as chips, and download from the Files section', async () => {
    const a = 10 + Math.floor(Math.random() * 900);
    const b = 10 + Math.floor(Math.random() * 900);
    const extra = 1000 + Math.floor(Math.random() * 900);
    type Msg = { role: string; content: string };
    const attached = (m: Msg | undefined) => (m?.role === 'user' ? [...m.content.matchAll(/^- (\S+) \(/gm)].map((x) => x[1]!) : []);
    // Answers computed from what the cells printed: they prove the files were read in Python.
    const model = await startOpenAIServer({
      respond: (messages) => {
        const files = attached(messages.at(-1));
        if (files.includes('data.csv')) return turn('Go.', "import csv\ntotal = sum(int(r['population']) for r in csv.DictReader(open('data.csv')))\n_ = open('sum.txt', 'w').write(str(total))\nprint(total)");
        if (files.includes('more.txt')) return turn('Go.', "print(total + int(open('more.txt').read()))");
        // The first line: the next is the note that sum.txt is new in the working directory.
        const out = /<output>\n?(.*)/.exec(messages.at(-1)!.content)?.[1]?.trim() ?? '';
        return turn('Go.', `submit_final_answer(${JSON.stringify(out)})`);
      },
    });
    servers.push(model);
    HOST_PAGES['files.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>files</title></head>
<body><div id="w" style="height:760px;width:520px"></div><script type="module">
import { mount } from '/l0/embed.js';
const data = new File(['city,population\\nAda,${a}\\nBabbage,${b}\\n'], 'data.csv', { type: 'text/csv' });
window.agent = mount(document.getElementById('w'), { namespace: 'files', maxSteps: 4, files: [data],
  engine: { kind: 'openai', baseUrl: ${JSON.stringify(model.url)}, model: 'm' } });
window.ready = true;
</script></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/files.html');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    type A = { agent: { run(t: string): Promise<{ finalAnswer?: string }>; ask(q: string): Promise<{ finalAnswer?: string; turns?: { attachments?: { name: string }[] }[] }>; attach(f: File[]): Promise<void> } };
    const widget = page.locator('#w');
    // The option's file waits as a chip for the first question.
    expect(await widget.getByRole('list', { name: 'Files for the next question' }).innerText()).toContain('data.csv');
    const first = await page.evaluate(() => (window as unknown as A).agent.run('Sum the population in the attached file.').then((t) => t.finalAnswer));
    expect(first).toBe(String(a + b));
    expect(await widget.getByRole('list', { name: 'Files attached to the question' }).innerText()).toContain('data.csv');

    // agent.attach() for a follow-up; a file without a usable name is refused with an L0Error.
    const refused = await page.evaluate(() => (window as unknown as A).agent.attach([new File(['x'], '..')]).then(() => 'attached', (e: { kind?: string; message?: string }) => `${e.kind}: ${e.message}`));
    expect(refused).toBe('file: Not attached: ".." has no usable file name.');
    const second = await page.evaluate((n) => (window as unknown as A).agent.attach([new File([String(n)], 'more.txt', { type: 'text/plain' })]).then(() => (window as unknown as A).agent.ask('Add the number in more.txt.')).then((t) => ({ answer: t.finalAnswer, files: t.turns?.map((q) => q.attachments?.map((f) => f.name)) })), extra);
    expect(second).toEqual({ answer: String(a + b + extra), files: [['data.csv'], ['more.txt']] });

    // The Files section: the three files; sum.txt (written by the code) downloads with its bytes.
    const summary = widget.locator('details.files-box > summary');
    expect(await summary.innerText()).toBe('Files (3)');
    await summary.click();
    expect(await widget.locator('.file-name').allTextContents()).toEqual(['data.csv', 'more.txt', 'sum.txt']);
    const [download] = await Promise.all([page.waitForEvent('download'), widget.getByRole('button', { name: 'Download sum.txt' }).click()]);
    expect(await readFile((await download.path())!, 'utf8')).toBe(String(a + b));
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'files.png') });
    await page.close();
  });
});

describe('Python packages in the widget', () => {
  it('package-base-url: a cell imports a package from the source, the widget shows its table, the model reads its text', async () => {
    const { fixtureSource, startPackageServer } = await import('../support/packages');
    const pkgs = await startPackageServer(fixtureSource().files);
    const model = await startOpenAIServer({
      model: 'pkg-model',
      respond: (_messages, req) =>
        req.callIndex === 0
          ? "<think>Show the table.</think>\n<code>\nimport l0demo\nl0demo.Table([('alpha', 1), ('beta', 2)])\n</code><end_code>"
          : "<think>Done.</think>\n<code>\nsubmit_final_answer('shown')\n</code><end_code>",
    });
    servers.push(model, pkgs);
    HOST_PAGES['packages.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>packages</title>
<script type="module" src="/l0/l0-agent.js"></script></head><body>
<l0-agent engine="openai" base-url="${model.url}" model="pkg-model" package-base-url="${pkgs.url}" max-steps="3" namespace="packages"
  task="Show the demo table." style="height:560px;width:480px"></l0-agent></body></html>`;
    const server = await serve(false);
    const { page, errors } = await openPage(server.origin + '/hosts/packages.html');
    await page.waitForFunction(() => !!document.querySelector('l0-agent')?.shadowRoot?.querySelector('button.run'));
    const traj = await page.evaluate(() => document.querySelector('l0-agent')!.run().then((t) => ({ status: t.status, answer: t.finalAnswer })));
    expect(traj).toEqual({ status: 'answered', answer: 'shown' });
    // The wheels came from the configured source (dependency first), and the table is in the cell.
    expect(pkgs.requests).toEqual(['/pkgs/pyodide-lock.json', '/pkgs/l0demo_base-1.0.0-py3-none-any.whl', '/pkgs/l0demo-2.0.0-py3-none-any.whl']);
    expect(await shadowText(page, '.rich-output[data-mime="text/html"] table')).toMatch(/alpha\s*1\s*beta\s*2/);
    // The model read the text form only.
    const chat = model.requests.filter((r) => r.path.endsWith('/chat/completions') && r.method === 'POST');
    const observation = (chat[1]!.body?.messages as { content: string }[]).at(-1)!.content;
    expect(observation).toContain('alpha  1\nbeta  2\n[text/html shown to the user]');
    expect(observation).not.toContain('<table');
    expect(errors).toEqual([]);
    await page.locator('l0-agent').screenshot({ path: join(SHOTS, 'packages-widget.png') });
    await page.close();
  });
});

describe('the npm package layout', () => {
  it("a Vite app that imports 'l0-browser/embed' builds and runs the agent", async () => {
    // A throwaway consumer project: node_modules/l0-browser is this repository (its package.json exports).
    const app = mkdtempSync(join(tmpdir(), 'l0-consumer-'));
    try {
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(ROOT, join(app, 'node_modules/l0-browser'), 'dir');
      mkdirSync(join(app, 'src'));
      mkdirSync(join(app, 'public/l0'), { recursive: true });
      cpSync(join(LIB, 'pyodide'), join(app, 'public/l0/pyodide'), { recursive: true });
      writeFileSync(join(app, 'package.json'), '{"name":"consumer","type":"module","private":true}');
      writeFileSync(join(app, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>app</title></head><body><div id="agent" style="height:480px"></div><script type="module" src="/src/main.js"></script></body></html>');
      writeFileSync(
        join(app, 'src/main.js'),
        `import { mount } from 'l0-browser/embed';
window.agent = mount(document.getElementById('agent'), {
  engine: { kind: 'replay', turns: ["<think>Compute.</think>\\n<code>\\nsubmit_final_answer('bundled ' + str(6 * 7))\\n</code><end_code>"] },
  assetsBaseUrl: '/l0/', namespace: 'consumer',
});
window.ready = true;`,
      );
      const { build } = await import('vite');
      await build({ root: app, configFile: false, logLevel: 'silent', worker: { format: 'es' }, build: { outDir: join(app, 'dist') } });

      const server = await startStaticServer({ root: join(app, 'dist'), isolation: false });
      servers.push(server);
      const { page, errors } = await openPage(server.url);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const result = await page.evaluate(() => (window as unknown as { agent: { run(t: string): Promise<{ status: string; finalAnswer?: string }> } }).agent.run('go').then((t) => [t.status, t.finalAnswer]));
      expect(result).toEqual(['answered', 'bundled 42']);
      // The bundler carried the Python worker along; Pyodide came from the app's public folder.
      expect(server.requests.some((r) => /^\/assets\/pyodide\.worker-.*\.js$/.test(r))).toBe(true);
      expect(server.requests).toContain('/l0/pyodide/pyodide.asm.wasm');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
