// `npm run eval` with L0's protocol (issue 21), end to end: the real CLI, the real agent loop,
// real Pyodide, the real OpenAI client against local scripted OpenAI-compatible servers.
// - the defaults the server sees (3,192 tokens a step, top_p 0.9, no temperature, the stop
//   strings, L0's task text, 10 steps, 32,000 memory tokens with a 40,960-token model);
// - three samples a question, averaged as compute_metrics.py does;
// - --suite l0: every shipped dataset, the SimpleQA judge, the table next to the paper's figures.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/eval/cli';
import type { EvalRecord } from '../../src/eval/runner';
import type { SuiteReport } from '../../src/eval/suite';
import type { EvalSummary } from '../../src/eval/summary';
import { startOpenAIServer, type ChatRequestMessage, type OpenAIServer } from '../support/openai-server';

const first = (name: string) => JSON.parse(readFileSync(`data/qa/${name}.jsonl`, 'utf8').split('\n')[0]!) as { id: string; question: string; answers: string[] };
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');
const turn = (think: string, code: string, eoc = '<end_code>') => `<think>${think}</think>\n<code>\n${code}\n</code>${eoc}`;
const submit = (answer: string, eoc?: string) => turn('I have what I need to answer now.', `submit_final_answer(${JSON.stringify(answer)})`, eoc);
const chats = (s: OpenAIServer) => s.requests.filter((r) => r.body);
const stepOf = (messages: ChatRequestMessage[]) => messages.filter((m) => m.role === 'assistant').length + 1;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'l0-suite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each run starts a fresh Pyodide: generous timeouts for a busy machine.
const SLOW = 600_000;

describe('npm run eval with L0 defaults', () => {
  it('sends L0 budgets, sampling, stop strings and task text, and stops after 10 steps', { timeout: SLOW }, async () => {
    const server = await startOpenAIServer({ model: 'L0-7B', maxModelLen: 40960, respond: () => turn('I keep looking.', 'print("still looking")') });
    try {
      const out = join(dir, 'defaults');
      let stderr = '';
      const res = await runCli(['--dataset', 'hotpotqa', '--limit', '1', '--samples', '1', '--base-url', server.url, '--model', 'L0-7B', '--out', out], { stdout: () => {}, stderr: (s) => (stderr += s) });
      expect(res.code).toBe(0);
      expect(stderr).toContain("context window: 40960 tokens (the server's max_model_len)");

      const item = first('hotpotqa');
      const bodies = chats(server).map((r) => r.body!);
      expect(bodies).toHaveLength(10);
      for (const b of bodies) {
        expect(b).toMatchObject({ model: 'L0-7B', max_tokens: 3192, top_p: 0.9, stop: ['</code>', '<end_code>'] });
        expect(b).not.toHaveProperty('temperature');
        expect((b.messages as ChatRequestMessage[])[1]!.content.startsWith(`${item.question}. Answer the question in a word or a short phrase.\n\n<notepad>`)).toBe(true);
      }
      const [record] = lines(join(out, 'results.jsonl')).map((l) => JSON.parse(l) as EvalRecord);
      expect(record).toMatchObject({ id: item.id, sample: 0, status: 'max-steps', answer: null, steps: 10, em: 0 });
      expect(record!.task).toBe(`${item.question}. Answer the question in a word or a short phrase.`);
      expect(record!.trajectory.settings).toMatchObject({ maxSteps: 10, maxTokensPerStep: 3192, memoryTokens: 32000, topP: 0.9, eocMarker: '<end_code>', tools: ['web_search', 'get_webpage_in_markdown'] });
    } finally {
      await server.close();
    }
  });

  it('runs three samples a question by default and averages them as compute_metrics.py', { timeout: SLOW }, async () => {
    const items = readFileSync('data/qa/bamboogle.jsonl', 'utf8').split('\n').slice(0, 2).map((l) => JSON.parse(l) as { question: string; answers: string[] });
    const EOC = '<|eoc|>';
    const calls = [0, 0];
    const server = await startOpenAIServer({
      respond: (messages) => {
        const i = items.findIndex((it) => messages[1]!.content.startsWith(it.question));
        const n = ++calls[i]!;
        // Question 0 is right in two of its three samples, question 1 in one.
        const right = i === 0 ? n <= 2 : n === 1;
        return submit(right ? items[i]!.answers[0]! : 'Somewhere else', EOC);
      },
    });
    try {
      const out = join(dir, 'samples');
      let stdout = '';
      let stderr = '';
      const res = await runCli(['--dataset', 'bamboogle', '--limit', '2', '--concurrency', '3', '--eoc-marker', EOC, '--base-url', server.url, '--model', 'scripted', '--out', out], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
      expect(res.code).toBe(0);
      expect(calls).toEqual([3, 3]);
      expect(stderr).toContain('context window: 32000 tokens (the server does not say');

      const records = lines(join(out, 'results.jsonl')).map((l) => JSON.parse(l) as EvalRecord);
      expect(records.map((r) => [r.sample, r.status])).toEqual([[0, 'answered'], [1, 'answered'], [2, 'answered'], [0, 'answered'], [1, 'answered'], [2, 'answered']]);
      expect(records.map((r) => r.em).reduce((a, b) => a + b, 0)).toBe(3);
      expect(records[0]!.trajectory.settings).toMatchObject({ memoryTokens: 28808, maxTokensPerStep: 3192, eocMarker: EOC });
      expect(records[0]!.trajectory.systemPrompt).toContain(`</code>${EOC}`);
      for (const r of chats(server)) expect(r.body!.stop).toEqual(['</code>', EOC]);

      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as EvalSummary;
      expect(summary.datasets[0]).toMatchObject({ dataset: 'bamboogle', n: 2, runs: 6, answered: 6 });
      expect(summary.datasets[0]!.em).toBeCloseTo((2 / 3 + 1 / 3) / 2, 12);
      expect(stdout).toMatch(/bamboogle\s+2\s+50\.0\s+/);
    } finally {
      await server.close();
    }
  });
});

describe('npm run eval -- --suite l0', () => {
  it('runs every shipped L0 dataset and prints our EM/F1 next to the paper, with the SimpleQA judge', { timeout: SLOW }, async () => {
    const golds = Object.fromEntries(['simpleqa', 'hotpotqa', 'bamboogle', 'nq', '2wikimultihopqa', 'musique'].map((d) => [d, first(d)]));
    const model = await startOpenAIServer({
      model: 'L0-7B',
      respond: (messages) => {
        const task = messages[1]!.content;
        const [name, item] = Object.entries(golds).find(([, it]) => task.startsWith(it.question))!;
        if (name === 'hotpotqa' && stepOf(messages) === 1) {
          // Offline, under L0's tool names: search the question's paragraphs, read the best one.
          return turn('Search the documents, then read the best one.', `hits = web_search(${JSON.stringify(item.question)})\npage = get_webpage_in_markdown(hits[0]["url"])\nprint(page[:60])`);
        }
        if (name === 'simpleqa') return submit(`${item.answers[0]} (the painter)`); // EM 0, but a judge calls it correct
        if (name === 'nq') return submit('I do not know');
        return submit(item.answers[0]!);
      },
    });
    const judge = await startOpenAIServer({ model: 'grader', respond: (m) => (m[0]!.content.includes('Predicted answer: Dacia Klinkerch (the painter)\n') ? 'A' : 'B') });
    try {
      const out = join(dir, 'suite');
      let stdout = '';
      let stderr = '';
      const argv = ['--suite', 'l0', '--limit', '1', '--samples', '1', '--concurrency', '3', '--base-url', model.url, '--model', 'L0-7B', '--judge-base-url', judge.url, '--judge-model', 'grader', '--out', out];
      const res = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
      expect(res.code).toBe(0);
      expect(stderr).toContain('triviaqa: no data (no slice ships in data/qa/; give --full DIR with triviaqa.jsonl)');

      const records = lines(join(out, 'results.jsonl')).map((l) => JSON.parse(l) as EvalRecord);
      expect(records.map((r) => r.dataset)).toEqual(['simpleqa', 'hotpotqa', 'bamboogle', 'nq', '2wikimultihopqa', 'musique']);
      const hotpot = records[1]!.trajectory.steps[0]!.cell!;
      expect(hotpot.toolCalls?.map((c) => [c.name, c.ok])).toEqual([['web_search', true], ['get_webpage_in_markdown', true]]);
      expect(hotpot.stdout.startsWith('# ')).toBe(true);
      expect(records.map((r) => r.em)).toEqual([0, 1, 1, 0, 1, 1]);

      // The judge read L0's grader prompt with the question as the model was asked it.
      const graded = (chats(judge)[0]!.body!.messages as ChatRequestMessage[])[0]!.content;
      expect(graded).toContain(`Question: ${golds.simpleqa!.question}. Answer the question in a word or a short phrase.\nGold target: Dacia Klinkerch\n`);

      const report = JSON.parse(readFileSync(join(out, 'l0-suite.json'), 'utf8')) as SuiteReport;
      expect(report.compared).toEqual(['L0-7B', 'Qwen2.5-7B-Instruct + NB-Agent']);
      expect(report.rows.find((r) => r.dataset === 'simpleqa')).toMatchObject({ questions: 1, runs: 1, em: 0, judge: 100, paper: { 'L0-7B': 80, 'Qwen2.5-7B-Instruct + NB-Agent': 30 } });
      expect(report.rows.find((r) => r.dataset === 'hotpotqa')).toMatchObject({ em: 100, f1: 100, paper: { 'L0-7B': 41, 'Qwen2.5-7B-Instruct + NB-Agent': 22 } });
      expect(report.rows.find((r) => r.dataset === 'nq')).toMatchObject({ em: 0, paper: { 'L0-7B': null } });

      const table = stdout.slice(stdout.indexOf('L0 suite, L0-7B:'));
      expect(table).toMatch(/dataset\s+questions\s+runs\s+EM\s+F1\s+judge\s+paper L0-7B\s+paper Qwen2\.5-7B-Instruct \+ NB-Agent/);
      expect(table).toMatch(/\nsimpleqa\s+1\s+1\s+0\.0\s+\d+\.\d\s+100\.0\s+80\.0\s+30\.0\n/);
      expect(table).toMatch(/\nhotpotqa\s+1\s+1\s+100\.0\s+100\.0\s+-\s+41\.0\s+22\.0\n/);
      expect(table).toMatch(/\nmusique\s+1\s+1\s+100\.0\s+100\.0\s+-\s+-\s+-\n/);
      expect(table).toContain(`suite: ${join(out, 'l0-suite.json')}`);
    } finally {
      await model.close();
      await judge.close();
    }
  });
});
