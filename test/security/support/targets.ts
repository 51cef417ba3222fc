// Where the red-team attempts run: the built app's real sandbox (harness.html ->
// window.l0.createPyodideSandbox) or a bare Pyodide worker (control / hardened) served next to it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startStaticServer, type StaticServer } from '../../support/static-server';
import { newAppPage } from '../../support/warm-start-seed';

export const DIST = process.env.L0_DIST ?? 'dist';
export const APP_CSP = "script-src 'self' 'wasm-unsafe-eval' blob:";

export interface RunOutcome {
  stdout: string;
  stderr: string;
  status: string;
  error?: string;
}

export interface Target {
  page: Page;
  context: BrowserContext;
  server: StaticServer;
  run(code: string, timeoutMs?: number): Promise<RunOutcome>;
  close(): Promise<void>;
  /** How the app sandbox's Python started: its `snapshot-*` progress phases (app sandbox only). */
  snapshotPhases?: string[];
  /** What hardenWorkerScope reported (bare hardened worker only). */
  report?: {
    removed: string[];
    overwritten: string[];
    kept: string[];
    pythonGuard: boolean;
    builtinsRemoved?: string[];
    emscriptenStubbed?: string[];
    lockdown?: { frozen: number; failed: string[]; ms: number };
  };
}

let protoWorkerJs: Promise<string> | undefined;
function bundleProtoWorker(): Promise<string> {
  protoWorkerJs ??= build({
    entryPoints: [fileURLToPath(new URL('./proto-worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  }).then((r) => r.outputFiles[0]!.text);
  return protoWorkerJs;
}

const PROTO_PAGE_JS = `
const mode = document.body.dataset.mode;
const workerUrl = new URL('./worker.js', location.href).href;
// hardened: a blob wrapper, so the worker inherits this page's CSP even without CSP headers.
// hardened-nocsp: the embedder case, no CSP anywhere: only the in-worker hardening.
// hardened-packages: as hardened, with the compile gate a package source sets (lockdown.ts).
const url = mode === 'hardened' || mode === 'hardened-packages'
  ? URL.createObjectURL(new Blob(['import ' + JSON.stringify(workerUrl) + ';'], { type: 'text/javascript' }))
  : workerUrl;
const worker = new Worker(url, { type: 'module', name: mode === 'control' ? 'control' : mode === 'hardened-packages' ? 'hardened-packages' : 'hardened' });
let seq = 0; const pending = new Map();
worker.onmessage = (ev) => { const p = pending.get(ev.data && ev.data.id); if (p) { pending.delete(ev.data.id); p(ev.data); } };
worker.onerror = (e) => { window.__workerError = String(e.message || e); };
function call(msg) { const id = ++seq; return new Promise((r) => { pending.set(id, r); worker.postMessage({ ...msg, id }); }); }
window.__sec = {
  init: () => call({ op: 'init', indexURL: new URL('../pyodide/', location.href).href }),
  run: (code) => call({ op: 'run', code }),
  probe: (canaryUrl) => call({ op: 'probe', code: canaryUrl }),
};
`;

export type ProtoMode = 'control' | 'hardened' | 'hardened-nocsp' | 'hardened-packages';

function protoHtml(mode: ProtoMode): string {
  const csp = mode === 'hardened' || mode === 'hardened-packages' ? `<meta http-equiv="Content-Security-Policy" content="${APP_CSP}">` : '';
  return `<!doctype html><html><head><meta charset="utf-8">${csp}<title>sec ${mode}</title></head><body data-mode="${mode}"><script type="module" src="./page.js"></script></body></html>`;
}

export async function serveDist(isolation: boolean): Promise<StaticServer> {
  const worker = await bundleProtoWorker();
  return startStaticServer({
    root: DIST,
    isolation,
    handle: (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const headers: Record<string, string> = isolation
        ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
        : {};
      const send = (type: string, body: string) => {
        res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...headers }).end(body);
        return true;
      };
      if (path === '/__sec/control.html') return send('text/html', protoHtml('control'));
      if (path === '/__sec/hardened.html') return send('text/html', protoHtml('hardened'));
      if (path === '/__sec/hardened-nocsp.html') return send('text/html', protoHtml('hardened-nocsp'));
      if (path === '/__sec/hardened-packages.html') return send('text/html', protoHtml('hardened-packages'));
      if (path === '/__sec/page.js') return send('text/javascript', PROTO_PAGE_JS);
      if (path === '/__sec/worker.js') return send('text/javascript', worker);
      return false;
    },
  });
}

/**
 * A bare Pyodide worker page: `control` (nothing but Pyodide), `hardened` (hardenWorkerScope + page
 * CSP inherited by a blob worker) or `hardened-nocsp` (hardenWorkerScope alone, as on an embedder's page).
 */
export async function openProto(browser: Browser, server: StaticServer, mode: ProtoMode): Promise<Target> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + `__sec/${mode}.html`);
  await page.waitForFunction(() => (window as any).__sec !== undefined);
  const init = (await page.evaluate(() => (window as any).__sec.init())) as { ok: boolean; error?: string; report?: Target['report'] };
  if (!init.ok) throw new Error(`proto worker failed to start: ${init.error}`);
  return {
    page,
    context,
    server,
    report: init.report,
    async run(code) {
      const r = (await page.evaluate((c) => (window as any).__sec.run(c), code)) as { stdout: string; stderr: string; error?: string };
      return { stdout: r.stdout, stderr: r.stderr, status: r.error ? 'error' : 'ok', error: r.error };
    },
    close: () => context.close(),
  };
}

/**
 * The built app's real sandbox, from harness.html. Python starts cold (a first visit) unless
 * `warmStart`: then from the warm-start snapshot, as on a returning visit (warm-start-seed.ts).
 */
export async function openAppSandbox(browser: Browser, server: StaticServer, options: Record<string, unknown> = {}, start: { warmStart?: boolean } = {}): Promise<Target> {
  const { context, page } = await newAppPage(browser, server.url, {}, { coldStart: !start.warmStart });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + 'harness.html');
  await page.waitForFunction(() => (window as any).l0Ready === true);
  const snapshotPhases = await page.evaluate(async (opts) => {
    const w = window as any;
    const phases: string[] = [];
    w.__sb = await w.l0.createPyodideSandbox({ timeoutMs: 15_000, onProgress: (p: { phase: string }) => phases.push(p.phase), ...opts });
    return phases.filter((p) => p.startsWith('snapshot'));
  }, options);
  return {
    page,
    context,
    server,
    snapshotPhases,
    async run(code, timeoutMs = 15_000) {
      return page.evaluate(
        async ({ c, t }) => {
          const r = await (window as any).__sb.runCell(c, { timeoutMs: t });
          return { stdout: r.stdout, stderr: r.stderr, status: r.status, error: r.error ? `${r.error.ename}: ${r.error.evalue}` : undefined };
        },
        { c: code, t: timeoutMs },
      );
    },
    close: () => context.close(),
  };
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
