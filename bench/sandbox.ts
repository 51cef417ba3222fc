// Sandbox benchmarks in Chromium (run: `npx vite build && npx tsx bench/sandbox.ts`):
//  1. cold start to first cell result through createPyodideSandbox() vs a bare module worker doing
//     loadPyodide() + runPython('1') — same page, same run, alternating order, fresh context each;
//  2. round trip of a trivial cell through worker + comlink (median of 200) next to runPython('1')
//     inside the bare worker and a bare postMessage + runPython round trip.
// Writes bench/results/sandbox.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser';
import { startStaticServer } from '../test/support/static-server';

const TRIALS = Number(process.env.SANDBOX_BENCH_TRIALS ?? 4);
const CELLS = 200;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

// The bare baseline, as page-side source (a string, so no bundler helper leaks into the page).
const BARE = String.raw`async (cells) => {
  const indexURL = new URL('pyodide/', document.baseURI).href;
  const src = "import { loadPyodide } from '" + indexURL + "pyodide.mjs';\n" +
    "let py;\n" +
    "self.onmessage = async (e) => {\n" +
    "  if (e.data === 'load') { py = await loadPyodide({ indexURL: '" + indexURL + "' }); self.postMessage(py.runPython('1')); return; }\n" +
    "  if (e.data === 'inner') { const t = []; for (let i = 0; i < " + cells + "; i++) { const a = performance.now(); py.runPython('1'); t.push(performance.now() - a); } self.postMessage(t); return; }\n" +
    "  self.postMessage(py.runPython('1'));\n" +
    "};\n";
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  const t0 = performance.now();
  const w = new Worker(url, { type: 'module' });
  const ask = (m) => new Promise((r) => { w.onmessage = (e) => r(e.data); w.postMessage(m); });
  const first = await ask('load');
  const coldMs = performance.now() - t0;
  if (first !== 1) throw new Error('bare worker answered ' + first);
  const inner = await ask('inner');
  const rt = [];
  for (let i = 0; i < 20; i++) await ask('rt');
  for (let i = 0; i < cells; i++) { const a = performance.now(); await ask('rt'); rt.push(performance.now() - a); }
  w.terminate();
  return { coldMs, inner, postMessageRt: rt };
}`;

const OURS = String.raw`async (cells) => {
  const t0 = performance.now();
  let loadedAt = 0;
  const sb = await window.l0.createPyodideSandbox({ onProgress: (p) => { if (p.phase === 'stdlib') loadedAt = performance.now(); } });
  const readyAt = performance.now();
  const r = await sb.runCell('1');
  const coldMs = performance.now() - t0;
  // Our own share of the cold start: Pyodide loaded -> runtime installed, then the first cell.
  const runtimeInstallMs = readyAt - loadedAt;
  const firstCellMs = performance.now() - readyAt;
  if (r.result !== '1') throw new Error('sandbox answered ' + JSON.stringify(r));
  for (let i = 0; i < 20; i++) await sb.runCell('1');
  const rt = [];
  for (let i = 0; i < cells; i++) { const a = performance.now(); await sb.runCell('1'); rt.push(performance.now() - a); }
  const info = sb.info;
  await sb.dispose();
  return { coldMs, rt, info, runtimeInstallMs, firstCellMs };
}`;

async function freshPage(browser: Browser, url: string): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url + 'harness.html');
  await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
  return page;
}

async function main() {
  const server = await startStaticServer({ root: 'dist', isolation: true });
  const browser = await launchChromium();
  const bare: { coldMs: number; inner: number[]; postMessageRt: number[] }[] = [];
  const ours: { coldMs: number; rt: number[]; info: unknown; runtimeInstallMs: number; firstCellMs: number }[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      // Alternate which one goes first so drift on a shared machine hits both alike.
      for (const which of i % 2 ? ['ours', 'bare'] : ['bare', 'ours']) {
        const page = await freshPage(browser, server.url);
        if (which === 'bare') bare.push(await page.evaluate(`(${BARE})(${CELLS})`));
        else ours.push(await page.evaluate(`(${OURS})(${CELLS})`));
        await page.context().close();
        process.stdout.write(`trial ${i + 1}/${TRIALS} ${which} done\n`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const bareCold = median(bare.map((b) => b.coldMs));
  const oursCold = median(ours.map((o) => o.coldMs));
  const cellRt = median(ours.flatMap((o) => o.rt));
  const innerRun = median(bare.flatMap((b) => b.inner));
  const pmRt = median(bare.flatMap((b) => b.postMessageRt));
  const result = {
    benchmark: 'sandbox',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, note: 'shared machine; figures are from one run, ratios compare runs made side by side' },
    browser: 'Debian Chromium (headless), COOP/COEP on',
    info: ours[0]?.info,
    trials: TRIALS,
    coldStart: {
      bareLoadPyodideRunPythonMs: { median: round(bareCold, 1), all: bare.map((b) => round(b.coldMs, 1)) },
      createPyodideSandboxFirstCellMs: { median: round(oursCold, 1), all: ours.map((o) => round(o.coldMs, 1)) },
      ratio: round(oursCold / bareCold),
      // Each trial runs both back to back; the median of per-trial ratios is less exposed to load drift.
      medianPairRatio: round(median(ours.map((o, i) => o.coldMs / bare[i].coldMs))),
      target: '<= 1.15',
      // Time attributable to our layer alone (after Pyodide itself has loaded), medians:
      runtimeInstallMs: round(median(ours.map((o) => o.runtimeInstallMs)), 1),
      firstCellMs: round(median(ours.map((o) => o.firstCellMs)), 1),
      overheadShareOfBare: round(median(ours.map((o) => o.runtimeInstallMs + o.firstCellMs)) / bareCold),
    },
    roundTrip: {
      cells: CELLS,
      runCellThroughWorkerComlinkMedianMs: round(cellRt),
      barePostMessageRunPythonMedianMs: round(pmRt),
      runPythonInsideWorkerMedianMs: round(innerRun, 4),
      target: 'runCell median < 2 ms',
    },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/sandbox.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

await main();
