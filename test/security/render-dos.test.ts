// Renderers that cannot fail or freeze (issue 16): a scripted model fills the notepad with 100,000
// facts and a 20 MB draft, answers with a nesting bomb, then writes a nesting-bomb draft and a
// 10 MB answer. The run must stay on screen and finish ("Run failed." was shown before while the
// agent went on), the page must stay responsive during and after, "Show all" must reveal long
// content in chunks, and both sessions must reopen from the sessions list after a reload.
//
// Responsiveness is the bound the issue asks for: the page answers `1+1` within 1 s. It is measured
// as main-thread responsiveness, generously: a PerformanceObserver records every long animation frame
// (a task and the rendering it caused); in no frame may the renderers' own work (the time their
// `l0-render:*` User Timing measures cover, nested ones once, plus the frame's style, layout and
// paint) reach 1 s, and no frame at all while "Show all" reveals 100,000 facts and 20 MB of text
// (measured: tens to a few hundred ms). A probe also evaluates `1+1` in the page every 50 ms through
// the DevTools protocol; its round trips are printed with the render times of each input, not
// asserted: during a live run they include the store writing, and the model client sending, the
// 20 MB notepad on the main thread (src/store, src/llm), and on a shared machine CPU starvation.
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from '../support/built-app';
import { startOpenAIServer } from '../support/openai-server';
import { newAppPage } from '../support/warm-start-seed';
import { runTask, turn, useOpenAIEndpoint } from '../e2e/ui-helpers';

const app = useBuiltApp();
const SHOTS = join(resolve(import.meta.dirname, '../..'), 'test-results/security');
/** The bound for "the page answers 1+1". */
const RESPONSIVE_MS = 1000;

const TASK_A = 'Fill the notepad and answer with a nesting bomb.';
const TASK_B = 'Write a nested draft and a 10 MB answer.';
const BOMB = "'>' * 100000 + ' deep\\n\\n' + '- ' * 50000 + 'x\\n\\n' + '_a' * 100000 + '\\n' + '*' * 20000";

/** The model's turns over both runs, by call index. */
const TURNS = [
  turn('Facts first.', "notepad.add_facts([f'fact number {i}' for i in range(100000)])\nprint(len(notepad.facts))"),
  turn('A big draft.', "notepad.write_draft('## Big draft\\n\\n' + 'Lorem *ipsum* dolor sit amet, `x` consectetur adipiscing.\\n\\n' * 340000)\nprint(len(notepad.draft))"),
  turn('Answer with the bomb.', `submit_final_answer(${BOMB})`),
  turn('A nested draft.', `notepad.write_draft(${BOMB})\nprint(len(notepad.draft))`),
  turn('A 10 MB answer.', "submit_final_answer('# Long answer\\n\\n' + 'word ' * 2000000)"),
];

interface Probe {
  stop(): Promise<number[]>;
}

/** Evaluates `1+1` in the page every 50 ms until stopped; returns the round-trip times. */
function probeResponsiveness(page: Page): Probe {
  let running = true;
  const latencies: number[] = [];
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const two = await page.evaluate(() => 1 + 1).catch(() => undefined); // undefined: the page was closed
      if (two === undefined) return;
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

/** Waits for the run to start and end, however it ends (before issue 16 the page froze or said "Run failed."). */
async function waitForRunEnd(page: Page): Promise<void> {
  await page.waitForSelector('.l0-app.is-running', { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('.l0-app')!.classList.contains('is-running'), undefined, { timeout: 240_000 });
}

async function longestTask(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, ...((window as any).__longTasks as [number, number, number][]).map(([, d]) => d)));
}

/**
 * Long animation frames in which rendering blocked the page for RESPONSIVE_MS or more. In a frame
 * that ran a renderer, that is the renderers' own time (the time their `l0-render:*` measures
 * cover, nested measures once) plus the frame's style, layout and paint (from its renderStart to
 * its end); other work in the same task (reading a session from IndexedDB, which the store does
 * on the main thread) is not the renderers'. In the window given ("Show all" revealing), every
 * frame counts whole.
 */
async function freezes(page: Page, window_?: { from: number; to: number }): Promise<string[]> {
  return page.evaluate(
    ({ limit, win }) => {
      const frames = (window as any).__longTasks as [number, number, number][];
      const renders = performance.getEntriesByType('measure').filter((m) => m.name.startsWith('l0-render:'));
      const out: string[] = [];
      for (const [start, duration, renderStart] of frames) {
        if (duration < limit) continue;
        const end = start + duration;
        if (win && start < win.to && end > win.from) {
          out.push(`${Math.round(duration)} ms frame while revealing`);
          continue;
        }
        const inFrame = renders.filter((m) => m.startTime >= start && m.startTime < end);
        if (!inFrame.length) continue;
        // Measures nest (the notepad's includes its draft's markdown): count the time they cover once.
        let covered = 0;
        let reach = -Infinity;
        for (const m of [...inFrame].sort((a, b) => a.startTime - b.startTime)) {
          const from = Math.max(m.startTime, reach);
          const to = m.startTime + m.duration;
          if (to > from) covered += to - from;
          reach = Math.max(reach, to);
        }
        const cost = covered + (renderStart > 0 ? end - renderStart : 0);
        if (cost >= limit) out.push(`${Math.round(cost)} ms of rendering (${inFrame.map((m) => m.name).join(', ')}) in a ${Math.round(duration)} ms frame`);
      }
      return out;
    },
    { limit: RESPONSIVE_MS, win: window_ },
  );
}

async function renderTimes(page: Page): Promise<{ name: string; ms: number; detail: Record<string, unknown> }[]> {
  return page.evaluate(() =>
    performance
      .getEntriesByType('measure')
      .filter((m) => m.name.startsWith('l0-render:'))
      .map((m) => ({ name: m.name, ms: Math.round(m.duration * 10) / 10, detail: (m as PerformanceMeasure).detail as Record<string, unknown> })),
  );
}

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const { page } = await newAppPage(app.browser, url, { viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    const w = window as any;
    w.__longTasks = [];
    // Long animation frames: a task plus the rendering (style, layout, paint) it caused; long
    // tasks alone miss the layout of a big list, which is where a naive list spends its time.
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push([e.startTime, e.duration, (e as any).renderStart ?? 0]);
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
  await page.goto(url);
  await page.waitForSelector('.l0-app .task-form');
  return { page, errors };
}

function report(label: string, times: Awaited<ReturnType<typeof renderTimes>>, latencies: number[], longTask: number): void {
  const lines = times.map((t) => `  ${t.name.padEnd(20)} ${String(t.ms).padStart(8)} ms  ${JSON.stringify(t.detail)}`);
  console.log(`[render-dos] ${label}: 1+1 answered in max ${Math.round(Math.max(...latencies))} ms over ${latencies.length} probes; longest frame ${Math.round(longTask)} ms\n${lines.join('\n')}`);
}

describe('renderers under denial-of-service input', () => {
  it('100,000 facts, a 20 MB draft, a nesting bomb and a 10 MB answer: the run stays shown, the page answers, sessions reopen', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const model = await startOpenAIServer({ respond: (_m, req) => TURNS[Math.min(req.callIndex ?? 0, TURNS.length - 1)]! });
    try {
      const { page, errors } = await openPage(app.site.url);
      await useOpenAIEndpoint(page, model.url, 'test-model');

      // ---- run A: facts, 20 MB draft, nesting-bomb answer -------------------------------------
      let probe = probeResponsiveness(page);
      await runTask(page, TASK_A);
      await waitForRunEnd(page);
      let latencies = await probe.stop();
      report('run A (live)', await renderTimes(page), latencies, await longestTask(page));
      expect(await freezes(page)).toEqual([]);
      // The run is still shown, and finished (not "Run failed.").
      expect(await page.locator('.status-text').innerText()).toBe('Answered in 3 steps.');
      expect(await page.locator('.cell').count()).toBe(3);
      expect(await page.locator('.final-answer .render-note').innerText()).toMatch(/^Shown as plain text: it is nested more than 32 levels deep/);
      expect(await page.locator('.notepad .facts li').count()).toBe(100);
      expect(await page.locator('.notepad .facts-list + .show-all').innerText()).toBe('Show all 100,000 facts');
      expect(await page.locator('.notepad .draft h2').innerText()).toBe('Big draft');
      await page.screenshot({ path: join(SHOTS, 'dos-run-a.png') });

      // "Show all": the facts and the draft's rest appear in batches while the page keeps answering.
      probe = probeResponsiveness(page);
      const revealFrom = await page.evaluate(() => performance.now());
      await page.locator('.notepad .facts-list + .show-all').click();
      await page.waitForFunction(() => document.querySelectorAll('.notepad .facts li').length === 100_000, undefined, { timeout: 120_000 });
      await page.locator('.notepad .draft .markdown-rest + .show-all').click();
      await page.waitForFunction(() => document.querySelector('.notepad .draft .markdown-rest + .show-all')?.textContent === 'Show less', undefined, { timeout: 120_000 });
      const revealTo = await page.evaluate(() => performance.now());
      latencies = await probe.stop();
      const draftChars = await page.evaluate(() => document.querySelector('.notepad .draft')!.textContent!.length);
      expect(draftChars).toBeGreaterThan(20_000_000);
      report(`show all facts + draft (${Math.round(revealTo - revealFrom)} ms)`, [], latencies, await longestTask(page));
      expect(await freezes(page, { from: revealFrom, to: revealTo })).toEqual([]);

      // ---- run B: nesting-bomb draft, 10 MB answer --------------------------------------------
      await page.evaluate(() => performance.clearMeasures());
      probe = probeResponsiveness(page);
      await runTask(page, TASK_B);
      await waitForRunEnd(page);
      expect(await page.locator('.status-text').innerText()).toBe('Answered in 2 steps.');
      latencies = await probe.stop();
      report('run B (live)', await renderTimes(page), latencies, await longestTask(page));
      expect(await freezes(page)).toEqual([]);
      expect(await page.locator('.final-answer h1').innerText()).toBe('Long answer');
      expect(await page.locator('.final-answer .markdown-rest + .show-all').innerText()).toMatch(/^Show the rest \(9,9\d\d,\d{3} more characters, as plain text\)$/);
      expect(await page.locator('.notepad .draft .render-note').innerText()).toMatch(/^Shown as plain text/);
      await page.screenshot({ path: join(SHOTS, 'dos-run-b.png') });
      expect(errors).toEqual([]);

      // ---- after a reload, both sessions reopen from the sessions list --------------------------
      await page.reload();
      await page.waitForSelector('.l0-app .task-form');
      for (const [task, check] of [
        [TASK_A, '.notepad .draft h2'],
        [TASK_B, '.final-answer h1'],
      ] as const) {
        await page.evaluate(() => performance.clearMeasures());
        probe = probeResponsiveness(page);
        await page.locator('.session-list li[data-session-id]', { hasText: task }).locator('.session-open').click();
        await page.waitForSelector(check);
        await page.waitForFunction(() => !document.querySelector('.cells')?.childNodes.length || ![...document.querySelector('.cells')!.childNodes].some((n) => n.nodeType === Node.COMMENT_NODE));
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        latencies = await probe.stop();
        report(`reopen "${task}"`, await renderTimes(page), latencies, await longestTask(page));
        expect(await freezes(page)).toEqual([]);
        expect(await page.locator('.final-answer').isVisible()).toBe(true);
        expect(await page.locator('.cell').count()).toBe(task === TASK_A ? 3 : 2);
        expect(await page.locator('.banner').isVisible()).toBe(false);
      }
      await page.screenshot({ path: join(SHOTS, 'dos-reopened.png') });
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      await model.close();
    }
  }, 600_000);
});
