// The cell-output hot path in Chromium (run: `npx vite build && npx tsx bench/memory-output.ts`):
//   - streaming is batched: a cell printing 10,000 short lines reaches the page in few stream
//     messages (counted at the page's onStream), next to the number of print() calls;
//   - large outputs are capped before they cross the worker boundary: a cell printing 5 MB
//     returns about the cap (10,000 characters) and takes about as long as producing the output
//     in Python alone (same cell with output sent to a discarded StringIO).
// Writes bench/results/memory-output.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { launchChromium } from '../test/support/browser';
import { startStaticServer } from '../test/support/static-server';

const RUNS = 5;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const PAGE = String.raw`async (runs) => {
  const sb = await window.l0.createPyodideSandbox();
  await sb.runCell('import io, contextlib');
  const lines = [], big = [], quiet = [];
  let messages = 0, chars = 0, resultChars = 0;
  for (let i = 0; i < runs; i++) {
    messages = 0; chars = 0;
    let t = performance.now();
    const r = await sb.runCell('for i in range(10000):\n    print("line", i)', { onStream: (c) => { messages++; chars += c.text.length; } });
    lines.push(performance.now() - t);
    t = performance.now();
    const b = await sb.runCell('print("x" * 5_000_000)');
    big.push(performance.now() - t);
    resultChars = b.stdout.length;
    t = performance.now();
    await sb.runCell('with contextlib.redirect_stdout(io.StringIO()):\n    print("x" * 5_000_000)');
    quiet.push(performance.now() - t);
  }
  await sb.dispose();
  return { lines, big, quiet, messages, chars, resultChars };
}`;

async function main() {
  const server = await startStaticServer({ root: 'dist', isolation: true });
  const browser = await launchChromium();
  let r: { lines: number[]; big: number[]; quiet: number[]; messages: number; chars: number; resultChars: number };
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.url + 'harness.html');
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
    r = (await page.evaluate(`(${PAGE})(${RUNS})`)) as typeof r;
  } finally {
    await browser.close();
    await server.close();
  }
  const environment = `Debian Chromium headless, COOP/COEP, ${cpus().length} CPUs (load ${loadavg()[0].toFixed(1)}), median of ${RUNS}`;
  const result = {
    benchmark: 'memory-output',
    date: new Date().toISOString(),
    environment: { summary: environment },
    raw: { linesMs: r.lines.map((x) => round(x)), bigMs: r.big.map((x) => round(x)), quietMs: r.quiet.map((x) => round(x)), streamChars: r.chars },
    figures: [
      { name: 'stream messages for 10,000 print() calls', value: r.messages, unit: 'messages', baseline: { name: 'print() calls', value: 10000 }, target: { op: '<=', value: 0.01, on: 'ratio' }, environment },
      { name: 'cell printing 10,000 lines', value: round(median(r.lines)), unit: 'ms', environment },
      { name: 'cell printing 5 MB: chars returned', value: r.resultChars, unit: 'chars', target: { op: '<=', value: 11000 }, environment },
      { name: 'cell printing 5 MB', value: round(median(r.big)), unit: 'ms', baseline: { name: 'same output to a discarded StringIO', value: round(median(r.quiet)) }, environment },
    ],
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/memory-output.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

await main();
