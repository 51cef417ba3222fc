// The eval runner end to end: 6 HotpotQA questions (one of each outcome), the real agent loop, real Pyodide, the real
// OpenAI client against a local scripted OpenAI-compatible server; interrupt + resume.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/eval/cli';
import { normalizeAnswer } from '../../src/eval/metrics';
import type { EvalRecord } from '../../src/eval/runner';
import type { EvalSummary } from '../../src/eval/summary';
import type { RLRecord } from '../../src/eval/rl-export';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server';

const DATASET = 'data/qa/hotpotqa.jsonl';
const items = readFileSync(DATASET, 'utf8')
  .trim()
  .split('\n')
  .slice(0, 6)
  .map((l) => JSON.parse(l) as { id: string; question: string; answers: string[]; context: { title: string }[] });

const turn = (think: string, code: string) => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;
const py = (s: string) => JSON.stringify(s);

/** What the scripted model does for question i at step n (1-based): one question of each outcome. */
function scripted(i: number, step: number): string {
  const item = items[i]!;
  const gold = item.answers[0]!;
  const search = turn('I will search the local documents first.', `hits = web_search(${py(item.question)}, k=3)\nprint([h["title"] for h in hits])`);
  const submit = (a: string) => turn('The documents give me the answer now.', `submit_final_answer(${py(a)})`);
  switch (i) {
    case 1: // partly right: one extra token
      return step === 1 ? search : submit(`${gold} indeed`);
    case 2: // wrong
      return step === 1 ? search : submit('Nobody at all');
    case 3: // a Python error first
      return step === 1 ? turn('Let me look at a variable I never set.', 'print(undefined_name)') : submit(gold);
    case 4: // never answers: runs into max-steps
      return turn('I keep searching for more evidence.', `print(len(web_search(${py(item.context[0]!.title)})))`);
    case 5: // a turn without code first
      return step === 1 ? 'I think the answer is obvious but I forgot the code.' : submit(gold);
    default:
      return step === 1 ? search : submit(gold);
  }
}

let server: OpenAIServer;
let dir: string;
beforeAll(async () => {
  server = await startOpenAIServer({
    respond: (messages) => {
      const i = items.findIndex((it) => messages[1]?.content.startsWith(it.question));
      const step = messages.filter((m) => m.role === 'assistant').length + 1;
      return scripted(i, step);
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'l0-eval-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const args = (out: string, extra: string[] = []) => [
  '--dataset', DATASET, '--limit', '6', '--engine', 'openai', '--base-url', server.url, '--model', 'scripted-l0',
  '--max-steps', '3', '--concurrency', '2', '--samples', '1', '--out', out, ...extra,
];
const quietIO = (signal?: AbortSignal, onErr?: (s: string) => void) => ({ stdout: () => {}, stderr: (s: string) => onErr?.(s), signal });
/** The first path where two JSON values differ (readable failures for big files), or undefined. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${JSON.stringify(a)?.slice(0, 200)} != ${JSON.stringify(b)?.slice(0, 200)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}
const readJsonl = <T>(path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);

/** Wall-clock fields differ between any two runs; everything else must not. */
function stable(text: string): unknown {
  return JSON.parse(
    JSON.stringify(
      text.trim().split('\n').map((l) => JSON.parse(l)),
      (k, v) => (/(^startedAt|^endedAt|Ms)$/.test(k) ? undefined : v),
    ),
  );
}

describe('eval runner over 6 HotpotQA questions', () => {
  // Each question starts a fresh Pyodide: generous timeouts for a busy machine.
  const SLOW = 600_000;
  it('scores a full run exactly and writes results, summary and RL export', { timeout: SLOW }, async () => {
    const out = join(dir, 'full');
    let stdout = '';
    const res = await runCli(args(out), { stdout: (s) => (stdout += s), stderr: () => {} });
    expect(res.code).toBe(0);

    const records = readJsonl<EvalRecord>(join(out, 'results.jsonl'));
    expect(records.map((r) => r.id)).toEqual(items.map((i) => i.id));
    expect(records.map((r) => r.status)).toEqual(['answered', 'answered', 'answered', 'answered', 'max-steps', 'answered']);
    expect(records.map((r) => r.em)).toEqual([1, 0, 0, 1, 0, 1]);
    expect(records.map((r) => r.steps)).toEqual([2, 2, 2, 2, 3, 2]);

    const g = normalizeAnswer(items[1]!.answers[0]).split(' ').length; // pred = gold + 1 extra token
    const f1Item1 = (2 * (g / (g + 1)) * 1) / (g / (g + 1) + 1);
    expect(records[1]!.f1).toBe(f1Item1);
    expect(records[1]!.answer).toBe(`${items[1]!.answers[0]} indeed`);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as EvalSummary;
    expect(summary.datasets.map((d) => d.dataset)).toEqual(['hotpotqa']);
    const s = summary.datasets[0]!;
    expect(s.n).toBe(6);
    expect(s.em).toBe(0.5);
    expect(s.f1).toBe((3 + f1Item1) / 6);
    expect(s.meanSteps).toBe(13 / 6);
    expect(s.answered).toBe(5);
    expect(s.failures).toEqual({ 'max-steps': 1 });
    expect(stdout).toMatch(/hotpotqa\s+6\s+50\.0\s+/);

    // Rewards per part, from L0's formulas on these scripted turns.
    expect(records[0]!.reward.qa).toBe(1); // 0.9*EM + 0.1*has_answer
    expect(records[2]!.reward.qa).toBeCloseTo(0.1, 12);
    expect(records[4]!.reward.qa).toBe(0); // no answer
    expect(records[0]!.reward.format).toBe(1);
    expect(records[5]!.reward.format).toBe(0.5); // one of two turns had no code
    expect(records[3]!.reward.codeExecution).toBeLessThan(records[0]!.reward.codeExecution); // the NameError step

    // The search ran in Python over the question's own paragraphs, under L0's tool name.
    const cell = records[0]!.trajectory.steps[0]!.cell!;
    expect(cell.toolCalls?.[0]?.name).toBe('web_search');
    expect(records[0]!.trajectory.settings.tools).toEqual(['web_search', 'get_webpage_in_markdown']);
    const titles = items[0]!.context.map((c) => c.title);
    expect(JSON.parse(cell.toolCalls![0]!.result!).every((h: { title: string }) => titles.includes(h.title))).toBe(true);

    // RL export: one line per trajectory, prompts exactly as the server received them.
    const rl = readJsonl<RLRecord>(join(out, 'rl.jsonl'));
    expect(rl.length).toBe(6);
    expect(rl[0]!.model).toMatchObject({ id: 'scripted-l0', max_steps: 3 });
    expect(rl[0]!.steps[1]!.reward.total).toBeCloseTo(rl[0]!.rewards.total! - rl[0]!.steps[0]!.reward.total!, 12);
    const sentToServer = server.requests
      .filter((r) => r.body && (r.body.messages as { content: string }[])[1]!.content.startsWith(items[0]!.question))
      .map((r) => r.body!.messages);
    expect(rl[0]!.steps.map((st) => st.messages)).toEqual(sentToServer);
  });

  it('an interrupted run, resumed, ends with the same files', { timeout: SLOW }, async () => {
    const out = join(dir, 'resumed');
    const controller = new AbortController();
    const first = await runCli(
      args(out),
      quietIO(controller.signal, (line) => {
        if (/\] 3\/6/.test(line)) controller.abort();
      }),
    );
    expect(first.code).toBe(130);
    const partial = readJsonl<EvalRecord>(join(out, 'results.jsonl'));
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(partial.length).toBeLessThan(6);

    let resumeLog = '';
    const second = await runCli(args(out), quietIO(undefined, (s) => (resumeLog += s)));
    expect(second.code).toBe(0);
    expect(resumeLog).toContain(`resuming: ${partial.length} of 6 already done`);

    const full = join(dir, 'full');
    const files = (name: string) => [join(out, name), join(full, name)].map((f) => stable(readFileSync(f, 'utf8')));
    expect(firstDifference(...(files('results.jsonl') as [unknown, unknown]))).toBeUndefined();
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(readFileSync(join(full, 'summary.json'), 'utf8'));
    expect(firstDifference(...(files('rl.jsonl') as [unknown, unknown]))).toBeUndefined();
  });

  it('replays a recorded run with --engine replay to the same records', { timeout: SLOW }, async () => {
    const out = join(dir, 'replay');
    const res = await runCli(
      ['--dataset', DATASET, '--limit', '4', '--engine', 'replay', '--replay', join(dir, 'full', 'results.jsonl'), '--max-steps', '3', '--concurrency', '2', '--samples', '1', '--out', out],
      quietIO(),
    );
    expect(res.code).toBe(0);
    const pick = (f: string) => readJsonl<EvalRecord>(f).map((r) => [r.id, r.answer, r.em, r.f1, r.reward, r.steps, r.status]);
    expect(pick(join(out, 'results.jsonl'))).toEqual(pick(join(dir, 'full', 'results.jsonl')).slice(0, 4));
  });
});

describe('the eval CLI as a process', () => {
  const runProcess = (argv: string[], onStderr?: (s: string, kill: () => void) => void) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/eval/cli.ts', ...argv], { cwd: process.cwd() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        onStderr?.(stderr, () => child.kill('SIGINT'));
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('stops on SIGINT with exit code 130 and resumes to the same records', { timeout: 600_000 }, async () => {
    const out = join(dir, 'process');
    const cli = () => args(out, ['--concurrency', '1', '--limit', '3']); // later flags win
    let sent = false;
    const first = await runProcess(cli(), (err, kill) => {
      if (!sent && /\] 1\/3/.test(err)) {
        sent = true;
        kill();
      }
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/interrupted: [12] of 3 done; run the same command again to resume/);
    const second = await runProcess(cli());
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming: [12] of 3 already done/);
    expect(second.stdout).toMatch(/hotpotqa\s+3\s+33\.3\s+/);
    const pick = (f: string) => readJsonl<EvalRecord>(f).map((r) => [r.id, r.answer, r.em, r.reward, r.steps]);
    expect(pick(join(out, 'results.jsonl'))).toEqual(pick(join(dir, 'full', 'results.jsonl')).slice(0, 3));
  });

  it('counts an unreachable model server as error:network failures', { timeout: 300_000 }, async () => {
    const dead = createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((ok) => dead.close(() => ok()));
    const out = join(dir, 'dead');
    const res = await runProcess(['--dataset', DATASET, '--limit', '1', '--samples', '1', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--out', out]);
    expect(res.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as EvalSummary;
    expect(summary.overall).toMatchObject({ n: 1, em: 0, answered: 0, failures: { 'error:network': 1 } });
  });
});
