// Export formats: JSON (re-importable), Jupyter .ipynb (checked against the nbformat v4 JSON
// schema shipped in the `nbformat` npm package, with ajv) and Markdown.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { turnsOf, type NotepadState, type Trajectory, type TrajectoryStep } from '../../src/protocols';
import {
  IndexedDBStore,
  KVSessionStore,
  MemoryStore,
  parseSessionJSON,
  replayCells,
  sessionToMarkdown,
  sessionToNotebook,
  type StoreIssue,
} from '../../src/store/index';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('nbformat/v4/nbformat.v4.schema.json'), 'utf8'));
const validateNotebook = new Ajv({ allErrors: true, strict: false }).compile(schema);

const np: NotepadState = { todos: [{ text: 'look up', done: true }, { text: 'answer', done: false }], facts: ['Paris is the capital'], draft: 'Paris' };

function step(index: number, over: Partial<TrajectoryStep> = {}): TrajectoryStep {
  return {
    index,
    raw: `<think>t${index}</think>\n<code>print(${index})</code>`,
    think: `Thinking about step ${index}.\nSecond line.`,
    code: `print(${index})`,
    formatErrors: [],
    finishReason: 'stop',
    cell: { status: 'ok', stdout: `${index}\n`, stderr: '', durationMs: 2, truncated: false, restarted: false },
    observation: `<output>${index}</output>`,
    notepad: np,
    collapsedBefore: false,
    timings: { startedAt: 5, generateMs: 1, cellMs: 2 },
    usage: { promptTokens: 1, completionTokens: 1 },
    ...over,
  };
}

const steps: TrajectoryStep[] = [
  step(1, { code: 'import math\nx = math.sqrt(16)\nx', cell: { status: 'ok', stdout: 'hello\nworld\n', stderr: 'warning: careful\n', result: '4.0', durationMs: 1, truncated: false, restarted: false } }),
  step(2, { code: 'print(undefined_name)', cell: { status: 'error', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, error: { ename: 'NameError', evalue: "name 'undefined_name' is not defined", traceback: ['Traceback (most recent call last):', '  File "<cell>", line 1', "NameError: name 'undefined_name' is not defined"] } } }),
  step(3, { code: 'while True: pass', cell: { status: 'timeout', stdout: '', stderr: '', durationMs: 30000, truncated: false, restarted: true } }),
  step(4, { think: 'No code this time.', code: '', cell: undefined, formatErrors: ['no <code> block'] }),
  step(5, { code: 'print("```")\nsubmit_final_answer("Paris")', cell: { status: 'ok', stdout: '```\n', stderr: '', durationMs: 1, truncated: false, restarted: false, finalAnswer: 'Paris' } }),
];

const trajectory: Trajectory = {
  version: 1,
  sessionId: 'orig',
  task: 'What is the capital of France?',
  systemPrompt: 'You are NB-Agent.',
  modelId: 'scripted',
  settings: { maxSteps: 10, memoryTokens: 4096, maxTokensPerStep: 512, tools: ['web_search'] },
  steps,
  finalAnswer: 'Paris',
  status: 'answered',
  formatErrorCount: 1,
  startedAt: 1,
  endedAt: 2,
};

async function seeded(store: KVSessionStore = new IndexedDBStore(`l0-export-${process.pid}-${Math.random()}`, { locks: null })) {
  const id = await store.createSession(trajectory.task, { title: 'Capital of France', modelId: 'scripted', systemPrompt: trajectory.systemPrompt, settings: trajectory.settings });
  for (const s of steps) await store.appendStep(id, s);
  await store.saveNotepad(id, np);
  const { steps: _s, ...header } = trajectory;
  void _s;
  await store.saveRun(id, { ...header, sessionId: id });
  return { store, id };
}

describe('JSON export / import', () => {
  it('round-trips a session under a new id, into the same or another store', async () => {
    const { store, id } = await seeded();
    const json = await store.exportSession(id);
    const parsed = JSON.parse(json);
    expect(parsed).toMatchObject({ format: 'l0-session', formatVersion: 1, meta: { id, title: 'Capital of France' } });

    const copyId = await store.importSession(json);
    expect(copyId).not.toBe(id);
    const [a, b] = await Promise.all([store.openSession(id), store.openSession(copyId)]);
    expect(b!.trajectory).toEqual({ ...a!.trajectory, sessionId: copyId });
    expect(b!.notepad).toEqual(np);
    expect(b!.meta).toMatchObject({ title: 'Capital of France', stepCount: 5, status: 'answered', finalAnswer: 'Paris' });

    const elsewhere = new MemoryStore({ locks: null });
    const otherId = await elsewhere.importSession(json);
    expect((await elsewhere.loadSession(otherId))!.steps).toEqual(steps);
  });

  it('imports a session exported mid-run as interrupted', async () => {
    const store = new MemoryStore({ locks: null });
    const id = await store.createSession('running one');
    await store.appendStep(id, step(1));
    const lease = await store.acquireSession(id);
    const json = await store.exportSession(id);
    expect(JSON.parse(json).trajectory.status).toBe('running');
    const copy = await store.importSession(json);
    expect((await store.openSession(copy))!.trajectory.status).toBe('interrupted');
    await lease.release();
  });

  it('rejects what is not an export, and reports malformed steps while importing the rest', async () => {
    const store = new MemoryStore({ locks: null });
    await expect(store.importSession('{nope')).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/not valid JSON/) });
    await expect(store.importSession('{"format":"l0-session","trajectory":{}}')).rejects.toMatchObject({ kind: 'storage' });
    const doc = { ...trajectory, steps: [steps[0], { index: 'two' }, steps[2]] };
    expect(parseSessionJSON(JSON.stringify(doc)).skippedSteps).toEqual([{ position: 1, reason: 'step has no index' }]);
    const issues: StoreIssue[] = [];
    const s2 = new MemoryStore({ locks: null, onIssue: (i) => issues.push(i) });
    const id = await s2.importSession(JSON.stringify(doc)); // a bare Trajectory is accepted too
    expect((await s2.loadSession(id))!.steps.map((s) => s.index)).toEqual([1, 3]);
    expect(issues).toHaveLength(1);
  });
});

describe('Jupyter .ipynb export', () => {
  it('is valid against the nbformat v4 schema', async () => {
    const { store, id } = await seeded();
    const file = await store.exportSessionAs(id, 'ipynb');
    expect(file.filename).toBe('capital-of-france.ipynb');
    const nb = JSON.parse(file.text);
    const ok = validateNotebook(nb);
    expect(validateNotebook.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has think as markdown and code cells with streams, results and errors', () => {
    const nb = sessionToNotebook(trajectory, np, 'Capital');
    expect(nb).toMatchObject({ nbformat: 4, metadata: { kernelspec: { name: 'python3' }, language_info: { name: 'python' } } });
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.map((c) => c.source.join(''))).toEqual(steps.filter((s) => s.code).map((s) => s.code));
    expect(code[0].execution_count).toBe(1);
    expect(code[0].source).toEqual(['import math\n', 'x = math.sqrt(16)\n', 'x']);
    expect(code[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: ['hello\n', 'world\n'] },
      { output_type: 'stream', name: 'stderr', text: ['warning: careful\n'] },
      { output_type: 'execute_result', execution_count: 1, data: { 'text/plain': ['4.0'] }, metadata: {} },
    ]);
    expect(code[1].outputs).toEqual([{ output_type: 'error', ename: 'NameError', evalue: "name 'undefined_name' is not defined", traceback: steps[1].cell!.error!.traceback }]);
    expect(code[2].outputs![0]).toMatchObject({ output_type: 'error', ename: 'TimeoutError' });
    const md = nb.cells.filter((c) => c.cell_type === 'markdown').map((c) => c.source.join(''));
    expect(md[1]).toBe('## Question\n\nWhat is the capital of France?');
    expect(md).toContain('**Step 4: thinking**\n\nNo code this time.');
    expect(md).toContain('## Answer\n\nParis');
    expect(md.at(-1)).toContain('- [x] look up');
    expect(validateNotebook(nb)).toBe(true);
  });

  it('the schema check catches a broken notebook (the validator is not vacuous)', () => {
    const nb = sessionToNotebook(trajectory, np) as unknown as { cells: Array<Record<string, unknown>> };
    delete nb.cells.find((c) => c.cell_type === 'code')!.outputs;
    expect(validateNotebook(nb)).toBe(false);
    const nb2 = sessionToNotebook(trajectory) as unknown as { cells: Array<{ outputs?: Array<Record<string, unknown>> }> };
    nb2.cells.find((c) => c.outputs?.length)!.outputs![0].output_type = 'stdout';
    expect(validateNotebook(nb2)).toBe(false);
  });
});

describe('Markdown export', () => {
  it('shows the task, each step, outputs, the answer and the notepad', () => {
    const md = sessionToMarkdown(trajectory, np, 'Capital');
    expect(md.startsWith('# Capital\n\nModel: `scripted` · status: answered · steps: 5\n\n## Question\n\nWhat is the capital of France?\n\n## Step 1')).toBe(true);
    expect(md).toContain('## Step 1\n\n> Thinking about step 1.\n> Second line.\n\n```python\nimport math\nx = math.sqrt(16)\nx\n```');
    expect(md).toContain("Output (error):\n\n```text\nTraceback (most recent call last):");
    // Code containing ``` is fenced with a longer fence so it cannot break out.
    expect(md).toContain('````python\nprint("```")\nsubmit_final_answer("Paris")\n````');
    expect(md).toContain('## Answer\n\nParis');
    expect(md).toContain('**Facts**\n\n- Paris is the capital');
  });

  it('is offered as a file by the store', async () => {
    const { store, id } = await seeded(new MemoryStore({ locks: null }));
    const f = await store.exportSessionAs(id, 'md');
    expect(f).toMatchObject({ filename: 'capital-of-france.md', mimeType: 'text/markdown' });
    expect(f.text).toContain('## Step 5');
  });
});

// Three questions over the same five steps: answered, stopped at the step limit, answered.
const session: Trajectory = {
  ...trajectory,
  sessionId: 'multi',
  turns: [
    { question: 'What is the capital of France?', firstStep: 1, status: 'answered', finalAnswer: 'Paris (first)', startedAt: 1, endedAt: 1 },
    { question: 'And its population?', firstStep: 3, status: 'max-steps', startedAt: 1, endedAt: 1 },
    { question: 'Say it once more.', firstStep: 5, status: 'answered', finalAnswer: 'Paris', startedAt: 1, endedAt: 2 },
  ],
};

async function seededSession(t: Trajectory, store: KVSessionStore = new MemoryStore({ locks: null })) {
  const { steps: all, ...header } = t;
  const id = await store.createSession(t.task, { title: 'Three questions' });
  for (const s of all) await store.appendStep(id, s);
  await store.saveRun(id, { ...header, sessionId: id });
  return { store, id };
}

describe('sessions with follow-up questions', () => {
  it('the notebook has each question as a heading cell before its steps, its answer after them, and stays valid', async () => {
    const { store, id } = await seededSession(session, new IndexedDBStore(`l0-export-multi-${process.pid}`, { locks: null }));
    const nb = JSON.parse((await store.exportSessionAs(id, 'ipynb')).text) as ReturnType<typeof sessionToNotebook>;
    expect(validateNotebook(nb)).toBe(true);
    expect(validateNotebook.errors ?? []).toEqual([]);
    const headings = nb.cells.map((c, i) => [i, c.source.join('').split('\n')[0]] as const).filter(([, h]) => h.startsWith('## '));
    expect(headings.map(([, h]) => h)).toEqual(['## Question 1', '## Answer 1', '## Question 2', '## Answer 2', '## Question 3', '## Answer 3', '## Notepad']);
    expect(nb.cells[headings[0][0]].source.join('')).toBe('## Question 1\n\nWhat is the capital of France?');
    expect(nb.cells[headings[3][0]].source.join('')).toBe('## Answer 2\n\n_No answer: stopped at the step limit._');
    // Every step's cells sit between its question's heading and that question's answer.
    nb.cells.forEach((c, i) => {
      const step = (c.metadata.l0 as { step?: number } | undefined)?.step;
      if (step === undefined) return;
      const turn = step <= 2 ? 0 : step <= 4 ? 1 : 2;
      expect(i).toBeGreaterThan(headings[turn * 2][0]);
      expect(i).toBeLessThan(headings[turn * 2 + 1][0]);
      expect(c.metadata.l0).toEqual({ step, turn: turn + 1 });
    });
  });

  it('Markdown shows every question before its steps, then its answer', () => {
    const md = sessionToMarkdown(session, np, 'Three');
    const order = ['## Question 1\n\nWhat is the capital of France?', '## Step 1', '## Step 2', '## Answer 1\n\nParis (first)', '## Question 2\n\nAnd its population?', '## Step 3', '## Step 4', '## Answer 2\n\n_No answer: stopped at the step limit._', '## Question 3\n\nSay it once more.', '## Step 5', '## Answer 3\n\nParis', '## Notepad'].map((h) => md.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('steps: 5 · questions: 3');
  });

  it('JSON export and import keep the questions; the session is listed under its first question', async () => {
    const { store, id } = await seededSession(session);
    const copy = await store.importSession(await store.exportSession(id));
    const opened = (await store.openSession(copy))!;
    expect(opened.trajectory.turns).toEqual(session.turns);
    expect(turnsOf(opened.trajectory).map((t) => t.steps.map((s) => s.index))).toEqual([[1, 2], [3, 4], [5]]);
    expect(opened.meta).toMatchObject({ task: 'What is the capital of France?', finalAnswer: 'Paris', status: 'answered' });
  });

  it('a session saved before follow-ups existed (no turns), or with unreadable turns, opens and exports as one question', async () => {
    expect(trajectory.turns).toBeUndefined();
    for (const t of [trajectory, { ...trajectory, turns: 'garbage' as unknown as Trajectory['turns'] }, { ...trajectory, turns: [{ question: 3 }] as unknown as Trajectory['turns'] }]) {
      const { store, id } = await seededSession(t);
      const opened = (await store.openSession(id))!;
      const turns = turnsOf(opened.trajectory);
      expect(turns.map((x) => [x.question, x.status, x.finalAnswer, x.steps.length])).toEqual([['What is the capital of France?', 'answered', 'Paris', 5]]);
      const md = (await store.exportSessionAs(id, 'md')).text;
      expect(md).toContain('## Question\n\nWhat is the capital of France?\n\n## Step 1');
      expect(md).toContain('## Answer\n\nParis');
      expect(validateNotebook(JSON.parse((await store.exportSessionAs(id, 'ipynb')).text))).toBe(true);
    }
  });
});

describe('replayCells', () => {
  it('returns the cells to re-run: ran ok, not the final answer, in order', () => {
    expect(replayCells(trajectory)).toEqual([steps[0].code]);
    expect(replayCells(trajectory, { includeFailed: true })).toEqual([steps[0].code, steps[1].code, steps[2].code]);
    expect(replayCells({ steps: [steps[0], step(7), step(6)] })).toEqual([steps[0].code, 'print(6)', 'print(7)']);
  });
});
