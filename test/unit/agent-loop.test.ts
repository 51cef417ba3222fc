// Loop mechanics against sandboxes that misbehave on demand. The golden runs against the real
// Pyodide sandbox are in agent-golden.test.ts.
import { describe, expect, it } from 'vitest';
import { messagesForStep, runAgent } from '../../src/agent';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { NotepadState } from '../../src/protocols';
import { collect, eventSequence, FunctionSandbox, RecordingStore } from './agent-support';

const turn = (code: string, think = 'Next.') => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
const planned: NotepadState = { todos: [{ text: 'compute', done: false }], facts: ['a fact'], draft: '' };

describe('runAgent mechanics', () => {
  it('emits events in order, saves after every step, and exposes the trajectory promise', async () => {
    const llm = new ScriptedLLM([turn("notepad.add_todo(['compute'])"), turn("submit_final_answer('42')")]);
    const sandbox = new FunctionSandbox((code, sb) => {
      if (code.includes('add_todo')) sb.notepad = planned;
      return code.includes('submit') ? { stdout: 'Final answer submitted: 42\n', finalAnswer: '42' } : {};
    });
    const store = new RecordingStore();
    const run = runAgent({ task: 'What is 6*7?', llm, sandbox, notepadStore: store, sessionId: 's1' });
    const events = await collect(run);
    const traj = await run.trajectory;
    expect(eventSequence(events)).toEqual([
      'start',
      ...['step-start', 'think*', 'code-delta*', 'code', 'cell-result', 'notepad', 'step-end'],
      ...['step-start', 'think*', 'code-delta*', 'code', 'cell-result', 'notepad', 'step-end', 'final-answer'],
      'done',
    ]);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '42', sessionId: 's1', modelId: 'scripted' });
    expect(store.log).toEqual(['run:s1:running', 'notepad:s1', 'step:s1:1', 'run:s1:running', 'notepad:s1', 'step:s1:2', 'run:s1:running', 'run:s1:answered']);
    expect(store.notepads.get('s1')).toEqual(planned);
    llm.calls.forEach((messages, i) => expect(messages).toEqual(messagesForStep(traj, i + 1)));
    expect(JSON.parse(JSON.stringify(traj))).toEqual(traj);
  });

  it('abort mid-cell: interrupts, stops waiting within a second even when the sandbox hangs, keeps the trajectory', async () => {
    const ctl = new AbortController();
    const sandbox = new FunctionSandbox(() => new Promise(() => setTimeout(() => ctl.abort(), 20))); // never answers
    const run = runAgent({ task: 't', llm: new ScriptedLLM([turn('while True: pass')]), sandbox, signal: ctl.signal });
    const t0 = Date.now();
    const traj = await run.trajectory;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sandbox.interrupts).toBe(1);
    expect(traj.status).toBe('aborted');
    expect(traj.steps).toHaveLength(1);
    expect(traj.steps[0].cell?.status).toBe('interrupted');
    expect(traj.steps[0].observation).toContain('KeyboardInterrupt: the run was cancelled');
  });

  it('puts the notepad back after a restart that lost it and tells the model', async () => {
    const sandbox = new FunctionSandbox((_code, sb) => ({ status: 'timeout', restarted: true, notepad: (sb.notepad = { todos: [], facts: [], draft: '' }) }));
    const store = new RecordingStore();
    store.notepads.set('s2', planned);
    const run = runAgent({ task: 't', llm: new ScriptedLLM([turn('while True: pass')]), sandbox, notepadStore: store, sessionId: 's2', maxSteps: 1 });
    const traj = await run.trajectory;
    expect(traj.status).toBe('max-steps');
    expect(sandbox.notepad).toEqual(planned);
    expect(traj.steps[0].notepad).toEqual(planned);
    expect(traj.steps[0].observation).toContain('[Timed out');
    expect(traj.steps[0].observation).toContain('restarted');
  });

  it('a fresh sandbox for an existing session gets the saved notepad, and the model sees it from step 1', async () => {
    const store = new RecordingStore();
    store.notepads.set('s3', planned);
    const sandbox = new FunctionSandbox(() => ({}));
    const llm = new ScriptedLLM([turn('print(1)')]);
    const traj = await runAgent({ task: 't', llm, sandbox, notepadStore: store, sessionId: 's3', maxSteps: 1 }).trajectory;
    expect(sandbox.notepad).toEqual(planned);
    expect(llm.calls[0][1].content).toContain('0. [ ] compute');
    expect(messagesForStep(traj, 1)).toEqual(llm.calls[0]);
  });

  it('resumes a saved trajectory with the same context', async () => {
    const sandbox = new FunctionSandbox((_c, sb) => ({ notepad: (sb.notepad = planned) }));
    const first = await runAgent({ task: 't', llm: new ScriptedLLM([turn('a = 1')]), sandbox, maxSteps: 1 }).trajectory;
    const fresh = new FunctionSandbox(() => ({ finalAnswer: 'done' }));
    const llm = new ScriptedLLM([turn("submit_final_answer('done')")]);
    const traj = await runAgent({ task: 't', llm, sandbox: fresh, resumeFrom: JSON.parse(JSON.stringify(first)), maxSteps: 3 }).trajectory;
    expect(fresh.notepad).toEqual(planned);
    expect(traj.steps).toHaveLength(2);
    expect(traj.status).toBe('answered');
    expect(llm.calls[0]).toEqual(messagesForStep(traj, 2));
    // The four earlier messages, then the one-line resume note (variables were not restored).
    expect(llm.calls[0]).toHaveLength(5);
    expect(llm.calls[0][4].content).toMatch(/are gone/);
  });

  it('a model failure ends the run with status error and the error as data', async () => {
    const llm = new ScriptedLLM([]); // runs out at once
    const run = runAgent({ task: 't', llm, sandbox: new FunctionSandbox(() => ({})) });
    const events = await collect(run);
    const traj = await run.trajectory;
    expect(eventSequence(events)).toEqual(['start', 'step-start', 'error:internal', 'done']);
    expect(traj.status).toBe('error');
    expect(traj.error?.kind).toBe('internal');
  });

  it('a failing store is reported as a storage error event and the run goes on', async () => {
    const store = new RecordingStore();
    store.failSaves = true;
    const sandbox = new FunctionSandbox(() => ({ finalAnswer: 'x' }));
    const run = runAgent({ task: 't', llm: new ScriptedLLM([turn("submit_final_answer('x')")]), sandbox, notepadStore: store });
    const seq = eventSequence(await collect(run));
    expect(seq).toContain('error:storage');
    expect((await run.trajectory).status).toBe('answered');
  });

  it('an engine that returns the marker and one that drops it give the model the same context', async () => {
    const script = [turn('a = 1'), turn("submit_final_answer('1')")];
    const answer = (code: string) => (code.includes('submit') ? { finalAnswer: '1' } : {});
    const dropping = new ScriptedLLM(script);
    const keeping = new ScriptedLLM(script, { keepStop: true });
    const a = await runAgent({ task: 't', llm: dropping, sandbox: new FunctionSandbox(answer), sessionId: 'x' }).trajectory;
    const b = await runAgent({ task: 't', llm: keeping, sandbox: new FunctionSandbox(answer), sessionId: 'x' }).trajectory;
    // Generation stops at </code> (a stop string): dropped by one engine, kept by the other.
    expect(a.steps[0].raw.endsWith('a = 1\n')).toBe(true);
    expect(b.steps[0].raw.endsWith('a = 1\n</code>')).toBe(true);
    expect(dropping.calls[1][2]!.content.endsWith('a = 1\n</code><end_code>')).toBe(true);
    expect(keeping.calls).toEqual(dropping.calls);
  });

  it('does not run code cut by the step token limit', async () => {
    const sandbox = new FunctionSandbox(() => ({}));
    const llm = new ScriptedLLM([turn('x = 1\n' + 'y = 2\n'.repeat(100))], { chunkSize: 4 });
    const traj = await runAgent({ task: 't', llm, sandbox, maxSteps: 1, maxTokensPerStep: 20 }).trajectory;
    expect(sandbox.cells).toEqual([]);
    expect(traj.steps[0].finishReason).toBe('length');
    expect(traj.steps[0].observation).toContain('length limit');
  });
});
