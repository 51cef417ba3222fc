// The bundled demos (issue 22, item 11), in Node: one recording per example task, whose files carry
// the same task; the demo model answers those and only those; it plays at a reading pace that
// "Skip to the end" lifts.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMOS, DEMO_ENGINE } from '../../src/app/index';
import { createPace, pacedLLM } from '../../src/app/pace';
import { ScriptedLLM } from '../../src/llm/scripted';
import { ANSWER, harness, turn } from './app-support';

afterEach(() => vi.useRealTimers());

describe('the bundled demos', () => {
  it('one recording per example task, each file carrying that task and steps to replay', () => {
    expect(DEMOS).toHaveLength(3);
    for (const demo of DEMOS) {
      const file = JSON.parse(readFileSync(`public/${demo.script}`, 'utf8')) as { task: string; steps: { raw: string }[] };
      expect(file.task).toBe(demo.task);
      expect(file.steps.length).toBeGreaterThan(1);
      expect(file.steps.at(-1)!.raw).toContain('submit_final_answer(');
    }
  });

  it('the demo model runs each example task from its own recording, and refuses other tasks', async () => {
    const h = harness({ engine: DEMO_ENGINE, llm: () => new ScriptedLLM([ANSWER]), options: { demos: DEMOS } });
    for (const demo of DEMOS.slice(1)) {
      const running = h.app.run(demo.task);
      await vi.waitFor(() => expect(h.app.state.demoPlaying).toBe(true));
      h.app.skipDemo();
      expect(h.app.state.demoPlaying).toBe(false);
      expect((await running).trajectory?.status).toBe('answered');
    }
    expect(h.engineLoads.map((c) => (c.kind === 'replay' ? c.scriptUrl : ''))).toEqual(['demo/fibonacci.json', 'demo/squares.json']);
    expect((await h.app.run('My own task.')).error?.detail).toEqual({ reason: 'choose-engine' });
  });
});

describe('pacedLLM', () => {
  it('hands the turn on token by token after a pause; skip() lets the rest through at once', async () => {
    vi.useFakeTimers();
    const pace = createPace();
    const llm = pacedLLM(new ScriptedLLM([turn('print(1)', 'a thought that takes a while to read')]), pace, { tokenDelayMs: 100, stepPauseMs: 1000 });
    const seen: string[] = [];
    const result = llm.generate([{ role: 'user', content: 'go' }], { onToken: (t) => seen.push(t) });
    await vi.advanceTimersByTimeAsync(999);
    expect(seen).toEqual([]); // the pause before the turn
    await vi.advanceTimersByTimeAsync(301);
    expect(seen.length).toBe(3);
    pace.skip();
    const whole = await result;
    expect(seen.join('')).toBe(whole.text);
    expect(whole.text).toContain('a thought that takes a while to read');
  });

  it('an abort ends the turn with the text shown so far', async () => {
    vi.useFakeTimers();
    const ctl = new AbortController();
    const llm = pacedLLM(new ScriptedLLM([turn('print(1)')]), createPace(), { tokenDelayMs: 100, stepPauseMs: 0 });
    const seen: string[] = [];
    const result = llm.generate([{ role: 'user', content: 'go' }], { signal: ctl.signal, onToken: (t) => seen.push(t) });
    await vi.advanceTimersByTimeAsync(250);
    ctl.abort();
    const r = await result;
    expect(r.finishReason).toBe('abort');
    expect(r.text).toBe(seen.join(''));
    expect(seen.length).toBeGreaterThan(0);
  });
});
