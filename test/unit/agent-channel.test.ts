// The agent event channel (issue 17.4): what waits for a consumer that has not started is
// compacted, and nothing is buffered once a consumer breaks out. Memory is checked with WeakRefs
// and a forced garbage collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent';
import { compactAgentEvent, createChannel } from '../../src/agent/channel';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { AgentEvent } from '../../src/protocols';
import { collect, eventSequence, FunctionSandbox } from './agent-support';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** WeakRef targets live until the current job ends: yield, then collect. */
async function collectGarbage(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  gc();
}

const turn = (code: string, think: string) => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;

describe('agent event channel', () => {
  it('a run nobody reads holds a few events per step, not one per token; a late consumer still gets every step', async () => {
    const long = 'I will compute the value carefully, step by step, and print it. '.repeat(20);
    const llm = new ScriptedLLM([turn('x = 6 * 7\nprint(x)', long), turn("submit_final_answer('42')", 'Submit it.')], { chunkSize: 2 });
    const sandbox = new FunctionSandbox((code) => (code.includes('submit') ? { finalAnswer: '42' } : { stdout: '42\n' }));
    const run = runAgent({ task: 'What is 6*7?', llm, sandbox });
    const traj = await run.trajectory; // the whole run happens before anyone iterates
    const events = await collect(run);

    // Step 1 alone streamed hundreds of tokens; what waited is one think event per step and no code deltas.
    expect(traj.steps[0]!.usage.completionTokens).toBeGreaterThan(500);
    expect(eventSequence(events)).toEqual([
      'start',
      ...['step-start', 'think*', 'code', 'cell-result', 'notepad', 'step-end'],
      ...['step-start', 'think*', 'code', 'cell-result', 'notepad', 'step-end', 'final-answer'],
      'done',
    ]);
    expect(events.length).toBe(15);
    const thinks = events.filter((e): e is Extract<AgentEvent, { type: 'think' }> => e.type === 'think');
    expect(thinks.map((e) => e.delta.trim())).toEqual([long.trim(), 'Submit it.']);
    const codes = events.filter((e) => e.type === 'code').map((e) => (e as { code: string }).code);
    expect(codes).toEqual(['x = 6 * 7\nprint(x)', "submit_final_answer('42')"]);
  });

  it('merges output chunks while they wait and drops them once the result that contains them arrives', () => {
    const buffer: AgentEvent[] = [];
    const chunk = (text: string, name: 'stdout' | 'stderr' = 'stdout'): AgentEvent => ({ type: 'cell-output', step: 1, chunk: { name, text } });
    for (const e of [chunk('a'), chunk('b'), chunk('!', 'stderr'), chunk('c')]) compactAgentEvent(buffer, e);
    expect(buffer).toEqual([chunk('ab'), chunk('!', 'stderr'), chunk('c')]);
    const result = { status: 'ok', stdout: 'abc', stderr: '!', durationMs: 1, truncated: false, restarted: false } as const;
    compactAgentEvent(buffer, { type: 'cell-output', step: 1, result });
    expect(buffer).toEqual([{ type: 'cell-output', step: 1, result }]);
  });

  it('a live consumer gets events exactly as pushed', async () => {
    const ch = createChannel<AgentEvent>(compactAgentEvent);
    const it = ch[Symbol.asyncIterator]();
    const first = it.next();
    ch.push({ type: 'think', step: 1, delta: 'a' });
    ch.push({ type: 'think', step: 1, delta: 'b' });
    ch.push({ type: 'code-delta', step: 1, delta: 'x' });
    ch.push({ type: 'code', step: 1, code: 'x', formatErrors: [] });
    ch.close();
    const rest: AgentEvent[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect([(await first).value, ...rest].map((e) => e.type)).toEqual(['think', 'think', 'code-delta', 'code']);
  });

  it('after a consumer breaks out nothing is buffered, and the run still completes', async () => {
    const ch = createChannel<AgentEvent>(compactAgentEvent);
    const refs: WeakRef<object>[] = [];
    ch.push({ type: 'start', sessionId: 's', task: 't', turn: 1, question: 't', followUp: false });
    for await (const _ of ch) break;
    (() => {
      for (let i = 0; i < 50; i++) {
        const e: AgentEvent = { type: 'cell-output', step: 1, result: { status: 'ok', stdout: `${i}`.repeat(100_000), stderr: '', durationMs: 1, truncated: false, restarted: false } };
        refs.push(new WeakRef(e));
        ch.push(e);
      }
    })();
    await collectGarbage();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);

    const llm = new ScriptedLLM([turn('print(1)', 'One.'), turn("submit_final_answer('1')", 'Done.')]);
    const run = runAgent({ task: 't', llm, sandbox: new FunctionSandbox((code) => (code.includes('submit') ? { finalAnswer: '1' } : {})) });
    for await (const e of run) if (e.type === 'start') break;
    expect(await run.trajectory).toMatchObject({ status: 'answered', finalAnswer: '1' });
  });
});
