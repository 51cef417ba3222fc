// Metrics and rewards against values computed by Python re-statements of L0's formulas
// (test/fixtures/eval/generate_cases.py -> cases.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exactMatch, f1Score, normalizeAnswer } from '../../src/eval/metrics';
import {
  codeExecutionReward,
  codeExecutionScores,
  combinedReward,
  formatReward,
  normalizeRewardText,
  qaReward,
  type JupyterOutput,
} from '../../src/eval/rewards';
import type { CellResult, TrajectoryStep } from '../../src/protocols';

interface Cases {
  metrics: { pred: string | null; golds: string[]; normalized: string; em: number; f1: number }[];
  qa: { pred: string | null; gold: string; weights: { f1: number; em: number; hasAnswer: number }; normalized: string; reward: number }[];
  format: { responses: string[]; perStep: number[] }[];
  code: { outputs: (JupyterOutput[] | null)[]; perStep: number[] }[];
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/eval/cases.json', import.meta.url), 'utf8')) as Cases;

describe('SQuAD/L0 evaluation metrics', () => {
  it('has at least 40 cases', () => expect(cases.metrics.length).toBeGreaterThanOrEqual(40));
  it.each(cases.metrics.map((c) => [JSON.stringify(c.pred), JSON.stringify(c.golds), c] as const))('%s vs %s', (_p, _g, c) => {
    expect(normalizeAnswer(c.pred)).toBe(c.normalized);
    expect(exactMatch(c.pred, c.golds)).toBe(c.em);
    expect(f1Score(c.pred, c.golds)).toBe(c.f1);
  });
});

describe('L0 rewards', () => {
  it.each(cases.qa.map((c) => [JSON.stringify(c.pred), JSON.stringify(c.gold), c.weights.f1, c] as const))(
    'qaReward(%s, %s) f1 weight %s',
    (_p, _g, _w, c) => {
      expect(normalizeRewardText(c.pred)).toBe(c.normalized);
      expect(qaReward(c.pred, c.gold, c.weights)).toBe(c.reward);
    },
  );
  it.each(cases.format.map((c, i) => [i, c] as const))('formatReward case %i', (_i, c) => {
    const r = formatReward(c.responses);
    expect(r.perStep).toEqual(c.perStep);
    expect(r.score).toBe(c.perStep.reduce((a, b) => a + b, 0));
  });
  it.each(cases.code.map((c, i) => [i, c] as const))('codeExecutionScores case %i', (_i, c) => {
    expect(codeExecutionScores(c.outputs).perStep).toEqual(c.perStep);
  });

  const cell = (over: Partial<CellResult>): CellResult => ({
    status: 'ok', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, ...over,
  });
  const step = (raw: string, c?: CellResult) => ({ raw, cell: c }) as unknown as TrajectoryStep;

  it('maps cells to Jupyter outputs: stdout, stderr, result, error each count once', () => {
    const r = codeExecutionReward([
      { cell: cell({ stdout: 'x' }) }, // 1 output, no error -> 1
      { cell: cell({ stdout: 'x', status: 'error', error: { ename: 'E', evalue: '', traceback: [] } }) }, // 1/2
      { cell: cell({}) }, // no output -> 0 (as in L0)
      {}, // no code -> 0
    ]);
    expect(r.perStep).toEqual([1 / 4, 0.5 / 4, 0, 0]);
  });

  it('combinedReward puts QA on the last step only, with L0 default weights', () => {
    const good = '<think>I should search the corpus.</think><code>print(search_corpus("x"))</code>';
    const traj = {
      steps: [step(good, cell({ stdout: 'r' })), step('no format', cell({ status: 'error', error: { ename: 'E', evalue: '', traceback: [] } }))],
      finalAnswer: 'Paris',
    };
    const r = combinedReward(traj, ['Paris', 'paris, france']);
    expect(r.qa).toBe(1); // 0.9*EM + 0.1*has_answer
    expect(r.format).toBe(0.5);
    expect(r.codeExecution).toBe(0.5);
    expect(r.perStep).toEqual([0.1 * 0.5 + 0.1 * 0.5, 0.8 * 1]);
    expect(r.total).toBeCloseTo(0.9, 12);
    expect(combinedReward({ ...traj, finalAnswer: undefined }, 'Paris').qa).toBe(0);
    expect(combinedReward({ ...traj, finalAnswer: 'London' }, 'Paris').qa).toBeCloseTo(0.1, 12);
  });
});
