/**
 * Trajectories as RL training data (JSONL, one question a line: a session with follow-ups gives
 * one record per question), shaped after what L0's trajectory sampler hands its trainer: per step
 * the prompt messages exactly as the model saw them (`NBAgentStep.state`, earlier questions of
 * the session included), the generated text (`action.full_response`), the cell outputs
 * (`observations`), and per-step rewards from `combine_str_reward_fn`. Schema: docs/eval.md.
 */
import { messagesForStep } from '../agent/index';
import { turnsOf, type ChatMessage, type Trajectory, type TurnView } from '../protocols';
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
  /** The entry's id; a follow-up question's record adds `#<turn>` (e.g. `abc#2`). */
  id: string;
  /** Which run of the question (0-based), when it was sampled several times. */
  sample: number;
  /** Which question of the session (1-based); earlier questions are in `steps[i].messages`. */
  question_index: number;
  /** This record's question (the session's task for turn 1). */
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
  /** Gold answers of the first question (the task); without them QA and total rewards are null (always, for follow-ups). */
  golds?: readonly string[];
  /** Default: the trajectory's sessionId. */
  id?: string;
  /** Default 0. */
  sample?: number;
}

type EntryParts = Required<Pick<RLEntry, 'trajectory' | 'id' | 'sample'>> & Pick<RLEntry, 'golds'>;

function partsOf(entry: RLEntry | Trajectory): EntryParts {
  const e: RLEntry = 'trajectory' in entry ? entry : { trajectory: entry };
  return { trajectory: e.trajectory, golds: e.golds, id: e.id ?? e.trajectory.sessionId, sample: e.sample ?? 0 };
}

/** One record per question of the session, in order. */
export function toRLRecords(entry: RLEntry | Trajectory, weights: RewardWeights = REWARD_WEIGHTS): RLRecord[] {
  const parts = partsOf(entry);
  return turnsOf(parts.trajectory).map((turn) => turnRecord(parts, turn, weights));
}

/** The record of the first question: the whole trajectory for one without follow-ups (as the eval runner's are). */
export function toRLRecord(entry: RLEntry | Trajectory, weights: RewardWeights = REWARD_WEIGHTS): RLRecord {
  const parts = partsOf(entry);
  return turnRecord(parts, turnsOf(parts.trajectory)[0]!, weights);
}

function turnRecord({ trajectory: t, golds: entryGolds, id, sample }: EntryParts, turn: TurnView, weights: RewardWeights): RLRecord {
  // Rewards see this question alone: its steps, its answer.
  const part: Trajectory = { ...t, steps: turn.steps, finalAnswer: turn.finalAnswer };
  const golds = turn.index === 1 ? entryGolds : undefined;
  const turns = stepResponses(part);
  const fmt = formatReward(turns);
  const code = codeExecutionReward(part.steps);
  const combined = golds ? combinedReward(part, golds, weights) : undefined;
  return {
    schema: RL_SCHEMA,
    id: turn.index === 1 ? id : `${id}#${turn.index}`,
    sample,
    question_index: turn.index,
    task: turn.question,
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
    status: turn.status,
    final_answer: turn.finalAnswer ?? null,
    rewards: {
      qa: combined ? combined.qa : null,
      format: fmt.score,
      code_execution: code.score,
      total: combined ? combined.total : null,
      weights,
    },
    steps: part.steps.map((s, i) => ({
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

/** One JSON line per question (newline-terminated): a trajectory with follow-ups gives several. */
export function exportRLJsonl(entries: ReadonlyArray<RLEntry | Trajectory>, weights?: RewardWeights): string {
  return entries.flatMap((e) => toRLRecords(e, weights)).map((r) => `${JSON.stringify(r)}\n`).join('');
}
