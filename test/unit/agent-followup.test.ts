// Follow-up questions in one session, against the REAL Pyodide sandbox in Node: the context layout
// and its KV prefix over three questions, the same namespace across questions, a fresh sandbox
// (variables gone, or re-created), memory collapse keeping every question, the step limit per
// question, and a reload in the middle of a follow-up (saved in a real store) continued.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messagesForStep, runAgent, type RunAgentOptions } from '../../src/agent';
import { renderNotepad } from '../../src/agent/notepad-render';
import { ScriptedLLM } from '../../src/llm/scripted';
import { turnsOf, type AgentEvent, type ChatMessage, type NotepadState, type NotepadStore, type Sandbox, type Trajectory, type TrajectoryStep } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox';
import { MemoryStore } from '../../src/store';
import { collect, eventSequence, RecordingStore } from './agent-support';

const turn = (code: string, think = 'Next.') => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
const outputOf = (observation: string) => /<output>\n([\s\S]*?)\n<\/output>/.exec(observation)?.[1] ?? '';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createPyodideSandbox({ timeoutMs: 5000 });
});
afterAll(async () => {
  await sandbox?.dispose();
});
beforeEach(async () => {
  await sandbox.reset({ clearNotepad: true });
});

const Q1 = 'What is 21 times 2?';
const Q2 = 'Now multiply that by 2.';
const Q3 = 'And add 1?';

/** Runs one question of a session and checks that the model saw exactly the rebuilt context. */
async function ask(llm: ScriptedLLM, options: Partial<RunAgentOptions>) {
  const before = llm.calls.length;
  const run = runAgent({ llm, sandbox, maxSteps: 5, sessionId: 'follow', ...options });
  const events = await collect(run);
  const traj = await run.trajectory;
  const first = (options.resumeFrom?.steps.length ?? 0) + 1;
  llm.calls.slice(before).forEach((messages, i) => expect(messages).toEqual(messagesForStep(traj, first + i)));
  return { events, traj };
}

const startOf = (events: AgentEvent[]) => events.find((e): e is Extract<AgentEvent, { type: 'start' }> => e.type === 'start')!;

function expectNoConsecutiveUserMessages(messages: ChatMessage[]) {
  messages.forEach((m, i) => {
    if (i > 0) expect(`${messages[i - 1]!.role}>${m.role}`).not.toBe('user>user');
  });
}

/** Every request starts with the previous request's messages, byte for byte (unless history collapsed before it). */
function expectStablePrefix(calls: ChatMessage[][], collapsedAt: ReadonlySet<number> = new Set()) {
  for (let i = 1; i < calls.length; i++) {
    if (collapsedAt.has(i)) continue;
    expect(calls[i]!.slice(0, calls[i - 1]!.length)).toEqual(calls[i - 1]);
  }
}

describe('follow-up questions', () => {
  it('three questions in one notebook: variables and notepad carry over, the context only grows', async () => {
    const llm = new ScriptedLLM([
      turn("x = 21 * 2\nnotepad.add_facts([f'x = {x}'])\nprint(x)", 'Compute x.'),
      turn('submit_final_answer(str(x))', 'Answer.'),
      turn('y = x * 2\nprint(y)', 'x is still defined.'),
      turn('submit_final_answer(str(y))', 'Answer the follow-up.'),
      turn('submit_final_answer(str(y + 1))', 'One more.'),
    ]);
    const store = new RecordingStore();
    const one = await ask(llm, { task: Q1, notepadStore: store });
    expect(one.traj).toMatchObject({ status: 'answered', finalAnswer: '42' });
    expect(startOf(one.events)).toMatchObject({ turn: 1, question: Q1, followUp: false });

    const two = await ask(llm, { resumeFrom: one.traj, followUp: Q2, sameSandbox: true, notepadStore: store });
    expect(eventSequence(two.events).slice(0, 2)).toEqual(['start', 'step-start']); // same notebook: no 'resumed' note
    expect(startOf(two.events)).toMatchObject({ sessionId: 'follow', task: Q1, turn: 2, question: Q2, followUp: true });
    expect(two.events.find((e) => e.type === 'step-start')).toMatchObject({ step: 3 });
    expect(two.traj.steps[2]!.cell).toMatchObject({ status: 'ok', stdout: '84\n' });
    expect(two.traj).toMatchObject({ status: 'answered', finalAnswer: '84', task: Q1 });

    const three = await ask(llm, { resumeFrom: two.traj, followUp: Q3, sameSandbox: true, notepadStore: store });
    const traj = three.traj;
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '85', task: Q1 });

    // The follow-up's message: the answer step's output (never shown before), the question, the notepad.
    const notepad: NotepadState = { todos: [], facts: ['x = 42'], draft: '' };
    expect(llm.calls[2]!.slice(0, 4)).toEqual(llm.calls[1]);
    expect(llm.calls[2]!.slice(4)).toEqual([
      { role: 'assistant', content: turn('submit_final_answer(str(x))', 'Answer.') },
      { role: 'user', content: `<output>\nFinal answer submitted: 42\n</output>\n\nFollow-up question: ${Q2}\n\n${renderNotepad(notepad)}` },
    ]);
    expect(llm.calls[4]!.at(-1)!.content).toBe(`<output>\nFinal answer submitted: 84\n</output>\n\nFollow-up question: ${Q3}\n\n${renderNotepad(notepad)}`);
    expectStablePrefix(llm.calls);
    llm.calls.forEach(expectNoConsecutiveUserMessages);

    // Three questions, each with its steps, answer and status; the store has every step and the turns.
    const turns = turnsOf(traj);
    expect(turns.map((t) => [t.index, t.question, t.firstStep, t.steps.map((s) => s.index), t.status, t.finalAnswer])).toEqual([
      [1, Q1, 1, [1, 2], 'answered', '42'],
      [2, Q2, 3, [3, 4], 'answered', '84'],
      [3, Q3, 5, [5], 'answered', '85'],
    ]);
    expect(traj.turns?.every((t) => t.note === undefined)).toBe(true);
    expect(store.steps.get('follow')?.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
    expect(store.runs.get('follow')?.turns).toEqual(traj.turns);
    expect(store.log.filter((l) => l.startsWith('run:')).at(-1)).toBe('run:follow:answered');
  });

  it('a fresh sandbox: the model is told in the follow-up message that its variables are gone', async () => {
    const llm = new ScriptedLLM([turn('x = 42\nsubmit_final_answer(str(x))'), turn('print(x * 2)'), turn('x = 42\nsubmit_final_answer(str(x * 2))')]);
    const one = await ask(llm, { task: Q1 });
    await sandbox.reset({ clearNotepad: true }); // a page reload: a new notebook
    const two = await ask(llm, { resumeFrom: structuredClone(one.traj), followUp: Q2 });
    const resumed = two.events.find((e): e is Extract<AgentEvent, { type: 'resumed' }> => e.type === 'resumed')!;
    expect(resumed).toMatchObject({ step: 2, restoredCells: 0, variablesRestored: false });
    expect(eventSequence(two.events).slice(0, 3)).toEqual(['start', 'resumed', 'step-start']);
    // One user message: output, the note, the question, the notepad.
    const message = llm.calls[1]!.at(-1)!.content;
    expect(message).toBe(`<output>\nFinal answer submitted: 42\n</output>\n\n${resumed.note}\n\nFollow-up question: ${Q2}\n\n${renderNotepad({ todos: [], facts: [], draft: '' })}`);
    expect(resumed.note).toMatch(/fresh Python notebook.*Variables, imports and functions from step 1 are gone/);
    expectNoConsecutiveUserMessages(llm.calls[1]!);
    expect(llm.calls[1]!.slice(0, 2)).toEqual(llm.calls[0]);
    expect(outputOf(two.traj.steps[1]!.observation)).toContain("NameError: name 'x' is not defined");
    expect(two.traj.turns?.[1]).toMatchObject({ question: Q2, note: resumed.note, status: 'answered', finalAnswer: '84' });
    expect(two.traj.settings.resumeNotes ?? []).toEqual([]);
  });

  it('a fresh sandbox with restoreCells: earlier cells run again, the follow-up uses x', async () => {
    const llm = new ScriptedLLM([turn("x = 21 * 2\nnotepad.add_todo(['double x'])"), turn('submit_final_answer(str(x))'), turn('submit_final_answer(str(x * 2))')]);
    const one = await ask(llm, { task: Q1 });
    await sandbox.reset({ clearNotepad: true });
    const two = await ask(llm, { resumeFrom: structuredClone(one.traj), followUp: Q2, restoreCells: true });
    expect(two.events.find((e) => e.type === 'resumed')).toMatchObject({ restoredCells: 1, variablesRestored: true });
    expect(llm.calls[2]!.at(-1)!.content).toMatch(/the 1 earlier cell that ran without errors was run again, so their variables are back\.\)\n\nFollow-up question: /);
    expect(two.traj).toMatchObject({ status: 'answered', finalAnswer: '84' });
    expect(two.traj.steps[2]!.notepad.todos).toEqual([{ text: 'double x', done: false }]);
  });

  it('maxSteps counts per question; continuing a question stopped at the limit gives it a new budget', async () => {
    const llm = new ScriptedLLM([
      turn('a = 1'),
      turn('submit_final_answer(str(a))'),
      turn('a += 1'),
      turn('a += 1'),
      turn('submit_final_answer(str(a))'),
    ]);
    const one = await ask(llm, { task: Q1, maxSteps: 2 });
    expect(one.traj).toMatchObject({ status: 'answered' });
    // Two steps were used by the first question; the follow-up still gets two of its own.
    const two = await ask(llm, { resumeFrom: one.traj, followUp: Q2, sameSandbox: true, maxSteps: 2 });
    expect(two.traj.status).toBe('max-steps');
    expect(two.traj.steps).toHaveLength(4);
    expect(turnsOf(two.traj).map((t) => [t.steps.length, t.status])).toEqual([
      [2, 'answered'],
      [2, 'max-steps'],
    ]);
    // Continue (no new question): the follow-up goes on with a new budget, and answers.
    const three = await ask(llm, { resumeFrom: two.traj, sameSandbox: true, maxSteps: 2 });
    expect(startOf(three.events)).toMatchObject({ turn: 2, question: Q2, followUp: false });
    expect(three.traj).toMatchObject({ status: 'answered', finalAnswer: '3' });
    expect(turnsOf(three.traj).map((t) => t.steps.map((s) => s.index))).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('memory collapse keeps system prompt, every question in order (capped) and the notepad', async () => {
    const long = `${Q3} ${'Explain it at length please. '.repeat(80)}`;
    const chatter = (i: number) => turn(`notepad.add_facts(['fact ${i}'])\nfor r in range(12):\n    print('row', r, '=' * 40)`, `Step ${i}.`);
    const llm = new ScriptedLLM([turn('x = 1\nsubmit_final_answer("1")'), turn('submit_final_answer("2")'), chatter(3), chatter(4), chatter(5), turn('submit_final_answer("done")')]);
    const memoryTokens = 1500;
    const one = await ask(llm, { task: Q1, memoryTokens });
    const two = await ask(llm, { resumeFrom: one.traj, followUp: Q2, sameSandbox: true, memoryTokens });
    const three = await ask(llm, { resumeFrom: two.traj, followUp: long, sameSandbox: true, memoryTokens });
    const traj = three.traj;
    const collapsed = traj.steps.filter((s) => s.collapsedBefore).map((s) => s.index);
    expect(collapsed.length).toBeGreaterThan(0);
    const prompt = llm.calls[collapsed[0]! - 1]!;
    expect(prompt).toHaveLength(2);
    const text = prompt[1]!.content;
    const order = [Q1, `Follow-up question: ${Q2}`, `Follow-up question: ${Q3} Explain it`, `Steps 1-${collapsed[0]! - 1} were cleared`, '<notepad>'].map((s) => text.indexOf(s));
    expect(order.every((p) => p >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toMatch(/characters of this question cut to fit the memory budget\]/);
    expect(text).toContain(`- fact ${collapsed[0]! - 1}`);
    expect(text.length).toBeLessThan(long.length);
    // Before the collapse the prefix was stable across all three questions.
    expectStablePrefix(llm.calls, new Set(collapsed.map((i) => i - 1)));
    expect(traj.status).toBe('answered');
  });

  it('an answered session without a follow-up is returned as is; an empty follow-up is refused', async () => {
    const llm = new ScriptedLLM([turn('submit_final_answer("42")')]);
    const one = await ask(llm, { task: Q1 });
    const again = await ask(llm, { resumeFrom: one.traj });
    expect(eventSequence(again.events)).toEqual(['start', 'done']);
    expect(again.traj).toEqual(one.traj);
    const blank = await ask(llm, { resumeFrom: one.traj, followUp: '  ' });
    expect(eventSequence(blank.events)).toEqual(['start', 'error:internal', 'done']);
    expect(blank.traj).toEqual(one.traj);
    expect(llm.calls).toHaveLength(1);
  });

  it('a resume note that never reached a step moves into the next question\'s message', async () => {
    const llm = new ScriptedLLM([turn('x = 1'), turn('never generated'), turn('submit_final_answer("ok")')]);
    const one = await ask(llm, { task: Q1, maxSteps: 1 });
    const interrupted = { ...one.traj, status: 'interrupted' as const };
    await sandbox.reset({ clearNotepad: true });
    const ctl = new AbortController();
    const stopped = runAgent({ llm, sandbox, sessionId: 'follow', resumeFrom: interrupted, signal: ctl.signal, maxSteps: 3 });
    for await (const e of stopped) if (e.type === 'step-start') ctl.abort();
    const aborted = await stopped.trajectory;
    expect(aborted.settings.resumeNotes).toHaveLength(1); // recorded for step 2, which never came
    const calls = llm.calls.length;
    const two = await ask(llm, { resumeFrom: aborted, followUp: Q2, sameSandbox: true });
    const prompt = llm.calls[calls]!;
    expectNoConsecutiveUserMessages(prompt);
    expect(prompt.at(-1)!.content).toMatch(/^<output>\n\(no output\)\n<\/output>\n\n\(The session was interrupted and resumed.*\)\n\nFollow-up question: /s);
    expect(two.traj.settings.resumeNotes).toEqual([]);
    expect(two.traj.turns?.[1]?.note).toBe((aborted.settings.resumeNotes as Array<{ note: string }>)[0]!.note);
  });

  it('followUp without resumeFrom starts a new session with that question', async () => {
    const llm = new ScriptedLLM([turn('submit_final_answer("42")')]);
    const { traj, events } = await ask(llm, { followUp: Q1 });
    expect(startOf(events)).toMatchObject({ turn: 1, question: Q1, followUp: false });
    expect(traj).toMatchObject({ task: Q1, turns: [{ question: Q1, firstStep: 1, status: 'answered' }] });
  });

  it('a follow-up after a question that produced no step shares its message (no two user messages in a row)', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const llm = new ScriptedLLM([turn('submit_final_answer("42")')]);
    const none = await ask(llm, { task: Q1, signal: ctl.signal });
    expect(none.traj).toMatchObject({ status: 'aborted', steps: [] });
    const two = await ask(llm, { resumeFrom: none.traj, followUp: Q2 });
    expect(llm.calls[0]!.map((m) => m.role)).toEqual(['system', 'user']);
    expect(llm.calls[0]![1]!.content).toBe(`${Q1}\n\nFollow-up question: ${Q2}\n\n${renderNotepad({ todos: [], facts: [], draft: '' })}`);
    expect(turnsOf(two.traj).map((t) => [t.firstStep, t.steps.length, t.status])).toEqual([
      [1, 0, 'aborted'],
      [1, 1, 'answered'],
    ]);
  });
});

/** A store whose writes stop at some point, as when the tab is closed mid-run. */
function crashable(store: MemoryStore): NotepadStore & { crash(): void } {
  let crashed = false;
  const unless = <A extends unknown[]>(write: (...a: A) => Promise<void>) => async (...a: A) => {
    if (!crashed) await write(...a);
  };
  return {
    loadNotepad: (id) => store.loadNotepad(id),
    saveNotepad: unless((id: string, s: NotepadState) => store.saveNotepad(id, s)),
    appendStep: unless((id: string, s: TrajectoryStep) => store.appendStep(id, s)),
    saveRun: unless((id: string, r: Omit<Trajectory, 'steps'>) => store.saveRun(id, r)),
    crash: () => (crashed = true),
  };
}

describe('reload in the middle of a follow-up (real store)', () => {
  async function interruptedFollowUp(crashAfterSteps: number) {
    const store = new MemoryStore({ locks: null });
    const llm = new ScriptedLLM([turn('x = 21 * 2\nsubmit_final_answer(str(x))'), turn('y = x * 2\nprint(y)'), turn('never reached')]);
    const one = await ask(llm, { task: Q1, notepadStore: store });
    const writes = crashable(store);
    const ctl = new AbortController();
    const run = runAgent({ llm, sandbox, sessionId: 'follow', notepadStore: writes, resumeFrom: one.traj, followUp: Q2, sameSandbox: true, maxSteps: 2, signal: ctl.signal });
    for await (const e of run) {
      const done = (e.type === 'step-start' && crashAfterSteps === 0) || (e.type === 'step-end' && e.step === 1 + crashAfterSteps);
      if (done) {
        writes.crash();
        ctl.abort();
      }
    }
    await run.trajectory;
    await sandbox.reset({ clearNotepad: true }); // the reload: a new notebook
    const opened = (await store.openSession('follow'))!;
    return { store, opened };
  }

  it('after one step of the follow-up: the same question goes on (not restarted) with its remaining steps', async () => {
    const { store, opened } = await interruptedFollowUp(1);
    expect(opened.interrupted).toBe(true);
    expect(turnsOf(opened.trajectory).map((t) => [t.question, t.status, t.steps.length])).toEqual([
      [Q1, 'answered', 1],
      [Q2, 'interrupted', 1],
    ]);
    const llm = new ScriptedLLM([turn('y = 84\nsubmit_final_answer(str(y))')]);
    const { events, traj } = await ask(llm, { resumeFrom: opened.trajectory, notepadStore: store, maxSteps: 2 });
    expect(startOf(events)).toMatchObject({ turn: 2, question: Q2, followUp: false });
    expect(eventSequence(events).slice(0, 3)).toEqual(['start', 'resumed', 'step-start']);
    // The resume note follows the follow-up's first observation, as for any interrupted run.
    expect(llm.calls[0]!.at(-1)!.content).toMatch(/interrupted and resumed in a fresh Python notebook.*steps 1-2 are gone/);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '84' });
    // Two steps for the follow-up in all (maxSteps 2 counts from its first step): no third was asked for.
    expect(turnsOf(traj).map((t) => t.steps.map((s) => s.index))).toEqual([[1], [2, 3]]);
    const reopened = (await store.openSession('follow'))!;
    expect(reopened.trajectory.turns?.map((t) => t.status)).toEqual(['answered', 'answered']);
    expect(reopened.trajectory.steps.map((s) => s.index)).toEqual([1, 2, 3]);
  });

  it('before the follow-up\'s first step: its question is kept and the note joins its message', async () => {
    const { store, opened } = await interruptedFollowUp(0);
    expect(turnsOf(opened.trajectory).map((t) => [t.question, t.status, t.steps.length])).toEqual([
      [Q1, 'answered', 1],
      [Q2, 'interrupted', 0],
    ]);
    const llm = new ScriptedLLM([turn('submit_final_answer("gone")')]);
    const { traj } = await ask(llm, { resumeFrom: opened.trajectory, notepadStore: store });
    const prompt = llm.calls[0]!;
    expectNoConsecutiveUserMessages(prompt);
    expect(prompt.at(-1)!.content).toMatch(/^<output>\nFinal answer submitted: 42\n<\/output>\n\n\(This question runs in a fresh Python notebook.*step 1 are gone.*\)\n\nFollow-up question: Now multiply/s);
    expect(traj.turns?.[1]).toMatchObject({ question: Q2, status: 'answered', finalAnswer: 'gone' });
  });
});
