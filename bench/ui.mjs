// First load of the built notebook page (dist/): JS+CSS bytes transferred (gzip) before the page is
// interactive, and time to interactive next to a blank Vite page built and served the same way.
// Usage: npx vite build && node bench/ui.mjs [runs]   -> bench/results/ui.json
// "Interactive" is the `l0-interactive` performance mark (src/ui/main.ts sets it once the task box
// and buttons are wired; the blank page sets it from its only script).
import { createServer } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const RUNS = Number(process.argv[2] ?? 7);
const TARGET_KB = 250;
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.zip': 'application/zip', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.webmanifest']);

/** A static server like a typical host: gzip for text, COOP/COEP, no caching between runs. */
async function serve(root) {
  root = resolve(root);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    const st = file.startsWith(root) ? await stat(file).catch(() => undefined) : undefined;
    if (!st?.isFile()) return void res.writeHead(404).end();
    let body = await readFile(file);
    const ext = extname(file);
    const headers = { 'Content-Type': MIME[ext] ?? 'application/octet-stream', 'Cache-Control': 'no-store', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (COMPRESSIBLE.has(ext) && /gzip/.test(req.headers['accept-encoding'] ?? '')) {
      body = gzipSync(body, { level: 9 });
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(200, headers).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

async function buildBlankPage() {
  const dir = await mkdtemp(join(tmpdir(), 'l0-blank-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body><div id="app"></div><script type="module" src="./main.js"></script></body></html>');
  await writeFile(join(dir, 'main.js'), "document.getElementById('app').textContent = 'blank';\nperformance.mark('l0-interactive');\n");
  await mkdir(join(dir, 'dist'));
  await build({ root: dir, base: './', logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'dist'), emptyOutDir: true } });
  return { dir, dist: join(dir, 'dist') };
}

async function measure(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('l0-interactive').length > 0, undefined, { timeout: 60_000 });
  const m = await page.evaluate(() => {
    const tti = performance.getEntriesByName('l0-interactive')[0].startTime;
    const res = performance.getEntriesByType('resource').filter((e) => /\.(m?js|css)(\?|$)/.test(e.name) && e.responseEnd <= tti);
    return { tti, bytes: res.reduce((s, e) => s + e.transferSize, 0), files: res.map((e) => ({ name: new URL(e.name).pathname, transferSize: e.transferSize, decodedBodySize: e.decodedBodySize })) };
  });
  await context.close();
  return m;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!existsSync('dist/index.html')) throw new Error('Build first: npx vite build');
  const blank = await buildBlankPage();
  const app = await serve('dist');
  const base = await serve(blank.dist);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  const appRuns = [];
  const blankRuns = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // Interleaved so that load on the machine affects both alike.
      blankRuns.push(await measure(browser, base.url));
      appRuns.push(await measure(browser, app.url));
    }
  } finally {
    await browser.close();
    await app.close();
    await base.close();
    await rm(blank.dir, { recursive: true, force: true });
  }
  const appTti = median(appRuns.map((r) => r.tti));
  const blankTti = median(blankRuns.map((r) => r.tti));
  const bytes = median(appRuns.map((r) => r.bytes));
  const result = {
    benchmark: 'ui-first-load',
    date: new Date().toISOString(),
    runs: RUNS,
    jsCssTransferredBeforeInteractiveKB: +(bytes / 1024).toFixed(1),
    targetKB: TARGET_KB,
    withinTarget: bytes / 1024 <= TARGET_KB,
    files: appRuns[0].files,
    timeToInteractiveMs: { app: +appTti.toFixed(1), blankVitePage: +blankTti.toFixed(1) },
    ttiRatioAppOverBlank: +(appTti / blankTti).toFixed(2),
    blankJsCssKB: +(median(blankRuns.map((r) => r.bytes)) / 1024).toFixed(1),
    note: 'Median of cold loads (new browser context each), gzip, localhost, COOP/COEP, no cache; interleaved app/blank runs.',
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/ui.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

await main();
