// Continuing an interrupted run in a fresh notebook, against the REAL Pyodide sandbox in Node:
// variables come back only when the saved cells are re-run (restoreCells), the model is told which
// case it is in, the context stays rebuildable from the trajectory, and an answered run is left alone.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messagesForStep, runAgent, type RunAgentOptions } from '../../src/agent';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { AgentEvent, Sandbox, Trajectory } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox';
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

/** A fresh notebook, as after a page reload: new namespace, no notepad. */
const freshNotebook = () => sandbox.reset({ clearNotepad: true });

/** Runs `steps` scripted turns, then returns the trajectory as the store shows it after a reload. */
async function interruptedRun(steps: string[], extra: Partial<RunAgentOptions> = {}): Promise<Trajectory> {
  const t = await runAgent({ task: 'Compute with x.', llm: new ScriptedLLM(steps), sandbox, maxSteps: steps.length, sessionId: 'resume-1', ...extra }).trajectory;
  expect(t.steps).toHaveLength(steps.length);
  return { ...structuredClone(t), status: 'interrupted', endedAt: undefined };
}

async function resume(saved: Trajectory, script: string[], options: Partial<RunAgentOptions> = {}) {
  await freshNotebook();
  const llm = new ScriptedLLM(script);
  const store = new RecordingStore();
  const run = runAgent({ task: saved.task, llm, sandbox, notepadStore: store, resumeFrom: structuredClone(saved), sessionId: saved.sessionId, maxSteps: 5, ...options });
  const events = await collect(run);
  const traj = await run.trajectory;
  // The model saw exactly the context rebuilt from the trajectory, note included.
  llm.calls.forEach((messages, i) => expect(messages).toEqual(messagesForStep(traj, saved.steps.length + 1 + i)));
  return { llm, events, traj, store };
}

const STEP1 = turn("x = 41\nnotepad.add_todo(['add one to x'])\nprint('x is set')", 'Plan, then set x.');
const STEP2 = turn('print(x + 1)', 'Use x.');
const ANSWER = turn('submit_final_answer(str(x + 1))', 'Answer.');

describe('resuming an interrupted run', () => {
  it('with restoreCells: the saved cells run again first, x is usable in step 2, and the model is told so', async () => {
    const saved = await interruptedRun([STEP1]);
    const { llm, events, traj, store } = await resume(saved, [STEP2, ANSWER], { restoreCells: true });

    expect(eventSequence(events).slice(0, 3)).toEqual(['start', 'resumed', 'step-start']);
    const resumed = events.find((e): e is Extract<AgentEvent, { type: 'resumed' }> => e.type === 'resumed')!;
    expect(resumed).toMatchObject({ step: 2, restoredCells: 1, failedSteps: [], variablesRestored: true });
    // The re-run is not a new step: no events for step 1, and the trajectory grows from step 2.
    expect(events.some((e) => 'step' in e && e.step === 1)).toBe(false);
    expect(traj.steps.map((s) => s.index)).toEqual([1, 2, 3]);

    expect(outputOf(traj.steps[1].observation)).toBe('42');
    expect(traj.status).toBe('answered');
    expect(traj.finalAnswer).toBe('42');

    // Step 2's context: everything from before, untouched, then one note; the notepad was not doubled.
    const ctx = llm.calls[0];
    expect(ctx.slice(0, 4)).toEqual(messagesForStep(saved, 2)); // earlier messages unchanged
    expect(ctx).toHaveLength(5);
    expect(ctx[4].role).toBe('user');
    expect(ctx[4].content).toMatch(/interrupted.*variables are back/);
    expect(traj.steps[1].notepad.todos).toEqual([{ text: 'add one to x', done: false }]);
    expect(traj.settings.resumeNotes).toEqual([{ beforeStep: 2, note: ctx[4].content }]);
    expect(store.runs.get(saved.sessionId)?.settings.resumeNotes).toEqual(traj.settings.resumeNotes);
  });

  it('without restoreCells: x is gone in step 2 (NameError) and the model is told its variables are lost', async () => {
    const saved = await interruptedRun([STEP1]);
    const { llm, events, traj } = await resume(saved, [STEP2], { maxSteps: 2 });
    expect(events.find((e) => e.type === 'resumed')).toMatchObject({ restoredCells: 0, variablesRestored: false });
    expect(traj.steps[1].cell?.status).toBe('error');
    expect(outputOf(traj.steps[1].observation)).toContain("NameError: name 'x' is not defined");
    expect(llm.calls[0].at(-1)?.content).toMatch(/Variables, imports and functions from step 1 are gone/);
    // The notepad still came back.
    expect(llm.calls[0].at(-1)?.content).not.toContain('variables are back');
    expect(traj.steps[1].notepad.todos).toEqual([{ text: 'add one to x', done: false }]);
  });

  it('only cells that ran OK are re-run; one that fails on re-run is named in the note', async () => {
    // Step 1 sets w then fails (skipped on re-run); step 2 uses w (ran OK, fails on re-run); step 3 is independent.
    const saved = await interruptedRun([turn('w = 3\n1/0'), turn('v = w * 2'), turn('keep = 7')]);
    expect(saved.steps.map((s) => s.cell?.status)).toEqual(['error', 'ok', 'ok']);
    const { llm, events, traj } = await resume(saved, [turn('print(keep, "v" in globals(), "w" in globals())')], { restoreCells: true, maxSteps: 4 });
    expect(events.find((e) => e.type === 'resumed')).toMatchObject({ restoredCells: 1, failedSteps: [2], variablesRestored: false });
    expect(llm.calls[0].at(-1)?.content).toMatch(/the 2 earlier cells .* step\(s\) 2 failed this time/);
    expect(outputOf(traj.steps[3].observation)).toBe('7 False False');
  });

  it('a second resume keeps the first note where the model saw it and adds a new one', async () => {
    const saved = await interruptedRun([STEP1]);
    const first = await resume(saved, [STEP2], { restoreCells: true, maxSteps: 2 });
    const again = { ...first.traj, status: 'interrupted' as const };
    const second = await resume(again, [turn('print(x * 2)')], { restoreCells: true, maxSteps: 3 });
    const ctx = second.llm.calls[0];
    const notes = ctx.filter((m) => m.role === 'user' && m.content.startsWith('(The session was interrupted'));
    expect(notes).toHaveLength(2);
    expect(ctx.indexOf(notes[0])).toBe(4); // right after step 1's observation, as before
    expect(ctx.at(-1)).toBe(notes[1]);
    expect(outputOf(second.traj.steps[2].observation)).toBe('82');
    expect(second.traj.settings.resumeNotes).toHaveLength(2);
  });

  it('a note survives a memory collapse right after the resume', async () => {
    const saved = await interruptedRun([STEP1]);
    const { llm, traj } = await resume(saved, [STEP2], { restoreCells: true, maxSteps: 2, memoryTokens: 10 });
    expect(traj.steps[1].collapsedBefore).toBe(true);
    expect(llm.calls[0]).toHaveLength(3); // system, task + notepad, note
    expect(llm.calls[0][2].content).toMatch(/variables are back/);
    expect(outputOf(traj.steps[1].observation)).toBe('42');
  });

  it('an answered run is returned as is: nothing is generated, run or saved', async () => {
    const done = await runAgent({ task: 'Answer.', llm: new ScriptedLLM([STEP1, ANSWER]), sandbox, maxSteps: 3 }).trajectory;
    expect(done.status).toBe('answered');
    await freshNotebook();
    const llm = new ScriptedLLM([]); // would reject if asked
    const store = new RecordingStore();
    const run = runAgent({ task: done.task, llm, sandbox, notepadStore: store, resumeFrom: structuredClone(done), restoreCells: true });
    expect(eventSequence(await collect(run))).toEqual(['start', 'done']);
    expect(await run.trajectory).toEqual(done);
    expect(llm.calls).toHaveLength(0);
    expect(store.log).toEqual([]);
    expect((await sandbox.runCell('print("x" in globals())')).stdout.trim()).toBe('False');
  });

  it('a resumed run with no steps yet gets no note', async () => {
    const empty: Trajectory = { ...(await interruptedRun([])), steps: [] };
    const { llm } = await resume(empty, [STEP1], { restoreCells: true, maxSteps: 1 });
    expect(llm.calls[0]).toHaveLength(2);
  });
});
