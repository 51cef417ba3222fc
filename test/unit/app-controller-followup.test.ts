// Follow-up questions in the app controller (src/app/): ask() continues the session shown in the
// same Python namespace when Python still holds it, and otherwise tells the model its variables
// are gone (or re-runs the saved cells). The real Pyodide sandbox (Node worker thread) where
// variables matter; FakeSandbox where only the calls do.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runAgent, type RunAgentOptions } from '../../src/agent/index';
import { createAppController, DEMO_ENGINE, DEMO_SCRIPT, followUpTarget, type AppController, type AppServices, type Demo, type NotebookChange } from '../../src/app/index';
import { ScriptedLLM } from '../../src/llm/scripted';
import { L0Error, type AgentEvent, type ChatMessage, type LLM, type Sandbox } from '../../src/protocols';
import { FakeSandbox } from '../../src/sandbox/fake';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { MemoryStore } from '../../src/store/index';

const turn = (code: string) => `<think>Go.</think>\n<code>\n${code}\n</code><end_code>`;
const FIRST = 'Set x to 21 and tell me x.';
const DOUBLE = 'Now multiply that by 2.';
const GONE_NOTE = '(This question runs in a fresh Python notebook; the notepad was kept. Variables, imports and functions from steps 1-2 are gone';

/**
 * A model that reads the conversation: the first question sets x; the follow-up multiplies x by
 * 2; after a cell it answers with what the cell printed (or says that x is gone). So each answer
 * proves what the model saw and what Python still held.
 */
function reactiveModel(messages: ChatMessage[]): string {
  const last = messages.at(-1)!.content;
  if (last.includes(`Follow-up question: ${DOUBLE}`)) return turn('print(x * 2)');
  if (messages.length === 2) return turn('x = 21\nprint(x)');
  const output = /<output>([\s\S]*?)<\/output>/.exec(last)?.[1]?.trim() ?? '';
  return turn(`submit_final_answer(${JSON.stringify(output.includes('NameError') ? 'x is gone' : output)})`);
}

/** FakeSandbox's answers to the cells above (variables are the real Python's business, above). */
const fakePython = (code: string) => {
  const answer = /submit_final_answer\(("(?:[^"\\]|\\.)*")\)/.exec(code)?.[1];
  if (answer) return { finalAnswer: JSON.parse(answer) as string };
  return { stdout: code.includes('x = 21') ? '21\n' : code.includes('print(x * 2)') ? '42\n' : '1\n' };
};

interface Harness {
  app: AppController;
  store: MemoryStore;
  llm: ScriptedLLM;
  sandboxes: Sandbox[];
  agentRuns: RunAgentOptions[];
  changes: NotebookChange[];
}

const apps: AppController[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.dispose()));
});

function harness(opts: { store?: MemoryStore; realPython?: boolean; llm?: LLM; engine?: Parameters<typeof createAppController>[0]['engine']; services?: Partial<AppServices>; maxSteps?: number; keepSessions?: number; demos?: readonly Demo[] } = {}): Harness {
  const store = opts.store ?? new MemoryStore();
  const llm = new ScriptedLLM(reactiveModel);
  const sandboxes: Sandbox[] = [];
  const agentRuns: RunAgentOptions[] = [];
  const changes: NotebookChange[] = [];
  const app = createAppController({
    services: {
      store: () => store,
      tools: () => [],
      createSandbox: async (tools, onProgress) => {
        const s = opts.realPython ? await createPyodideSandbox({ tools, onProgress }) : new FakeSandbox({ fallback: fakePython });
        sandboxes.push(s);
        return s;
      },
      createEngine: async () => opts.llm ?? llm,
      runAgent: (o) => {
        agentRuns.push(o);
        return runAgent(o);
      },
      ...opts.services,
    },
    engine: opts.engine ?? { kind: 'openai', baseUrl: 'http://model.test/v1', model: 'm' },
    settings: { maxSteps: opts.maxSteps ?? 4 },
    listSessions: true,
    keepSessions: opts.keepSessions,
    demos: opts.demos,
  });
  app.onNotebook((c) => changes.push(c));
  apps.push(app);
  return { app, store, llm, sandboxes, agentRuns, changes };
}

const events = (changes: NotebookChange[]): AgentEvent[] => changes.flatMap((c) => (c.type === 'event' ? [c.event] : []));
const noteOf = (messages: ChatMessage[]) => messages.findLast((m) => m.role === 'user' && m.content.includes('(This question runs in a fresh Python notebook'))?.content;

describe('ask() with the real Python', () => {
  it('continues the session in the same namespace: the model sees the earlier turns and uses x; Restart Python loses x and the model is told; restoreCells brings it back', async () => {
    const h = harness({ realPython: true });
    const first = await h.app.run(FIRST);
    expect(first.trajectory).toMatchObject({ status: 'answered', finalAnswer: '21' });
    const id = h.app.state.sessionId!;
    expect(h.app.state.python.session).toBe(id);
    expect(followUpTarget(h.app.state)?.sessionId).toBe(id);
    const before = h.changes.length;

    const second = await h.app.ask(`  ${DOUBLE}  `);
    expect(second.error).toBeUndefined();
    expect(second.trajectory).toMatchObject({ sessionId: id, status: 'answered', finalAnswer: '42', task: FIRST });
    expect(second.trajectory?.turns?.map((t) => [t.question, t.status, t.finalAnswer])).toEqual([
      [FIRST, 'answered', '21'],
      [DOUBLE, 'answered', '42'],
    ]);
    // The run was told to keep the namespace, and the notebook was not cleared.
    expect(h.agentRuns[1]).toMatchObject({ followUp: DOUBLE, sameSandbox: true, restoreCells: false, resumeFrom: { sessionId: id } });
    expect(h.changes.slice(before).some((c) => c.type === 'clear' || c.type === 'load')).toBe(false);
    expect(events(h.changes.slice(before))[0]).toMatchObject({ type: 'start', turn: 2, question: DOUBLE, followUp: true });
    expect(h.sandboxes).toHaveLength(1);
    // What the model saw: the first question, the step that answered it, then the follow-up (no note).
    const seen = h.llm.calls[2]!;
    expect(seen[1]).toMatchObject({ role: 'user' });
    expect(seen[1]!.content.startsWith(FIRST)).toBe(true);
    expect(seen.some((m) => m.role === 'assistant' && m.content.includes('submit_final_answer("21")'))).toBe(true);
    expect(seen.at(-1)!.content).toContain(`Follow-up question: ${DOUBLE}`);
    expect(noteOf(seen)).toBeUndefined();
    // The view state: the session's first question stays its task; the answer and the step limit are this question's.
    expect(h.app.state).toMatchObject({ phase: 'idle', task: FIRST, answer: '42', status: 'Answered in 2 steps.', maxSteps: 2 + 4, error: undefined });
    expect((await h.store.loadSession(id))?.turns).toHaveLength(2);
    expect(h.app.state.sessions.find((s) => s.id === id)).toMatchObject({ questionCount: 2, stepCount: 4 });

    // Restart Python: x is gone, and the model is told so in the follow-up's own message.
    await h.app.restartPython();
    expect(h.app.state.python).toMatchObject({ state: 'ready', session: undefined });
    const third = await h.app.ask(DOUBLE);
    expect(third.trajectory).toMatchObject({ status: 'answered', finalAnswer: 'x is gone' });
    expect(h.agentRuns[2]).toMatchObject({ sameSandbox: false, restoreCells: false });
    expect(noteOf(h.llm.calls.at(-2)!)).toContain('Variables, imports and functions from steps 1-4 are gone');
    expect(events(h.changes).some((e) => e.type === 'resumed')).toBe(true);
    expect(h.app.state.python.session).toBe(id); // the fresh Python holds the session now

    // Restart again and re-run the saved cells: x = 21 comes back before the question.
    await h.app.restartPython();
    const fourth = await h.app.ask(DOUBLE, true);
    expect(fourth.trajectory).toMatchObject({ status: 'answered', finalAnswer: '42' });
    expect(h.agentRuns[3]).toMatchObject({ sameSandbox: false, restoreCells: true });
    expect(noteOf(h.llm.calls.at(-2)!)).toMatch(/was run again, so their variables are back/);
    expect(h.sandboxes).toHaveLength(3);
    expect(fourth.trajectory?.turns).toHaveLength(4);
  });

  it('another session ran in between: opening the first and asking gets a fresh namespace (no variable leaks across sessions)', async () => {
    const h = harness({ realPython: true });
    await h.app.run(FIRST);
    const a = h.app.state.sessionId!;
    await h.app.run(FIRST); // session B sets its own x = 21 in the same interpreter (after a reset)
    const b = h.app.state.sessionId!;
    expect(b).not.toBe(a);
    await h.app.openSession(a);
    expect(h.app.state.python.session).toBe(b);
    const asked = await h.app.ask(DOUBLE);
    // Python held B: A's question runs in a fresh namespace, where B's x is not visible either.
    expect(h.agentRuns.at(-1)).toMatchObject({ sameSandbox: false });
    expect(asked.trajectory).toMatchObject({ sessionId: a, status: 'answered', finalAnswer: 'x is gone' });
    expect(noteOf(h.llm.calls.at(-2)!)).toContain(GONE_NOTE);
    expect(h.sandboxes).toHaveLength(1);
  });
});

describe('ask() and the Python slot (FakeSandbox)', () => {
  it('a reload: a new controller over the same store opens the session and asks in a fresh sandbox, with restoreCells when asked', async () => {
    const store = new MemoryStore();
    const before = harness({ store });
    await before.app.run(FIRST);
    const id = before.app.state.sessionId!;
    await before.app.dispose();

    const h = harness({ store });
    await h.app.openSession(id);
    expect(followUpTarget(h.app.state)?.sessionId).toBe(id);
    expect(h.app.state.python.session).toBeUndefined();
    expect((await h.app.ask(DOUBLE, true)).trajectory?.turns).toHaveLength(2);
    expect(h.agentRuns[0]).toMatchObject({ followUp: DOUBLE, sameSandbox: false, restoreCells: true });
    expect((h.sandboxes[0] as FakeSandbox).cells[0]).toBe('x = 21\nprint(x)'); // the saved cell ran again first
    expect(h.app.state.python.session).toBe(id);
    // The next follow-up keeps that sandbox: nothing re-run, nothing reset.
    await h.app.ask('And once more?', true);
    expect(h.agentRuns[1]).toMatchObject({ sameSandbox: true, restoreCells: false });
    expect((h.sandboxes[0] as FakeSandbox).resets).toBe(0);
  });

  it('"New session" after a follow-up starts from scratch: the notebook is cleared and the namespace is fresh', async () => {
    const h = harness();
    await h.app.run(FIRST);
    await h.app.ask(DOUBLE);
    h.app.newSession();
    expect(h.app.state).toMatchObject({ sessionId: undefined, trajectory: undefined, answer: undefined });
    expect(followUpTarget(h.app.state)).toBeUndefined();
    expect((await h.app.ask(DOUBLE)).error?.message).toMatch(/no session to follow up/);
    const clears = h.changes.filter((c) => c.type === 'clear').length;
    const fresh = await h.app.run('Another task.');
    expect(fresh.trajectory?.turns).toHaveLength(1);
    expect(h.changes.filter((c) => c.type === 'clear').length).toBe(clears + 1);
    expect((h.sandboxes[0] as FakeSandbox).resets).toBe(1);
    expect(h.agentRuns.at(-1)?.resumeFrom).toBeUndefined();
  });

  it('Stop during a follow-up ends it as stopped; the session can be followed up again in the same namespace', async () => {
    let slow = false;
    const llm = new ScriptedLLM((m) => (slow ? turn(`print(1)  # ${'think '.repeat(400)}`) : reactiveModel(m)), { tokenDelayMs: 2 });
    const h = harness({ llm });
    await h.app.run(FIRST);
    slow = true;
    const asking = h.app.ask('Think for long.');
    await vi.waitFor(() => expect(events(h.changes).filter((e) => e.type === 'start')).toHaveLength(2));
    expect(followUpTarget(h.app.state)).toBeUndefined(); // no follow-up box while it runs
    expect(h.app.state.answer).toBeUndefined(); // the previous answer moved into the notebook
    await h.app.stop();
    const stopped = await asking;
    expect(stopped.trajectory?.status).toBe('aborted');
    expect(h.app.state).toMatchObject({ phase: 'idle', status: 'Stopped.' });
    expect(followUpTarget(h.app.state)?.status).toBe('aborted');
    slow = false;
    const again = await h.app.ask(DOUBLE);
    expect(again.trajectory?.turns?.map((t) => t.status)).toEqual(['answered', 'aborted', 'answered']);
    expect(h.agentRuns.at(-1)).toMatchObject({ sameSandbox: true });
  });

  it('a follow-up that cannot start (the model fails to load) keeps the answer and the session shown', async () => {
    let loads = 0;
    const h = harness({
      services: {
        createEngine: async () => {
          if (++loads === 1) return new ScriptedLLM(reactiveModel);
          throw new L0Error({ kind: 'network', message: 'The endpoint is down.' });
        },
      },
      engine: { kind: 'replay', turns: [] }, // a replay engine loads afresh for every run
    });
    await h.app.run(FIRST);
    const outcome = await h.app.ask(DOUBLE);
    expect(outcome.error).toMatchObject({ kind: 'network' });
    expect(h.app.state).toMatchObject({ answer: '21', error: { kind: 'network' } });
    expect(followUpTarget(h.app.state)?.finalAnswer).toBe('21');
  });

  it('a widget that keeps no sessions (keepSessions: 0) still takes follow-ups: the session shown is held in memory', async () => {
    const h = harness({ keepSessions: 0 });
    await h.app.run(FIRST);
    expect(await h.store.listSessions()).toEqual([]);
    const asked = await h.app.ask(DOUBLE);
    expect(asked.error).toBeUndefined();
    expect(asked.trajectory).toMatchObject({ status: 'answered', finalAnswer: '42', turns: [{ question: FIRST }, { question: DOUBLE }] });
    expect(h.app.state.error).toBeUndefined();
    expect(await h.store.listSessions()).toEqual([]);
  });

  it('refuses what cannot be asked: an empty question, a run in progress, the demo model', async () => {
    const h = harness();
    expect((await h.app.ask('Anything?')).error?.message).toMatch(/no session to follow up/);
    await h.app.run(FIRST);
    expect((await h.app.ask('   ')).error?.message).toMatch(/empty/);
    expect(h.app.state.status).toBe('Write a question first.');
    expect(h.agentRuns).toHaveLength(1);

    const slow = harness({ llm: new ScriptedLLM(() => turn(`print(1)  # ${'x'.repeat(2000)}`), { tokenDelayMs: 2 }) });
    const running = slow.app.run(FIRST);
    await vi.waitFor(() => expect(slow.app.state.step).toBe(1));
    expect((await slow.app.ask(DOUBLE)).error?.message).toMatch(/in progress/);
    await slow.app.stop();
    await running;

    // The demo replays recorded runs (here FIRST's): a follow-up would replay it again.
    const demo = harness({ engine: DEMO_ENGINE, demos: [{ task: FIRST, script: DEMO_SCRIPT }], services: { createEngine: async () => new ScriptedLLM(reactiveModel) } });
    await demo.app.run(FIRST, { engine: DEMO_ENGINE });
    const refused = await demo.app.ask(DOUBLE);
    expect(refused.error).toMatchObject({ detail: { reason: 'choose-engine' } });
    expect(demo.agentRuns).toHaveLength(1);
  });

  it('Continue on an answered session runs nothing and leaves Python alone (the view offers the follow-up box instead)', async () => {
    const h = harness();
    await h.app.run(FIRST);
    const id = h.app.state.sessionId!;
    await h.app.run('Another task.');
    const other = h.app.state.sessionId!;
    const continued = await h.app.continueSession(id);
    expect(continued.trajectory).toMatchObject({ sessionId: id, status: 'answered', finalAnswer: '21', steps: [{}, {}] });
    expect(h.llm.calls).toHaveLength(4);
    expect(h.agentRuns).toHaveLength(2);
    expect((h.sandboxes[0] as FakeSandbox).resets).toBe(1); // only the second task's; Python still holds it
    expect(h.app.state.python.session).toBe(other);
    expect(h.app.state.status).toBe('Session: answered · 2 steps · ask a follow-up question to go on');
    expect(followUpTarget(h.app.state)?.sessionId).toBe(id);
  });

  it('a follow-up in a session stopped at its step limit gets its own step budget, and the step labels count from the session', async () => {
    const h = harness({ maxSteps: 1 });
    const first = await h.app.run(FIRST);
    expect(first.trajectory?.status).toBe('max-steps');
    const asked = await h.app.ask(DOUBLE);
    expect(asked.trajectory?.steps).toHaveLength(2);
    expect(asked.trajectory?.status).toBe('max-steps');
    expect(h.app.state.maxSteps).toBe(2);
    const maxes = h.changes.flatMap((c) => (c.type === 'event' && c.event.type === 'step-start' ? [[c.event.step, c.maxSteps]] : []));
    expect(maxes).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(h.app.state.status).toBe('Stopped at the step limit (1) without an answer.');
  });
});
