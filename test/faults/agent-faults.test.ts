// Faults around the agent loop in the built app (harness) in Chromium: the Python worker killed
// mid-cell, the model engine crashing mid-stream, an IndexedDB quota error, and a tab reload in the
// middle of a step. In each: the app stays usable, saved steps and the notepad are intact (zero
// data lost), and the failure is reported as data the UI shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { StaticServer } from '../support/static-server';
import { serveDist } from '../security/support/targets';
import { newAppPage } from '../support/warm-start-seed';

let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchChromium();
  server = await serveDist(true);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function harness(): Promise<Page> {
  const { page } = await newAppPage(browser, server.url);
  // Keep a handle on every worker the page creates, so the test can kill one like a crash would.
  await page.addInitScript(() => {
    const w = window as any;
    w.__workers = [];
    const Orig = w.Worker;
    w.Worker = class extends Orig {
      constructor(...args: any[]) {
        super(...args);
        w.__workers.push(this);
      }
    };
  });
  await page.goto(server.url + 'harness.html');
  await page.waitForFunction(() => (window as any).l0Ready === true);
  return page;
}

const turn = (code: string, think = 'Next step.') => `<think>${think}</think>\n<code>\n${code}\n</code>\n<end_code>`;

describe('agent and worker faults', () => {
  it('killing the Python worker mid-cell: the cell reports a restart, the notepad survives, the next cell runs', async () => {
    const page = await harness();
    const r = await page.evaluate(async () => {
      const w = window as any;
      const sb = await w.l0.createPyodideSandbox({ timeoutMs: 20_000 });
      await sb.runCell('notepad.add_facts("before the crash")');
      // The worker is killed once the cell is surely running (its first line printed).
      let started!: () => void;
      const inLoop = new Promise<void>((res) => (started = res));
      const running = sb.runCell('import time\nprint("looping", flush=True)\nwhile True:\n    time.sleep(0.05)', { timeoutMs: 3_000, onStream: () => started() });
      await inLoop;
      w.__workers.at(-1).terminate();
      const killed = await running;
      const next = await sb.runCell('print(6 * 7)');
      const notepad = await sb.getNotepad();
      await sb.dispose();
      return { killed: { status: killed.status, restarted: killed.restarted, stderr: killed.stderr }, next: next.stdout, notepad };
    });
    expect(r.killed.status).not.toBe('ok');
    expect(r.killed.restarted).toBe(true);
    expect(r.killed.stderr).toMatch(/restarted/);
    expect(r.next).toContain('42');
    expect(r.notepad.facts).toEqual(['before the crash']);
  });

  it('model engine crash mid-stream: run ends with the error, saved steps and notepad intact', async () => {
    const page = await harness();
    const r = await page.evaluate(
      async ({ t1 }) => {
        const l0 = (window as any).l0;
        const scripted = new l0.ScriptedLLM([t1]);
        let calls = 0;
        const llm = {
          id: 'crashy',
          async generate(messages: unknown, options: any) {
            calls += 1;
            if (calls === 1) return scripted.generate(messages, options);
            options?.onToken?.('<think>Half a thou');
            throw new l0.L0Error({ kind: 'device-lost', message: 'WebGPU device was lost' });
          },
        };
        const sandbox = await l0.createPyodideSandbox();
        const store = l0.createIndexedDBStore('l0-fault-engine');
        const run = l0.runAgent({ task: 't', llm, sandbox, notepadStore: store, sessionId: 's1', maxSteps: 5 });
        const events: any[] = [];
        for await (const e of run) events.push(e);
        const traj = await run.trajectory;
        const saved = await store.loadSession('s1');
        const notepad = await store.loadNotepad('s1');
        const next = await sandbox.runCell('print("still usable")');
        await sandbox.dispose();
        return {
          status: traj.status,
          error: traj.error,
          errorEvents: events.filter((e) => e.type === 'error').map((e) => e.error.kind),
          savedSteps: saved?.steps.length,
          notepad,
          next: next.stdout,
        };
      },
      { t1: turn('notepad.add_facts("step one fact")') },
    );
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('device-lost');
    expect(r.errorEvents).toContain('device-lost');
    expect(r.savedSteps).toBe(1);
    expect(r.notepad?.facts).toEqual(['step one fact']);
    expect(r.next).toContain('still usable');
  });

  it('IndexedDB quota error: reported as a storage error, the run continues, earlier saves intact', async () => {
    const page = await harness();
    const r = await page.evaluate(
      async ({ turns }) => {
        const l0 = (window as any).l0;
        const real = l0.createIndexedDBStore('l0-fault-quota');
        let quota = false;
        const quotaError = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        // The real IndexedDB store, with writes failing like a full disk once step 1 is saved.
        const store = {
          loadNotepad: (id: string) => real.loadNotepad(id),
          saveNotepad: (id: string, s: unknown) => (quota ? Promise.reject(quotaError()) : real.saveNotepad(id, s)),
          appendStep: async (id: string, s: any) => {
            if (quota) throw quotaError();
            await real.appendStep(id, s);
            quota = true;
          },
          saveRun: (id: string, run: unknown) => (quota ? Promise.reject(quotaError()) : real.saveRun(id, run)),
        };
        const sandbox = await l0.createPyodideSandbox();
        const run = l0.runAgent({ task: 't', llm: new l0.ScriptedLLM(turns), sandbox, notepadStore: store, sessionId: 'q1', maxSteps: 5 });
        const events: any[] = [];
        for await (const e of run) events.push(e);
        const traj = await run.trajectory;
        await sandbox.dispose();
        return {
          status: traj.status,
          answer: traj.finalAnswer,
          storageErrors: events.filter((e) => e.type === 'error').map((e) => `${e.error.kind}: ${e.error.message}`),
          savedNotepad: await real.loadNotepad('q1'),
          savedSteps: (await real.loadSession('q1'))?.steps.length ?? 0,
        };
      },
      { turns: [turn('notepad.add_facts("saved fact")'), turn('notepad.add_facts("unsaved fact")'), turn('submit_final_answer("done")')] },
    );
    expect(r.status).toBe('answered');
    expect(r.answer).toBe('done');
    expect(r.storageErrors.length).toBeGreaterThan(0);
    expect(r.storageErrors[0]).toMatch(/^storage: .*quota/i);
    expect(r.savedNotepad?.facts).toEqual(['saved fact']);
    expect(r.savedSteps).toBe(1);
  });

  it('tab reload mid-step: saved steps and notepad intact after reload, and a new sandbox runs', async () => {
    const page = await harness();
    await page.evaluate(
      async ({ turns }) => {
        const l0 = (window as any).l0;
        const sandbox = await l0.createPyodideSandbox();
        const store = l0.createIndexedDBStore('l0-fault-reload');
        // Slow streaming: step 2 is still generating when the tab reloads.
        const llm = new l0.ScriptedLLM(turns, { tokenDelayMs: 40 });
        const run = l0.runAgent({ task: 't', llm, sandbox, notepadStore: store, sessionId: 'r1', maxSteps: 5 });
        (window as any).__run = run;
        for await (const e of run) if (e.type === 'step-end' && e.step === 1) break;
      },
      {
        turns: [
          turn('notepad.add_facts("fact before reload")\nnotepad.write_draft("draft 1")'),
          turn('notepad.add_facts("never saved")', 'This step is long. '.repeat(80)),
        ],
      },
    );
    // Step 1's saves land, then the tab reloads in the middle of step 2's generation.
    await expect
      .poll(() => page.evaluate(async () => ((await (window as any).l0.createIndexedDBStore('l0-fault-reload').loadSession('r1'))?.steps?.length ?? 0)))
      .toBeGreaterThanOrEqual(1);
    await page.reload();
    await page.waitForFunction(() => (window as any).l0Ready === true);
    const r = await page.evaluate(async () => {
      const l0 = (window as any).l0;
      const store = l0.createIndexedDBStore('l0-fault-reload');
      const session = await store.loadSession('r1');
      const notepad = await store.loadNotepad('r1');
      const sandbox = await l0.createPyodideSandbox({ notepad });
      const cell = await sandbox.runCell('print(notepad.facts)');
      await sandbox.dispose();
      return { steps: session?.steps.map((s: any) => s.index), notepad, restored: cell.stdout };
    });
    expect(r.steps).toEqual([1]);
    expect(r.notepad).toMatchObject({ facts: ['fact before reload'], draft: 'draft 1' });
    expect(r.restored).toContain('fact before reload');
  });
});
