/**
 * Trajectories as RL training data (JSONL, one trajectory a line), shaped after what L0's
 * trajectory sampler hands its trainer: per step the prompt messages exactly as the model saw
 * them (`NBAgentStep.state`), the generated text (`action.full_response`), the cell outputs
 * (`observations`), and per-step rewards from `combine_str_reward_fn`. Schema: docs/eval.md.
 */
import { messagesForStep } from '../agent/index';
import type { ChatMessage, Trajectory } from '../protocols';
import { cellOutputs, codeExecutionReward, combinedReward, formatReward, REWARD_WEIGHTS, stepResponses, type JupyterOutput, type RewardWeights } from './rewards';

export const RL_SCHEMA = 'l0-browser/rl-trajectory@1';

export interface RLStep {
  index: number;
  /** The prompt: every message the model received for this step, in order. */
  messages: ChatMessage[];
  /** The generated text exactly as the engine returned it (stop strings removed). */
  response: string;
  /**
   * The turn as the next prompt shows it (L0: action.full_response): `response` with the
   * `</code>` and end-of-code marker the stop strings took restored. Train on this.
   */
  turn: string;
  think: string;
  code: string;
  finish_reason: string;
  /** The user message that followed (output + notepad), as the next prompt shows it. */
  observation: string;
  /** The cell's outputs as Jupyter outputs (null: no code ran). */
  outputs: JupyterOutput[] | null;
  usage: { prompt_tokens: number; completion_tokens: number };
  /** Per-step reward parts, as L0 assigns them (format and code already divided by the step count). */
  reward: { qa: number | null; format: number; code_execution: number; total: number | null };
}

export interface RLRecord {
  schema: typeof RL_SCHEMA;
  id: string;
  /** Which run of the question (0-based), when it was sampled several times. */
  sample: number;
  task: string;
  ground_truth: string[] | null;
  model: {
    id: string;
    temperature: number | null;
    top_p: number | null;
    max_tokens_per_step: number;
    memory_tokens: number;
    max_steps: number;
    tools: string[];
  };
  system_prompt: string;
  status: string;
  final_answer: string | null;
  /** Trajectory-level rewards: sums over steps (qa/total null without ground truth). */
  rewards: { qa: number | null; format: number; code_execution: number; total: number | null; weights: RewardWeights };
  steps: RLStep[];
}

export interface RLEntry {
  trajectory: Trajectory;
  /** Gold answers; without them QA and total rewards are null. */
  golds?: readonly string[];
  /** Default: the trajectory's sessionId. */
  id?: string;
  /** Default 0. */
  sample?: number;
}

export function toRLRecord(entry: RLEntry | Trajectory, weights: RewardWeights = REWARD_WEIGHTS): RLRecord {
  const { trajectory: t, golds, id, sample } = 'trajectory' in entry ? entry : { trajectory: entry, golds: undefined, id: undefined, sample: undefined };
  const turns = stepResponses(t);
  const fmt = formatReward(turns);
  const code = codeExecutionReward(t.steps);
  const combined = golds ? combinedReward(t, golds, weights) : undefined;
  return {
    schema: RL_SCHEMA,
    id: id ?? t.sessionId,
    sample: sample ?? 0,
    task: t.task,
    ground_truth: golds ? [...golds] : null,
    model: {
      id: t.modelId,
      temperature: t.settings.temperature ?? null,
      top_p: t.settings.topP ?? null,
      max_tokens_per_step: t.settings.maxTokensPerStep,
      memory_tokens: t.settings.memoryTokens,
      max_steps: t.settings.maxSteps,
      tools: t.settings.tools,
    },
    system_prompt: t.systemPrompt,
    status: t.status,
    final_answer: t.finalAnswer ?? null,
    rewards: {
      qa: combined ? combined.qa : null,
      format: fmt.score,
      code_execution: code.score,
      total: combined ? combined.total : null,
      weights,
    },
    steps: t.steps.map((s, i) => ({
      index: s.index,
      messages: messagesForStep(t, s.index),
      response: s.raw,
      turn: turns[i]!,
      think: s.think,
      code: s.code,
      finish_reason: s.finishReason,
      observation: s.observation,
      outputs: cellOutputs(s.cell),
      usage: { prompt_tokens: s.usage.promptTokens, completion_tokens: s.usage.completionTokens },
      reward: {
        qa: combined ? combined.qaPerStep[i]! : null,
        format: fmt.perStep[i]!,
        code_execution: code.perStep[i]!,
        total: combined ? combined.perStep[i]! : null,
      },
    })),
  };
}

/** One JSON line per trajectory (newline-terminated). */
export function exportRLJsonl(entries: ReadonlyArray<RLEntry | Trajectory>, weights?: RewardWeights): string {
  return entries.map((e) => `${JSON.stringify(toRLRecord(e, weights))}\n`).join('');
}
