// Golden trajectories: scripted models driving the REAL Pyodide sandbox in Node.
// Each scenario checks (1) the event sequence, (2) that the messages the model received at every
// step are exactly those rebuilt from the trajectory, and (3) everything against a JSON fixture in
// test/fixtures/golden/ (timings and cell counters normalised). Rewrite fixtures with UPDATE_GOLDEN=1.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messagesForStep, runAgent, type AgentRun, type RunAgentOptions } from '../../src/agent';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { AgentEvent, ChatMessage, LLM, Sandbox, Trajectory } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox';
import { eventSequence, FOUR_TOOLS, RecordingStore } from './agent-support';

const GOLDEN_DIR = new URL('../fixtures/golden/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const CELL_TIMEOUT_MS = 1500;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createPyodideSandbox({ timeoutMs: CELL_TIMEOUT_MS });
});
afterAll(async () => {
  await sandbox?.dispose();
});
beforeEach(async () => {
  await sandbox.reset({ clearNotepad: true });
});

const turn = (think: string, code: string) => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
const lastOutput = (messages: ChatMessage[]) => /<output>\n([\s\S]*?)\n<\/output>/.exec(messages.at(-1)?.content ?? '')?.[1] ?? '';

interface Scenario {
  llm: ScriptedLLM;
  /** What the agent talks to, when not `llm` itself (e.g. an engine that ignores stop strings). */
  engine?: LLM;
  options?: Partial<RunAgentOptions>;
  /** Reacts to events while the run goes (e.g. aborts). */
  onEvent?: (e: AgentEvent, ctl: AbortController) => void;
  /** Follow-up questions asked after the first run ends, in the same notebook. */
  followUps?: string[];
}

async function play(name: string, s: Scenario) {
  const ctl = new AbortController();
  const store = new RecordingStore();
  const sessionId = `golden-${name}`;
  const events: AgentEvent[] = [];
  let traj: Trajectory | undefined;
  for (const followUp of [undefined, ...(s.followUps ?? [])]) {
    const session = traj && { resumeFrom: traj, followUp, sameSandbox: true };
    const run: AgentRun = runAgent({ task: `Golden task: ${name}`, llm: s.engine ?? s.llm, sandbox, notepadStore: store, tools: FOUR_TOOLS, sessionId, signal: ctl.signal, ...s.options, ...session });
    for await (const e of run) {
      events.push(e);
      s.onEvent?.(e, ctl);
    }
    traj = await run.trajectory;
  }
  if (!traj) throw new Error('no run');

  // The model saw exactly the context rebuilt from the trajectory (no collapse decisions lost).
  traj.steps.forEach((step) => expect(s.llm.calls[step.index - 1]).toEqual(messagesForStep(traj, step.index)));
  // The store holds the same steps and the final header.
  expect(store.steps.get(sessionId) ?? []).toEqual(traj.steps);
  expect(store.runs.get(sessionId)?.status).toBe(traj.status);

  checkStreamedChunks(events, traj);
  const starts = s.followUps && events.filter((e) => e.type === 'start');
  const golden = normalise({ events: withoutChunks(events), ...(starts && { starts }), prompts: s.llm.calls.map((m) => hideSystem(m, traj)), trajectory: traj });
  const file = new URL(`${name}.json`, GOLDEN_DIR);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(golden, null, 2) + '\n');
  } else {
    expect(existsSync(file), `missing fixture ${file.pathname}: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(golden).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  }
  return { traj, events, store };
}

/**
 * Streamed output chunks are batched by time in the sandbox, so how many arrive before the result
 * varies from run to run: goldens leave them out, and this checks where and what they are.
 */
function checkStreamedChunks(events: AgentEvent[], traj: Trajectory) {
  const seq = eventSequence(events);
  seq.forEach((name, i) => {
    if (name === 'cell-chunk*') expect([seq[i - 1], seq[i + 1]]).toEqual(['code', 'cell-result']);
  });
  for (const step of traj.steps) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const streamed = events.map((e) => (e.type === 'cell-output' && e.step === step.index && e.chunk?.name === stream ? e.chunk.text : '')).join('');
      expect(step.cell?.[stream] ?? '').toContain(streamed);
    }
  }
}

function withoutChunks(events: AgentEvent[]): string[] {
  return eventSequence(events).filter((name) => name !== 'cell-chunk*');
}

/** The system prompt is stored once in the trajectory; prompts refer to it. */
function hideSystem(messages: ChatMessage[], traj: Pick<Trajectory, 'systemPrompt'>) {
  return messages.map((m) => (m.role === 'system' && m.content === traj.systemPrompt ? { role: 'system', content: '$systemPrompt' } : m));
}

const VOLATILE_NUMBERS = new Set(['durationMs', 'generateMs', 'cellMs', 'startedAt', 'endedAt']);
function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => {
    if (VOLATILE_NUMBERS.has(key) && typeof v === 'number') return 0;
    if (typeof v === 'string') return v.replace(/Cell In\[\d+\]/g, 'Cell In[#]');
    return v;
  });
}

/** An engine that does not support stop strings: it generates until EOS or the token limit. */
function ignoringStops(llm: ScriptedLLM): LLM {
  return { id: llm.id, countTokens: (t) => llm.countTokens(t), generate: (messages, options) => llm.generate(messages, { ...options, stop: [] }) };
}

const STEP = ['step-start', 'think*', 'code-delta*', 'code'];
const CELL_STEP = [...STEP, 'cell-result', 'notepad', 'step-end'];

describe('golden trajectories (real Pyodide)', () => {
  it('plan -> compute -> notepad -> answer, the answer read from the observation', async () => {
    const llm = new ScriptedLLM((messages, i) => {
      if (i === 0) return turn('Plan first.', "notepad.add_todo(['compute the sum of squares 1..10', 'submit it'])");
      if (i === 1) return turn('Compute and keep the fact.', "total = sum(k * k for k in range(1, 11))\nnotepad.add_facts([f'sum of squares 1..10 = {total}'])\nnotepad.mark_done(0)\nprint(total)");
      const seen = lastOutput(messages).trim();
      return turn(`The output says ${seen}.`, `notepad.write_draft('${seen}')\nsubmit_final_answer('${seen}')`);
    });
    const { traj, events } = await play('plan-compute-answer', { llm });
    expect(withoutChunks(events)).toEqual(['start', ...CELL_STEP, ...CELL_STEP, ...CELL_STEP, 'final-answer', 'done']);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '385', formatErrorCount: 0 });
    expect(traj.steps[2].notepad).toEqual({ todos: [{ text: 'compute the sum of squares 1..10', done: true }, { text: 'submit it', done: false }], facts: ['sum of squares 1..10 = 385'], draft: '385' });
    // The newest notepad is the last thing before the model's turn.
    expect(llm.calls[2].at(-1)?.content.endsWith('- sum of squares 1..10 = 385\n## Draft\n(empty)\n</notepad>')).toBe(true);
  });

  it('a follow-up question in the same notebook: the first answer stays, the question follows its output', async () => {
    const llm = new ScriptedLLM((messages, i) => {
      if (i === 0) return turn('Plan and compute.', "notepad.add_todo(['sum 1..10', 'answer'])\ntotal = sum(range(1, 11))\nnotepad.add_facts([f'sum 1..10 = {total}'])\nprint(total)");
      if (i === 1) return turn(`The output says ${lastOutput(messages).trim()}.`, 'submit_final_answer(str(total))');
      if (i === 2) return turn('The follow-up asks to double it; total is still defined.', "doubled = total * 2\nnotepad.add_facts([f'doubled = {doubled}'])\nprint(doubled)");
      return turn(`The output says ${lastOutput(messages).trim()}.`, 'submit_final_answer(str(doubled))');
    });
    const { traj, events } = await play('follow-up', { llm, followUps: ['Now double it.'] });
    expect(withoutChunks(events)).toEqual(['start', ...CELL_STEP, ...CELL_STEP, 'final-answer', 'done', 'start', ...CELL_STEP, ...CELL_STEP, 'final-answer', 'done']);
    expect(events.filter((e) => e.type === 'start')).toEqual([
      { type: 'start', sessionId: 'golden-follow-up', task: 'Golden task: follow-up', turn: 1, question: 'Golden task: follow-up', followUp: false },
      { type: 'start', sessionId: 'golden-follow-up', task: 'Golden task: follow-up', turn: 2, question: 'Now double it.', followUp: true },
    ]);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '110', task: 'Golden task: follow-up' });
    expect(traj.turns?.map((t) => [t.question, t.firstStep, t.status, t.finalAnswer])).toEqual([
      ['Golden task: follow-up', 1, 'answered', '55'],
      ['Now double it.', 3, 'answered', '110'],
    ]);
    // Step 3's prompt: step 2's prompt, the answer turn, then one user message with its output and the question.
    expect(llm.calls[2].slice(0, llm.calls[1].length)).toEqual(llm.calls[1]);
    expect(llm.calls[2].at(-1)?.content).toMatch(/^<output>\nFinal answer submitted: 55\n<\/output>\n\nFollow-up question: Now double it\.\n\n<notepad>/);
  });

  it('an error, then a fix', async () => {
    const llm = new ScriptedLLM([
      turn('Use the value.', 'y = undefined_value * 2'),
      turn('The name was not defined; define it.', 'undefined_value = 21\ny = undefined_value * 2\ny'),
      turn('Done.', 'submit_final_answer(str(y))'),
    ]);
    const { traj } = await play('error-then-fix', { llm });
    expect(traj.steps[0].cell?.status).toBe('error');
    expect(llm.calls[1].at(-1)?.content).toContain("NameError: name 'undefined_value' is not defined");
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '42' });
  });

  it('a timeout keeps variables and is shown to the model', async () => {
    const llm = new ScriptedLLM([
      turn('Loop.', 'n = 7\nimport time\nwhile True:\n    time.sleep(0.01)'),
      turn('The loop timed out; n survives.', 'submit_final_answer(str(n))'),
    ]);
    const { traj } = await play('timeout', { llm });
    expect(traj.steps[0].cell?.status).toBe('timeout');
    expect(llm.calls[1].at(-1)?.content).toContain('TimeoutError: the cell ran longer than');
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '7' });
  });

  it('a cell that ignores the interrupt restarts the interpreter; the model is told, the notepad kept', async () => {
    const llm = new ScriptedLLM([
      turn('Plan and set a variable.', "notepad.add_todo(['wait'])\nn = 7"),
      turn('Sleep for long.', 'import time\ntime.sleep(30)'),
      turn('Check what survived.', "print('n' in globals())"),
      turn('Submit.', "submit_final_answer('restarted')"),
    ]);
    const { traj } = await play('restart', { llm });
    expect(traj.steps[1].cell).toMatchObject({ status: 'timeout', restarted: true });
    expect(traj.steps[1].observation).toContain('the interpreter was restarted; variables were lost');
    expect(traj.steps[1].notepad.todos).toEqual([{ text: 'wait', done: false }]);
    expect(traj.steps[2].cell?.stdout).toBe('False\n');
    expect(traj.steps[2].notepad.todos).toEqual([{ text: 'wait', done: false }]);
    expect(traj.status).toBe('answered');
  });

  it('malformed outputs are recovered or corrected, never fatal', async () => {
    const llm = new ScriptedLLM([
      '<think>Use a fence.</think>\n```python\na = 1\nprint(a)\n```',
      'I think the answer is obvious, no code needed.',
      'Missing think.\n<code>\nb = a + 1\nprint(b)\n',
      '<think>Two blocks.</think><code>print(b * 10)</code><code>print("second")</code>',
      turn('Proper now.', 'submit_final_answer(str(b))'),
    ]);
    const { traj, events } = await play('malformed', { llm });
    expect(withoutChunks(events)).toEqual([
      'start',
      ...CELL_STEP,
      ...['step-start', 'think*', 'code', 'notepad', 'step-end'],
      ...CELL_STEP,
      ...CELL_STEP,
      ...CELL_STEP,
      'final-answer',
      'done',
    ]);
    expect(traj.steps[1].cell).toBeUndefined();
    expect(traj.steps[1].observation).toContain('[No code ran: no code: prose only; missing <think>.');
    expect(traj.steps[3].cell?.stdout).toBe('20\n');
    // fence, prose only + missing think, missing think (the open <code> at a stop was closed by the
    // </code> stop string, which also ends the two-block turn after its first block).
    expect(traj.formatErrorCount).toBe(4);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '2' });
  });

  it('memory collapse: history is cleared to system + task + notepad', async () => {
    const chatter = (i: number) => turn(`Step ${i}: collect another fact and print a long table.`, `notepad.add_facts(['fact number ${i}'])\nfor r in range(12):\n    print('row', r, '=' * 40)`);
    const llm = new ScriptedLLM([chatter(1), chatter(2), chatter(3), chatter(4), turn('Enough.', "submit_final_answer('4 facts')")]);
    const { traj, events } = await play('memory-collapse', { llm, options: { memoryTokens: 1400 } });
    const collapsedSteps = traj.steps.filter((s) => s.collapsedBefore).map((s) => s.index);
    expect(collapsedSteps.length).toBeGreaterThan(0);
    const first = collapsedSteps[0];
    expect(events).toContainEqual({ type: 'step-start', step: first, collapsed: true });
    const prompt = llm.calls[first - 1];
    expect(prompt).toHaveLength(2);
    expect(prompt[1].content).toContain(`Steps 1-${first - 1} were cleared`);
    expect(prompt[1].content).toContain(`- fact number ${first - 1}`);
    expect(traj.status).toBe('answered');
  });

  it('max steps: no fake answer, draft and facts kept', async () => {
    const llm = new ScriptedLLM([
      turn('Plan.', "notepad.add_todo(['search', 'answer'])\nnotepad.add_facts(['partial: 3 of 5 sources agree'])"),
      turn('Draft.', "notepad.write_draft('probably 1889')"),
    ]);
    const { traj, store } = await play('max-steps', { llm, options: { maxSteps: 2 } });
    expect(traj.status).toBe('max-steps');
    expect(traj.finalAnswer).toBeUndefined();
    expect(traj.steps[1].notepad).toMatchObject({ facts: ['partial: 3 of 5 sources agree'], draft: 'probably 1889' });
    expect(store.notepads.get('golden-max-steps')?.draft).toBe('probably 1889');
  });

  it('abort mid-generation: the partial turn is dropped, earlier steps kept', async () => {
    const llm = new ScriptedLLM([turn('Plan.', "notepad.add_todo(['a'])"), turn('A long thought that will be cut off by the user before any code is written at all.', 'print(1)')], { tokenDelayMs: 5 });
    let thinks = 0;
    let abortedAt = 0;
    const { traj, events } = await play('abort-generation', {
      llm,
      onEvent: (e, ctl) => {
        if (e.type === 'think' && e.step === 2 && ++thinks === 3) {
          abortedAt = Date.now();
          ctl.abort();
        }
      },
    });
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(withoutChunks(events)).toEqual(['start', ...CELL_STEP, 'step-start', 'think*', 'done']);
    expect(traj.status).toBe('aborted');
    expect(traj.steps).toHaveLength(1);
  });

  it('abort mid-cell: the cell is interrupted within a second and the step kept', async () => {
    const llm = new ScriptedLLM([turn('Spin.', 'import time\ncount = 0\nwhile True:\n    count += 1\n    time.sleep(0.01)')]);
    let abortedAt = 0;
    const { traj, events } = await play('abort-cell', {
      llm,
      options: { maxSteps: 3 },
      onEvent: (e, ctl) => {
        if (e.type === 'code')
          setTimeout(() => {
            abortedAt = Date.now();
            ctl.abort();
          }, 300);
      },
    });
    const endedAt = Date.now();
    expect(endedAt - abortedAt).toBeLessThan(1000);
    expect(withoutChunks(events)).toEqual(['start', ...CELL_STEP, 'done']);
    expect(traj.status).toBe('aborted');
    expect(traj.steps[0].cell?.status).toBe('interrupted');
    // The interpreter survived the interrupt with its variables.
    const after = await sandbox.runCell('count > 0');
    expect(after.result).toBe('True');
  });
  // The step format at its edges (issue 21).
  it('a turn that runs on after </code> to the token limit still runs its complete code block', async () => {
    const runOn = `<think>Add them.</think>\n<code>\ntotal = 20 + 22\nprint(total)\n</code>\n<think>Now I will wait for the output, which will show 42, and then I will submit it as the answer.</think>\n<output>\n42\n</output>\nAnd then more prose that goes on and on until the limit.`;
    const llm = new ScriptedLLM([runOn, turn('The output said 42.', 'submit_final_answer(str(total))')]);
    const { traj } = await play('length-cap-after-code', { llm, engine: ignoringStops(llm), options: { maxTokensPerStep: 40 } });
    expect(traj.steps[0].finishReason).toBe('length');
    expect(traj.steps[0].cell?.stdout).toBe('42\n');
    expect(traj.steps[0].formatErrors).toEqual(['text after </code> was ignored']);
    // The model sees its turn as it should have ended: no run-on text, </code> and the marker.
    expect(llm.calls[1][2]!.content).toBe('<think>Add them.</think>\n<code>\ntotal = 20 + 22\nprint(total)\n</code><end_code>');
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '42' });
  });

  it('a <think> that mentions <output> does not cut the turn', async () => {
    const llm = new ScriptedLLM([
      turn('The <output> of this cell will show the product; then I submit it.', 'p = 6 * 7\nprint(p)'),
      turn('The <output> said 42.', 'submit_final_answer(str(p))'),
    ]);
    const { traj } = await play('output-in-think', { llm });
    expect(traj.steps[0].think).toBe('The <output> of this cell will show the product; then I submit it.');
    expect(traj.steps[0].cell?.stdout).toBe('42\n');
    expect(traj.formatErrorCount).toBe(0);
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '42' });
  });

  it('a Markdown fence inside <code>..</code> is stripped with a format note, not a SyntaxError', async () => {
    const llm = new ScriptedLLM([
      turn('Compute in a fenced block.', '```python\nq = 7 * 6\nprint(q)\n```'),
      turn('It ran.', 'submit_final_answer(str(q))'),
    ]);
    const { traj } = await play('fenced-code', { llm });
    expect(traj.steps[0].code).toBe('q = 7 * 6\nprint(q)');
    expect(traj.steps[0].cell).toMatchObject({ status: 'ok', stdout: '42\n' });
    expect(traj.steps[0].observation).toContain('[Format: markdown code fence inside <code>..</code>.');
    expect(traj).toMatchObject({ status: 'answered', finalAnswer: '42' });
  });

  // The notepad's todo-ticking aliases (issue 21 item 4, src/sandbox/python/runtime.py).
  it('the notepad accepts the todo-ticking aliases a trained model may use', async () => {
    const llm = new ScriptedLLM([
      turn('Plan.', "notepad.add_todo(['search', 'read', 'answer', 'check'])"),
      turn('Tick them with the aliases.', 'notepad.update_todo(0, status="done")\nnotepad.complete_todo(1)\nnotepad.mark_todo_done(2)'),
      turn('Done.', "submit_final_answer('ticked')"),
    ]);
    const { traj } = await play('notepad-aliases', { llm });
    expect(traj.steps[1].cell?.status).toBe('ok');
    expect(traj.steps[1].notepad.todos.map((t) => t.done)).toEqual([true, true, true, false]);
    expect(traj.status).toBe('answered');
  });
});
