// Memory over a long session in Chromium (run: `npx vite build && npx tsx bench/memory.ts [steps]`):
// a 200-step scripted run (ScriptedLLM + the real Pyodide worker sandbox, trivial cells that update
// the notepad) with a small `memoryTokens`, so history collapse is active. Before every cell the
// page forces a GC and records
//   - the page's JS heap (performance.memory.usedJSHeapSize, precise with --enable-precise-memory-info),
//   - every 10 steps, performance.measureUserAgentSpecificMemory(): the worker's JS heap and the
//     total (Chromium does not attribute the Wasm heap there), and the resident memory (VmRSS) of
//     the renderer process, which holds the page, the worker and the worker's Wasm heap,
//   - from the cell itself, the number of live Python objects (len(gc.get_objects()) after
//     gc.collect(); sys.getallocatedblocks() is 0 in Pyodide's build).
// Three identical sessions run on one page and sandbox: the first warms up and times the loop
// (unsampled), the second is sampled, the third gives what a finished session leaves behind.
// Growth per step is the least-squares slope over the sampled session's steps after its first
// collapse; the
// trajectory itself (kept in memory by design, one record per step) is reported next to it as
// its JSON size per step: heap growth at about that size is the trajectory, not a leak.
// Writes bench/results/memory.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { launchChromium } from '../test/support/browser';
import { startStaticServer } from '../test/support/static-server';

const STEPS = Number(process.argv[2] ?? process.env.MEMORY_STEPS ?? 200);

// In the page. The sandbox is wrapped so that each runCell first samples memory: the loop waits.
const SESSION = String.raw`async (steps) => {
  const l0 = window.l0;
  const real = await l0.createPyodideSandbox();
  const heap = [];      // [step, usedJSHeapSize]
  const uasm = [];      // [step, worker bytes, total bytes]
  const pyBlocks = [];  // [step, blocks]
  const rss = [];       // [step, renderer processes' resident bytes]
  let cellNo = 0;
  let llm;
  let recording = false;
  const measure = async () => {
    if (!performance.measureUserAgentSpecificMemory || !crossOriginIsolated) return undefined;
    const m = await performance.measureUserAgentSpecificMemory();
    let worker = 0;
    for (const b of m.breakdown) if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) worker += b.bytes;
    return [worker, m.bytes];
  };
  const sandbox = {
    info: real.info,
    async runCell(code, opts) {
      if (!recording) return real.runCell(code, opts);
      cellNo++;
      gc(); gc();
      heap.push([cellNo, performance.memory.usedJSHeapSize]);
      if (llm) llm.calls.length = 0; // the scripted model's call log is test instrumentation, not the product
      if (cellNo % 10 === 1 || cellNo === steps) {
        const m = await measure();
        if (m) uasm.push([cellNo, ...m]);
        rss.push([cellNo, await window.l0BenchRss()]);
      }
      const r = await real.runCell(code, opts);
      const b = /objects=(\d+)/.exec(r.stdout);
      if (b) pyBlocks.push([cellNo, Number(b[1])]);
      return r;
    },
    interrupt: () => real.interrupt(),
    reset: (o) => real.reset(o),
    getNotepad: () => real.getNotepad(),
    setNotepad: (s) => real.setNotepad(s),
    dispose: () => real.dispose(),
  };
  const turn = (think, code) => '<think>' + think + '</think>\n<code>\n' + code + '\n</code><end_code>';
  let generated = 0; // own counter: the model's call log is cleared each step (see runCell)
  const script = () => {
    const step = ++generated;
    // The Python object count (gc.collect() costs milliseconds) is probed only in the sampled session.
    const probe = recording ? "\nimport gc\ngc.collect(); print('objects=%d' % len(gc.get_objects()))" : '';
    if (step === 1) return turn('Plan the work.', "notepad.add_todo(['count', 'check', 'answer'])" + probe);
    if (step === steps) return turn('Done.', "submit_final_answer('finished')");
    const fact = step % 25 === 0 ? "\nnotepad.add_facts(['checkpoint " + step + "'])" : '';
    const done = step === 100 ? '\nnotepad.mark_done(0)' : '';
    return turn('Step ' + step + ': a small computation.',
      'x = sum(range(' + (step * 10) + '))\nnotepad.write_draft(f"draft at step ' + step + ': {x}")' + fact + done + probe);
  };
  llm = new l0.ScriptedLLM(script, { contextWindow: 4096 });
  const systemTokens = Math.ceil(l0.buildSystemPrompt([]).length / 4);
  const memoryTokens = systemTokens + 700;
  // The run lives in this function: once it returns, the trajectory and events are garbage.
  const session = async (record) => {
    generated = 0;
    const t0 = performance.now();
    const run = l0.runAgent({ task: 'Count for a long time and keep notes.', llm, sandbox, maxSteps: steps, memoryTokens });
    // Consume the events as the UI does (unconsumed events stay buffered by design).
    let events = 0;
    for await (const e of run) events++;
    const traj = await run.trajectory;
    const ms = performance.now() - t0;
    if (record) {
      gc(); gc();
      heap.push([cellNo + 1, performance.memory.usedJSHeapSize]);
      const end = await measure();
      if (end) uasm.push([cellNo + 1, ...end]);
      rss.push([cellNo + 1, await window.l0BenchRss()]);
    }
    const collapses = traj.steps.filter((s) => s.collapsedBefore).map((s) => s.index);
    return { status: traj.status, steps: traj.steps.length, ms, collapses, trajJsonBytes: JSON.stringify(traj).length, events };
  };
  const released = () => { llm.calls.length = 0; gc(); gc(); return performance.memory.usedJSHeapSize; };
  // Session 1 warms the page up (lazy compilation, inline caches, first-time structures) and is
  // not sampled: it gives the loop's time per step. Session 2, identical but sampled, on the same
  // page and sandbox, gives the growth figures. Session 3 repeats session 2 exactly (its samples
  // are dropped afterwards): what it leaves behind once released is what a long-lived page keeps
  // per session, with every code path already warm.
  recording = false;
  const warmup = await session(false);
  // The same number of cells straight through the sandbox, no loop: the no-op step of this page.
  const tc = performance.now();
  for (let i = 0; i < steps; i++) await real.runCell('x = sum(range(' + (i * 10) + '))\nnotepad.write_draft(f"draft at step ' + i + ': {x}")');
  const bareCellsMs = performance.now() - tc;
  await real.reset({ clearNotepad: true });
  recording = true;
  const summary = await session(true);
  const kept = [heap.length, uasm.length, pyBlocks.length, rss.length, cellNo];
  const heapAfterRelease = released();
  await real.reset({ clearNotepad: true });
  await session(true);
  heap.length = kept[0]; uasm.length = kept[1]; pyBlocks.length = kept[2]; rss.length = kept[3]; cellNo = kept[4];
  const heapAfterSecond = released();
  await real.dispose();
  return { ...summary, memoryTokens, systemTokens, heap, uasm, pyBlocks, rss, heapAfterRelease, heapAfterSecond, loopMsPerStep: warmup.ms / warmup.steps, bareCellMs: bareCellsMs / steps };
}`;

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return num / den;
}
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const MB = 2 ** 20;

async function main() {
  const server = await startStaticServer({ root: 'dist', isolation: true });
  const browser = await launchChromium({
    extraArgs: ['--js-flags=--expose-gc', '--enable-precise-memory-info', '--enable-blink-features=ForceEagerMeasureMemory'],
  });
  type Session = {
    status: string; steps: number; ms: number; memoryTokens: number; systemTokens: number; collapses: number[];
    trajJsonBytes: number; heap: [number, number][]; uasm: [number, number, number][]; pyBlocks: [number, number][]; rss: [number, number][]; events: number; heapAfterRelease: number; heapAfterSecond: number; loopMsPerStep: number; bareCellMs: number;
  };
  let s: Session;
  try {
    const cdp = await browser.newBrowserCDPSession();
    const page = await (await browser.newContext()).newPage();
    // Resident memory of the renderer processes (page + its worker + the worker's Wasm heap).
    await page.exposeFunction('l0BenchRss', async () => {
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
      let bytes = 0;
      for (const p of processInfo.filter((q) => q.type === 'renderer')) {
        const status = await readFile(`/proc/${p.id}/status`, 'utf8').catch(() => '');
        const kb = /VmRSS:\s+(\d+) kB/.exec(status);
        if (kb) bytes += Number(kb[1]) * 1024;
      }
      return bytes;
    });
    await page.goto(server.url + 'harness.html');
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
    s = (await page.evaluate(`(${SESSION})(${STEPS})`)) as Session;
  } finally {
    await browser.close();
    await server.close();
  }
  const from = s.collapses[0] ?? 1;
  const after = <T extends [number, ...number[]]>(xs: T[]) => xs.filter((p) => p[0] >= from);
  const heapSlope = slope(after(s.heap).map(([x, y]) => [x, y]));
  const workerSlope = slope(after(s.uasm).map(([x, w]) => [x, w]));
  const blocksSlope = slope(after(s.pyBlocks).map(([x, b]) => [x, b]));
  const rssSlope = slope(after(s.rss).map(([x, b]) => [x, b]));
  const trajPerStep = s.trajJsonBytes / s.steps;
  const firstHeap = s.heap[0][1];
  const lastHeap = s.heap.at(-1)![1];
  const environment = `Debian Chromium headless, harness.html, COOP/COEP, ${cpus().length} CPUs (load ${loadavg()[0].toFixed(1)}), ${s.steps} steps, memoryTokens ${s.memoryTokens}, ${s.collapses.length} collapses`;
  const result = {
    benchmark: 'memory',
    date: new Date().toISOString(),
    environment: { summary: environment },
    session: { status: s.status, steps: s.steps, seconds: round(s.ms / 1000, 2), memoryTokens: s.memoryTokens, systemPromptTokens: s.systemTokens, collapses: s.collapses.length, firstCollapseAtStep: s.collapses[0] ?? null },
    pageHeap: { firstMB: round(firstHeap / MB, 2), lastMB: round(lastHeap / MB, 2), afterReleaseMB: round(s.heapAfterRelease / MB, 3), afterSecondSessionMB: round(s.heapAfterSecond / MB, 3), growthBytesPerStepAfterCollapse: round(heapSlope, 0), samples: s.heap.filter((_, i) => i % 10 === 0).map(([x, y]) => [x, round(y / MB, 3)]) },
    worker: s.uasm.length
      ? { firstMB: round(s.uasm[0][1] / MB, 2), lastMB: round(s.uasm.at(-1)![1] / MB, 2), growthBytesPerStepAfterCollapse: round(workerSlope, 0), samplesMB: s.uasm.map(([x, w, t]) => [x, round(w / MB, 2), round(t / MB, 2)]), note: 'measureUserAgentSpecificMemory(): [step, worker MB, total MB]; Chromium does not attribute the Wasm heap here (see rendererRss)' }
      : { note: 'measureUserAgentSpecificMemory() unavailable' },
    python: { gcObjectsFirst: s.pyBlocks[0]?.[1], gcObjectsLast: s.pyBlocks.at(-1)?.[1], growthObjectsPerStepAfterCollapse: round(blocksSlope, 2) },
    rendererRss: { firstMB: round(s.rss[0][1] / MB, 1), lastMB: round(s.rss.at(-1)![1] / MB, 1), growthBytesPerStepAfterCollapse: round(rssSlope, 0), samplesMB: s.rss.map(([x, b]) => [x, round(b / MB, 1)]), note: 'VmRSS of the renderer process(es): page, worker, and the worker\'s Wasm memory' },
    events: s.events,
    trajectoryJsonBytesPerStep: round(trajPerStep, 0),
    figures: [
      {
        name: 'agent step in Chromium (scripted model, worker sandbox)',
        value: round(s.loopMsPerStep, 2),
        unit: 'ms/step',
        baseline: { name: 'runCell alone (no loop)', value: round(s.bareCellMs, 2) },
        target: { op: '<=', value: 10 },
        environment: `${environment}; unsampled warm-up session, events consumed, no store`,
      },
      {
        name: 'page JS heap growth per step after collapse',
        value: round(heapSlope / 1024, 2),
        unit: 'KB/step',
        baseline: { name: 'trajectory JSON per step', value: round(trajPerStep / 1024, 2) },
        target: { op: '<=', value: 1.5, on: 'ratio' },
        environment,
      },
      ...(s.uasm.length
        ? [{ name: 'worker JS heap growth per step after collapse', value: round(workerSlope / 1024, 2), unit: 'KB/step', target: { op: '<=', value: 16 }, environment }]
        : []),
      ...(s.uasm.length ? [{ name: 'worker JS heap at end', value: round(s.uasm.at(-1)![1] / MB, 1), unit: 'MB', baseline: { name: 'after first cell', value: round(s.uasm[0][1] / MB, 1) }, environment }] : []),
      { name: 'page JS heap at end', value: round(lastHeap / MB, 2), unit: 'MB', baseline: { name: 'before first cell', value: round(firstHeap / MB, 2) }, environment },
      { name: 'page JS heap kept per finished 200-step session', value: round((s.heapAfterSecond - s.heapAfterRelease) / 1024, 1), unit: 'KB', target: { op: '<=', value: 64 }, environment },
      { name: 'renderer RSS (page + worker + Wasm) growth per step after collapse', value: round(rssSlope / 1024, 1), unit: 'KB/step', target: { op: '<=', value: 64 }, environment },
      { name: 'renderer RSS at end', value: round(s.rss.at(-1)![1] / MB, 1), unit: 'MB', baseline: { name: 'after first cell', value: round(s.rss[0][1] / MB, 1) }, environment },
      { name: 'Python gc objects growth per step after collapse', value: round(blocksSlope, 2), unit: 'objects/step', target: { op: '<=', value: 5 }, environment },
    ],
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/memory.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ ...result, pageHeap: { ...result.pageHeap, samples: undefined } }, null, 2));
}

await main();
