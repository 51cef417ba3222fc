/**
 * L0's training rewards (`src/l0/verl_adapter/reward/nb_agent_reward.py` in cmriat/l0), each in
 * [0, 1], ported with the original's normalisation, defaults and per-step scaling:
 * - QA: `f1*F1 + em*EM + hasAnswer*1` for a string answer, 0 for none (defaults 0.4/0.5/0.1;
 *   the combined reward uses 0.0/0.9/0.1), 0.5 when the gold is empty.
 * - format, per response: 1 iff exactly one `<think>` (>10 chars stripped) and one `<code>`
 *   (>5 chars stripped), divided by the number of responses (so the trajectory sum is the mean).
 *   Characters are code points, as Python's `len` counts them. A response is the turn as the
 *   context shows it (`assistantContent`): the `</code>` the engine took as a stop string is part
 *   of what the model generated.
 * - code execution, per step: `1 - errors/outputs` (0 with no outputs), divided by the step count.
 * - combined, per step: `0.8*qa + 0.1*format + 0.1*code` (length weight 0, not ported); only the
 *   last step carries the final answer (the sampler sets `final_answer` on the last step only),
 *   so the trajectory total is `0.8*qa(final) + 0.1*mean(format) + 0.1*mean(code)`.
 */
import { assistantContent, eocMarkerOf } from '../agent/index';
import type { CellResult, Trajectory, TrajectoryStep } from '../protocols';
import { PY_WHITESPACE, pySplit, tokenOverlap } from './metrics';

export interface QaWeights {
  f1: number;
  em: number;
  hasAnswer: number;
}
/** `qa_reward_fn`'s own defaults. */
export const QA_REWARD_WEIGHTS: Readonly<QaWeights> = Object.freeze({ f1: 0.4, em: 0.5, hasAnswer: 0.1 });
/** The QA config `combine_str_reward_fn` uses by default. */
export const COMBINED_QA_WEIGHTS: Readonly<QaWeights> = Object.freeze({ f1: 0.0, em: 0.9, hasAnswer: 0.1 });

export interface RewardWeights {
  qa: number;
  format: number;
  codeExecution: number;
}
export const REWARD_WEIGHTS: Readonly<RewardWeights> = Object.freeze({ qa: 0.8, format: 0.1, codeExecution: 0.1 });

const NOT_ALNUM_SPACE = new RegExp(`[^a-z0-9${PY_WHITESPACE}]`, 'gu');

/** The reward's normalisation: lowercase, drop all but `[a-z0-9\s]`, collapse whitespace. */
export function normalizeRewardText(text: string | null | undefined): string {
  if (!text) return '';
  return pySplit(text.toLowerCase().replace(NOT_ALNUM_SPACE, '')).join(' ');
}

/** The reward's F1 (note: both empty gives 1, unlike the evaluation metric). */
function rewardF1(pred: string, gold: string): number {
  const p = pySplit(normalizeRewardText(pred));
  const g = pySplit(normalizeRewardText(gold));
  if (p.length === 0 && g.length === 0) return 1;
  if (p.length === 0 || g.length === 0) return 0;
  const overlap = tokenOverlap(p, g);
  const precision = overlap / p.length;
  const recall = overlap / g.length;
  if (precision + recall === 0) return 0;
  return (2 * precision * recall) / (precision + recall);
}

function rewardExactMatch(pred: string, gold: string): number {
  return normalizeRewardText(pred) === normalizeRewardText(gold) ? 1 : 0;
}

/** QA reward of one answer against one gold (`undefined`/`null` = no answer submitted). */
export function qaReward(pred: string | null | undefined, gold: string, weights: QaWeights = QA_REWARD_WEIGHTS): number {
  if (!gold) return 0.5;
  if (typeof pred !== 'string') return 0;
  return weights.f1 * rewardF1(pred, gold) + weights.em * rewardExactMatch(pred, gold) + weights.hasAnswer * 1;
}

export interface StepScores {
  /** One score per step, already divided by the step count where L0 does. */
  perStep: number[];
  /** Sum over steps (the trajectory-level score). */
  score: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function allMatches(re: RegExp, text: string): string[] {
  return Array.from(text.matchAll(re), (m) => m[1] ?? '');
}

/** Python's `str.strip()` (Python whitespace set). */
const pyStrip = (s: string) => s.replace(new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'gu'), '');

/** Python's `len` of a str: code points, so an astral character (emoji, rare CJK) counts once. */
const pyLen = (s: string) => [...s].length;

/** 1 when a response has exactly one meaningful think and one meaningful code block. */
export function formatOk(response: string): boolean {
  const thinks = allMatches(/<think>([\s\S]*?)<\/think>/g, response);
  const codes = allMatches(/<code>([\s\S]*?)<\/code>/g, response);
  if (thinks.length !== 1 || codes.length !== 1) return false;
  return pyLen(pyStrip(thinks[0]!)) > 10 && pyLen(pyStrip(codes[0]!)) > 5;
}

/** The responses of a trajectory's steps as the format reward reads them (see the header). */
export function stepResponses(trajectory: { steps: readonly Pick<TrajectoryStep, 'raw' | 'finishReason'>[]; settings?: Trajectory['settings'] }): string[] {
  const marker = trajectory.settings ? eocMarkerOf({ settings: trajectory.settings }) : undefined;
  return trajectory.steps.map((s) => assistantContent(s.raw, s.finishReason, marker));
}

export function formatReward(responses: readonly string[]): StepScores {
  const perStep = responses.map((r) => (formatOk(r) ? 1 : 0) / responses.length);
  return { perStep, score: sum(perStep) };
}

/** A Jupyter output as the original counts it (only `output_type` matters). */
export interface JupyterOutput {
  output_type: 'stream' | 'execute_result' | 'error';
  [k: string]: unknown;
}

/** The Jupyter outputs a cell would have produced; `null` when no code ran. */
export function cellOutputs(cell: CellResult | undefined): JupyterOutput[] | null {
  if (!cell) return null;
  const out: JupyterOutput[] = [];
  if (cell.stdout) out.push({ output_type: 'stream', name: 'stdout', text: cell.stdout });
  if (cell.stderr) out.push({ output_type: 'stream', name: 'stderr', text: cell.stderr });
  if (cell.result !== undefined) out.push({ output_type: 'execute_result' });
  if (cell.status !== 'ok') out.push({ output_type: 'error', ename: cell.error?.ename ?? cell.status });
  return out;
}

/** `code_execution_reward_fn` over raw outputs per step (`null` = no code ran). */
export function codeExecutionScores(outputsPerStep: ReadonlyArray<readonly JupyterOutput[] | null>): StepScores {
  const n = outputsPerStep.length;
  const perStep = outputsPerStep.map((outputs) => {
    if (outputs === null) return 0; // the original appends min_reward unscaled (0)
    const errors = outputs.filter((o) => o.output_type === 'error').length;
    const raw = outputs.length > 0 ? 1 - errors / outputs.length : 0;
    return raw / n;
  });
  return { perStep, score: sum(perStep) };
}

export function codeExecutionReward(steps: ReadonlyArray<{ cell?: CellResult }>): StepScores {
  return codeExecutionScores(steps.map((s) => cellOutputs(s.cell)));
}

export interface CombinedReward {
  /** QA reward of the final answer (COMBINED_QA_WEIGHTS unless given). */
  qa: number;
  format: number;
  codeExecution: number;
  /** Per-step QA rewards (0 before the last step, which carries the final answer). */
  qaPerStep: number[];
  /** Per-step combined rewards as L0 assigns them (QA only on the last step). */
  perStep: number[];
  /** Sum of perStep: the trajectory reward. */
  total: number;
}

/**
 * The combined reward of a trajectory. `gold` may list several accepted answers: the best QA
 * reward over them is used (L0 takes one ground truth; with one gold this is identical).
 */
export function combinedReward(
  trajectory: Pick<Trajectory, 'steps' | 'finalAnswer'> & Partial<Pick<Trajectory, 'settings'>>,
  gold: string | readonly string[],
  weights: RewardWeights = REWARD_WEIGHTS,
  qaWeights: QaWeights = COMBINED_QA_WEIGHTS,
): CombinedReward {
  const golds = typeof gold === 'string' ? [gold] : gold;
  const steps = trajectory.steps;
  const qaOf = (answer: string | undefined) =>
    golds.length === 0 ? qaReward(answer, '', qaWeights) : Math.max(...golds.map((g) => qaReward(answer, g, qaWeights)));
  const qaPerStep = steps.map((_, i) => qaOf(i === steps.length - 1 ? trajectory.finalAnswer : undefined));
  const fmt = formatReward(stepResponses(trajectory));
  const code = codeExecutionReward(steps);
  const perStep = steps.map(
    (_, i) => weights.qa * qaPerStep[i]! + weights.format * fmt.perStep[i]! + weights.codeExecution * code.perStep[i]!,
  );
  return {
    qa: steps.length ? qaPerStep[steps.length - 1]! : 0,
    format: fmt.score,
    codeExecution: code.score,
    qaPerStep,
    perStep,
    total: sum(perStep),
  };
}
