// The eval runner and the corpus tools in the built page (dist/harness.html) in Chromium: a
// scripted agent calls search_corpus from Pyodide in a Web Worker, reads a document and answers;
// the runner scores it and exports RL JSONL, all in the page.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { newAppPage } from '../support/warm-start-seed';

const items = readFileSync('data/qa/hotpotqa.jsonl', 'utf8').trim().split('\n').slice(0, 3).map((l) => JSON.parse(l));

let browser: Browser;
let server: StaticServer;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startStaticServer({ root: 'dist', basePath: '/', isolation: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('eval in the browser', () => {
  it('a scripted agent answers HotpotQA questions from search_corpus over their own paragraphs', async () => {
    const { page } = await newAppPage(browser, server.url + 'harness.html');
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url.replace(/\/$/, '')) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    await page.goto(server.url + 'harness.html');
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
    interface Row { id: string; em: number; status: string; steps: number; calls: [string, boolean][]; stdout: string }
    const out: { records: Row[]; summary: { overall: { em: number } }; rlLines: number } = await page.evaluate(async (items) => {
      const l0 = (window as unknown as { l0: any }).l0;
      // Step 1 searches and reads the top document; step 2 answers: gold for the first two, wrong for the third.
      const llmFor = (item: any) =>
        new l0.ScriptedLLM((messages: { role: string }[]) => {
          const step = messages.filter((m) => m.role === 'assistant').length + 1;
          if (step === 1) {
            return `<think>I will search the local documents first.</think>\n<code>\nhits = search_corpus(${JSON.stringify(item.question)}, k=3)\ndoc = read_document(hits[0]["id"])\nprint(hits[0]["title"], len(doc["text"]))\n</code>`;
          }
          const answer = item === items[2] ? 'a wrong answer' : item.answers[0];
          return `<think>The paragraphs answer the question.</think>\n<code>\nsubmit_final_answer(${JSON.stringify(answer)})\n</code>`;
        }, { id: 'scripted-browser' });
      // The app's corpus tool names (the eval's default 'corpus' mode uses L0's web tool names).
      const records = await l0.runEval({ items, llmFor, tools: 'app-corpus', maxSteps: 4 });
      const summary = l0.summarize(records);
      const rl = l0.exportRLJsonl(records.map((r: any) => ({ trajectory: r.trajectory, golds: r.golds, id: r.id })));
      return {
        records: records.map((r: any) => ({
          id: r.id, em: r.em, status: r.status, steps: r.steps,
          calls: r.trajectory.steps[0].cell.toolCalls.map((c: any) => [c.name, c.ok]),
          stdout: r.trajectory.steps[0].cell.stdout,
        })),
        summary,
        rlLines: rl.trim().split('\n').length,
      };
    }, items);

    expect(out.records.map((r) => r.id).sort()).toEqual(items.map((i) => i.id).sort());
    const byId = new Map(out.records.map((r) => [r.id, r]));
    for (const [i, item] of items.entries()) {
      const r = byId.get(item.id)!;
      expect(r.status).toBe('answered');
      expect(r.steps).toBe(2);
      expect(r.em).toBe(i === 2 ? 0 : 1);
      expect(r.calls).toEqual([['search_corpus', true], ['read_document', true]]);
      const titles = item.context.map((c: { title: string }) => c.title);
      expect(titles.some((t: string) => r.stdout.startsWith(`${t} `))).toBe(true);
    }
    expect(out.summary.overall.em).toBeCloseTo(2 / 3, 12);
    expect(out.rlLines).toBe(3);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
