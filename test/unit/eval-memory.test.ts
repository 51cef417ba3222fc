// Issue 17.4: the eval runner streams records to disk and keeps no trajectory in memory (it used
// to hold every record twice: in the runner and in the CLI). Checked with WeakRefs and a forced
// GC while the run goes on; the files written a line at a time are checked for order and content.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { finalizeResults, openResults, runOrder } from '../../src/eval/node-io';
import { recordKey, runEval, type EvalRecord } from '../../src/eval/runner';
import { ScriptedLLM } from '../../src/llm/scripted';
import { FunctionSandbox } from './agent-support';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const items = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  question: `Question ${i}?`,
  answers: [`a${i}`],
  dataset: 'synthetic',
  context: [{ title: `Doc ${i}`, sentences: [`Answer ${i} is a${i}.`] }],
}));
const answer = (i: number) => `<think>The document says it.</think>\n<code>\nsubmit_final_answer('a${i}')\n</code><end_code>`;
const sandbox = async () => new FunctionSandbox((code) => ({ finalAnswer: /'(a\d)'/.exec(code)?.[1] ?? '', stdout: 'x'.repeat(200_000) }));

const dir = mkdtempSync(join(tmpdir(), 'l0-eval-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eval memory', () => {
  it('a run with a record sink keeps no trajectory: earlier ones are collectable while it goes on', async () => {
    const out = join(dir, 'run');
    const results = openResults(out, () => true);
    const refs: WeakRef<object>[] = [];
    let alive = -1;
    const returned = await runEval({
      items,
      samples: 2,
      llmFor: (item) => new ScriptedLLM([answer(Number(item.id.slice(1)))]),
      tools: 'corpus',
      createSandbox: sandbox,
      onRecord: async (r: EvalRecord) => {
        refs.push(new WeakRef(r.trajectory));
        const row = results.append(r);
        expect(row).not.toHaveProperty('trajectory');
        if (refs.length === items.length * 2) {
          await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRef targets live until the job ends
          gc();
          alive = refs.slice(0, -1).filter((w) => w.deref() !== undefined).length;
        }
      },
    });
    expect(alive).toBe(0);
    expect(returned).toEqual([]);

    // Finishing reads the file back in dataset order, item by item, sample by sample.
    const order = runOrder(items, 2);
    const summary = finalizeResults(out, order);
    const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EvalRecord);
    expect(lines.map(recordKey)).toEqual(order);
    expect(lines.every((r) => r.em === 1 && r.trajectory.steps.length === 1)).toBe(true);
    const rl = readFileSync(join(out, 'rl.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; sample: number });
    expect(rl.map((r) => `${r.id}#${r.sample}`)).toEqual(order);
    expect(summary.overall).toMatchObject({ n: 6, runs: 12, em: 1, answered: 12 });
  });

  it('without a sink the runner returns the records, in item order', async () => {
    const records = await runEval({ items: items.slice(0, 2), samples: 2, concurrency: 2, llmFor: (item) => new ScriptedLLM([answer(Number(item.id.slice(1)))]), tools: 'corpus', createSandbox: sandbox });
    expect(records.map(recordKey)).toEqual(['q0#0', 'q0#1', 'q1#0', 'q1#1']);
  });
});
