// L0's evaluation protocol as our defaults (issue 21): the task text per dataset against L0's
// strings, the budgets, compute_metrics.py's averaging over samples, a missing answer scored as
// L0 scores it, dataset names, L0's file schema, the code-point format reward, the SimpleQA judge.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDataset } from '../../src/eval/dataset';
import { fillGraderTemplate, judgeAll } from '../../src/eval/judge';
import { l0Budgets, L0_EVAL_DEFAULTS, l0TaskText } from '../../src/eval/protocol';
import { formatOk } from '../../src/eval/rewards';
import { toRLRecord } from '../../src/eval/rl-export';
import { scoreTrajectory } from '../../src/eval/runner';
import { serverContextWindow } from '../../src/eval/server-info';
import { GRADER_TEMPLATE_FILE, modelSize, paperRowsFor, loadPaperResults, resolveDataset } from '../../src/eval/suite';
import { summarize } from '../../src/eval/summary';
import { OpenAICompatibleLLM } from '../../src/llm/openai';
import type { Trajectory, TrajectoryStep } from '../../src/protocols';
import { startOpenAIServer } from '../support/openai-server';

const Q = 'Who wrote Hamlet?';

describe("L0's task text", () => {
  // Word for word from cmriat/l0 @ 3ad5028d42fadcf8639d3593752562fbc03b4461,
  // evaluation/nb_agent_eval/eval_datasets/<dataset>.py: build_batch's f-string and the default `_prompt`.
  const short = 'Answer the question in a word or a short phrase.';
  const multiHop = 'The question is a multi-hop question, you should it breakdown first and then solve it. Answer the question in a word or a short phrase.';
  const bamboogle = 'The question is multi-hop: break it down first, then solve it. Answer in a word or short phrase. If the answer is about time, use the format Month date, Year, e.g., January 1, 2023.';
  it.each([
    ['hotpotqa', `${Q}. ${short}`], // f"{entry.question}. {self._prompt}"
    ['simpleqa', `${Q}. ${short}`],
    ['nq', `${Q}. ${short}`],
    ['bamboogle', `${Q} ${bamboogle}`], // f"{entry.question} {self._prompt}"
    ['musique', `${Q} ${multiHop}`],
    ['triviaqa', `${Q} ${multiHop}`],
    ['2wikimultihopqa', `${Q} ${multiHop}`],
    ['2wiki', `${Q} ${multiHop}`],
    ['my-own-set', `${Q}. ${short}`], // what L0's direct-mode evaluator appends to any question
  ])('%s', (dataset, text) => {
    expect(l0TaskText(Q, dataset)).toBe(text);
  });
});

describe("L0's budgets", () => {
  it('are the sampler config values where the context allows them', () => {
    expect(L0_EVAL_DEFAULTS).toEqual({ maxTokensPerStep: 3192, memoryTokens: 32000, topP: 0.9, maxSteps: 10, samples: 3, contextWindow: 32000 });
    expect(l0Budgets(40960)).toEqual({ maxTokensPerStep: 3192, memoryTokens: 32000 });
    expect(l0Budgets(32000)).toEqual({ maxTokensPerStep: 3192, memoryTokens: 28808 });
    expect(l0Budgets(4096)).toEqual({ maxTokensPerStep: 1024, memoryTokens: 3072 });
  });
});

const traj = (finalAnswer: string | undefined, steps: Partial<TrajectoryStep>[] = []): Trajectory => ({
  version: 1,
  sessionId: 's',
  task: 't',
  systemPrompt: '',
  modelId: 'm',
  settings: { maxSteps: 10, memoryTokens: 1, maxTokensPerStep: 1, tools: [] },
  steps: steps.map((s, i) => ({ index: i + 1, raw: '', think: '', code: '', formatErrors: [], finishReason: 'stop', observation: '', notepad: { todos: [], facts: [], draft: '' }, collapsedBefore: false, timings: { startedAt: 0, generateMs: 0, cellMs: 0 }, usage: { promptTokens: 0, completionTokens: 0 }, ...s })),
  ...(finalAnswer !== undefined ? { finalAnswer } : {}),
  status: finalAnswer !== undefined ? 'answered' : 'max-steps',
  formatErrorCount: 0,
  startedAt: 0,
});
const item = (answers: string[], id = 'q') => ({ id, question: Q, answers, dataset: 'nq' });

describe("compute_metrics.py's scoring", () => {
  it('a missing answer is the text "None" (str(None)), as L0 scores it', () => {
    expect(scoreTrajectory(item(['Shakespeare']), traj(undefined), 1)).toMatchObject({ answer: null, em: 0, f1: 0 });
    expect(scoreTrajectory(item(['none']), traj(undefined), 1)).toMatchObject({ answer: null, em: 1, f1: 1 });
    expect(scoreTrajectory(item(['None of them']), traj(undefined), 1).f1).toBeCloseTo(0.5, 12); // P 1, R 1/3
  });

  it('averages over a question\'s samples, then over questions', () => {
    const row = (id: string, sample: number, em: number) => ({ ...scoreTrajectory(item(['x'], id), traj('x'), 1, sample), em, f1: em });
    const rows = [row('a', 0, 1), row('a', 1, 1), row('a', 2, 0), row('b', 0, 1)];
    const s = summarize(rows).datasets[0]!;
    expect(s).toMatchObject({ n: 2, runs: 4 });
    expect(s.em).toBeCloseTo((2 / 3 + 1) / 2, 12); // not 3/4, the mean over runs
  });
});

describe('datasets by name and in L0\'s schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l0-full-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('a name resolves to the shipped slice, or to a full split in --full DIR (also in L0\'s layout)', () => {
    expect(resolveDataset('hotpotqa')).toMatch(/data[\\/]qa[\\/]hotpotqa\.jsonl$/);
    expect(resolveDataset('2wiki')).toMatch(/data[\\/]qa[\\/]2wikimultihopqa\.jsonl$/);
    expect(resolveDataset('triviaqa')).toBeUndefined();
    mkdirSync(join(dir, 'triviaqa'));
    writeFileSync(join(dir, 'triviaqa', 'dev.jsonl'), '{"id": 7, "question": "q?", "golden_answers": ["a", "b"]}\n');
    writeFileSync(join(dir, 'nq.jsonl'), '{"id": "n1", "question": "q?", "answers": ["a"]}\n');
    expect(resolveDataset('triviaqa', dir)).toBe(join(dir, 'triviaqa', 'dev.jsonl'));
    expect(resolveDataset('nq', dir)).toBe(join(dir, 'nq.jsonl'));
    expect(resolveDataset('musique', dir)).toMatch(/data[\\/]qa[\\/]musique\.jsonl$/);
    expect(parseDataset(readFileSync(join(dir, 'triviaqa', 'dev.jsonl'), 'utf8'), 'triviaqa')).toEqual([{ id: '7', question: 'q?', answers: ['a', 'b'], dataset: 'triviaqa' }]);
  });

  it('the paper rows follow the model size', () => {
    const paper = loadPaperResults();
    expect(modelSize('L0-7B')).toBe('7B');
    expect(modelSize('Qwen2.5-32B-Instruct')).toBe('32B');
    expect(paperRowsFor(paper, 'l0-7b')).toEqual(['L0-7B', 'Qwen2.5-7B-Instruct + NB-Agent']);
    expect(paperRowsFor(paper, 'my-model', '4B')).toEqual(['L0-4B']);
    expect(paperRowsFor(paper, 'test-model')).toEqual([]);
    expect(paper.models['L0-7B']!.results).toEqual({ simpleqa: 80, hotpotqa: 41 });
  });
});

describe('format reward', () => {
  it('counts code points as Python does (astral characters once)', () => {
    const fmt = (think: string) => formatOk(`<think>${think}</think><code>print(1)</code>`);
    expect(fmt('😀'.repeat(6))).toBe(false); // 6 code points, 12 UTF-16 units: not > 10
    expect(fmt('😀'.repeat(11))).toBe(true);
    expect(formatOk('<think>long enough think</think><code>𝑥=1+2</code>')).toBe(false); // 5 code points: not > 5
    expect(formatOk('<think>long enough think</think><code>𝑥=1+23</code>')).toBe(true);
  });
  it('reads the turn with the </code> the engine took as a stop string', () => {
    const t = traj('x', [{ raw: '<think>Compute the value now.</think>\n<code>\nprint(6 * 7)\n', finishReason: 'stop' }]);
    const rl = toRLRecord({ trajectory: t, golds: ['x'] });
    expect(rl.steps[0]!.turn).toBe('<think>Compute the value now.</think>\n<code>\nprint(6 * 7)\n</code><end_code>');
    expect(rl.steps[0]!.response).toBe(t.steps[0]!.raw);
    expect(rl.rewards.format).toBe(1);
  });
});

describe("SimpleQA's LLM judge", () => {
  it("fills L0's grader template and scores A / (A + B + C), failed grades left out", async () => {
    const template = readFileSync(GRADER_TEMPLATE_FILE, 'utf8').trim();
    expect(template.startsWith('Your job is to look at a question, a gold target, and a predicted answer')).toBe(true);
    const filled = fillGraderTemplate(template, { question: 'Q1?', target: 'T1', predicted: 'P1' });
    expect(filled).toContain('```\nQuestion: Q1?\nGold target: T1\nPredicted answer: P1\n```');
    expect(filled).not.toMatch(/\{(question|target|predicted_answer)\}/);

    const replies: Record<string, string> = { P1: 'A', P2: ' b ', P3: 'C', P4: 'Maybe' };
    const server = await startOpenAIServer({ respond: (m) => replies[/Predicted answer: (P\d)\n/.exec(m[0]!.content)![1]!]! });
    try {
      const judge = new OpenAICompatibleLLM({ baseUrl: server.url, model: 'grader', maxRetries: 0 });
      const items = ['P1', 'P2', 'P3', 'P4'].map((p, i) => ({ question: `Q${i + 1}?`, target: `T${i + 1}`, predicted: p }));
      const s = await judgeAll(judge, template, items, 2);
      expect(s).toEqual({ model: 'grader', accuracy: 1 / 3, correct: 1, incorrect: 1, notAttempted: 1, failed: 1, total: 4 });
      const body = server.requests.find((r) => r.body)!.body!;
      expect(body).toMatchObject({ temperature: 0, max_tokens: 5 });
      expect(server.requests.filter((r) => r.body).map((r) => (r.body!.messages as { content: string }[])[0]!.content)).toContain(filled);
    } finally {
      await server.close();
    }
  });
});

describe("the server's context window", () => {
  it('is read from /v1/models (max_model_len), else unknown', async () => {
    const reporting = await startOpenAIServer({ respond: () => '', model: 'l0', maxModelLen: 40960 });
    const silent = await startOpenAIServer({ respond: () => '', model: 'l0' });
    try {
      expect(await serverContextWindow({ baseUrl: reporting.url, model: 'l0' })).toBe(40960);
      expect(await serverContextWindow({ baseUrl: silent.url, model: 'l0' })).toBeUndefined();
      expect(await serverContextWindow({ baseUrl: 'http://127.0.0.1:9/v1', model: 'l0' })).toBeUndefined();
    } finally {
      await reporting.close();
      await silent.close();
    }
  });
});
