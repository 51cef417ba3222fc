// Going back to a step (issue 22, item 10), in Node with the app controller: "Run this cell again"
// runs the saved code in the live sandbox without touching the session or asking the model;
// "Re-run from this step" forks the session with the edited task. And the token figures of a step.
import { describe, expect, it } from 'vitest';
import { stepStats } from '../../src/app/labels';
import { forkAt } from '../../src/app/rerun';
import { ScriptedLLM } from '../../src/llm/scripted';
import { turnsOf, type ChatMessage, type Trajectory } from '../../src/protocols';
import { ANSWER, harness, turn } from './app-support';

describe('run this cell again', () => {
  it('runs the step\'s code in the live sandbox, shows it as a re-run, and changes neither the session nor the model\'s calls', async () => {
    const llm = new ScriptedLLM([turn('print(41)'), ANSWER]);
    const h = harness({ llm: () => llm });
    const first = await h.app.run('Print, then answer.');
    const before = await h.store.loadSession(first.trajectory!.sessionId);
    const outcome = await h.app.rerunCell(1);
    expect(outcome.error).toBeUndefined();
    const reruns = h.changes.filter((c) => c.type === 'rerun');
    expect(reruns[0]).toEqual({ type: 'rerun', step: 1 });
    expect(reruns.at(-1)).toMatchObject({ type: 'rerun', step: 1, result: { status: 'ok', stdout: '41\n' } });
    expect(h.sandboxes).toHaveLength(1); // the live one, not a new one
    expect(h.app.state).toMatchObject({ phase: 'idle', status: 'The cell of step 1 ran again: done. The model does not see this run.' });
    expect(llm.calls).toHaveLength(2);
    expect(await h.store.loadSession(first.trajectory!.sessionId)).toEqual(before);
    expect((await h.app.rerunCell(7)).error?.message).toMatch(/no code/);
  });
});

describe('re-run from a step', () => {
  it('forks the session: the steps before it kept, the new task in the model\'s context, the old session untouched', async () => {
    const seen: ChatMessage[][] = [];
    const script = (messages: ChatMessage[]) => {
      seen.push(messages);
      const step = messages.filter((m) => m.role === 'assistant').length + 1;
      return step === 1 ? turn('print(6)') : step === 2 ? turn('print(7)') : ANSWER;
    };
    const h = harness({ llm: () => new ScriptedLLM(script), options: { listSessions: true } });
    const first = await h.app.run('Old task.');
    expect(first.trajectory?.steps).toHaveLength(3);
    const forked = await h.app.rerunFrom(2, '  New task.  ');
    const t = forked.trajectory!;
    expect(t.sessionId).not.toBe(first.trajectory!.sessionId);
    expect(t.task).toBe('New task.');
    expect(t.status).toBe('answered');
    expect(t.steps.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(t.steps[0]!.raw).toBe(first.trajectory!.steps[0]!.raw);
    const firstCallOfFork = seen[3]!;
    expect(firstCallOfFork[1]!.content).toMatch(/^New task\./);
    expect(firstCallOfFork.filter((m) => m.role === 'assistant')).toHaveLength(1);
    expect((await h.store.loadSession(first.trajectory!.sessionId))?.task).toBe('Old task.');
    expect(h.app.state.sessions).toHaveLength(2);
  });

  it('from step 1 it is a new run of the (edited) task', async () => {
    const h = harness();
    await h.app.run('Old task.');
    const again = await h.app.rerunFrom(1, 'Edited.');
    expect(again.trajectory).toMatchObject({ task: 'Edited.', status: 'answered' });
  });

  it('forkAt keeps the earlier steps, drops the answer and the error, and is interrupted (to be continued)', () => {
    const t = { task: 'a', status: 'answered', finalAnswer: '42', error: { kind: 'http', message: 'x' }, endedAt: 5, steps: [{ index: 1 }, { index: 2 }, { index: 3 }] } as unknown as Trajectory;
    const f = forkAt(t, 3, 'b', 9);
    expect(f).toMatchObject({ task: 'b', status: 'interrupted', startedAt: 9 });
    expect(f.steps.map((s) => s.index)).toEqual([1, 2]);
    expect('finalAnswer' in f || 'error' in f || 'endedAt' in f).toBe(false);
    expect(t.finalAnswer).toBe('42'); // the original is not changed
  });

  it('forkAt of a session with follow-ups keeps the questions up to the step, the one it is in interrupted', () => {
    const turns = [
      { question: 'a', firstStep: 1, status: 'answered', finalAnswer: 'A', startedAt: 1, endedAt: 2 },
      { question: 'q2', firstStep: 3, status: 'answered', finalAnswer: 'B', startedAt: 3, endedAt: 4 },
      { question: 'q3', firstStep: 5, status: 'answered', startedAt: 5, endedAt: 6 },
    ];
    const t = { task: 'a', status: 'answered', finalAnswer: 'C', endedAt: 6, turns, steps: [1, 2, 3, 4, 5, 6].map((index) => ({ index })) } as unknown as Trajectory;
    const inSecond = forkAt(t, 4, 'a, edited', 9);
    expect(inSecond.steps.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(inSecond.turns!.map((q) => [q.question, q.status])).toEqual([['a, edited', 'answered'], ['q2', 'interrupted']]);
    expect(inSecond.turns![1]!.finalAnswer).toBeUndefined();
    expect(turnsOf(inSecond).at(-1)).toMatchObject({ question: 'q2', status: 'interrupted', firstStep: 3 });
    const inFirst = forkAt(t, 2, 'b', 9);
    expect(inFirst.turns!.map((q) => [q.question, q.status])).toEqual([['b', 'interrupted']]);
    expect(t.turns![1]!.status).toBe('answered'); // the original is not changed
  });
});

describe('stepStats', () => {
  const step = (usage: Trajectory['steps'][number]['usage'], generateMs = 2000) => ({ usage, timings: { startedAt: 0, generateMs, cellMs: 1 } });
  it('says speed, tokens generated, prompt tokens and the reused prefix', () => {
    expect(stepStats(step({ promptTokens: 1234, completionTokens: 62, prefillTokens: 134 }))).toBe('31 tokens/s · 62 generated · 1,234 prompt tokens (1,100 reused)');
    expect(stepStats(step({ promptTokens: 50, completionTokens: 9 }, 3000))).toBe('3.0 tokens/s · 9 generated · 50 prompt tokens');
  });
  it('shows nothing when the engine did not report usage (chunks counted, no prompt tokens)', () => {
    expect(stepStats(step({ promptTokens: 0, completionTokens: 17 }))).toBeUndefined();
  });
});
