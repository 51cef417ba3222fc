// Public API of src/eval (re-exported by src/index.ts).
export { normalizeAnswer, exactMatch, f1Score } from './metrics';
export {
  qaReward,
  formatReward,
  codeExecutionReward,
  codeExecutionScores,
  combinedReward,
  stepResponses,
  cellOutputs,
  normalizeRewardText,
  QA_REWARD_WEIGHTS,
  COMBINED_QA_WEIGHTS,
  REWARD_WEIGHTS,
  type QaWeights,
  type RewardWeights,
  type StepScores,
  type CombinedReward,
  type JupyterOutput,
} from './rewards';
export { parseDataset, type EvalItem } from './dataset';
export { runEval, scoreTrajectory, recordKey, type EvalOptions, type EvalRecord, type ScoreRow, type ToolMode, type AgentSettings } from './runner';
export {
  l0TaskText,
  l0Budgets,
  canonicalDataset,
  L0_INSTRUCTIONS,
  L0_EVAL_DEFAULTS,
  L0_SUITE,
  L0_MISSING_ANSWER,
  L0_SHORT_ANSWER,
  L0_MULTI_HOP,
  L0_BAMBOOGLE,
  type L0Instruction,
} from './protocol';
export { judgeAll, gradeAnswer, fillGraderTemplate, type Grade, type JudgeItem, type JudgeSummary } from './judge';
export { summarize, formatSummaryTable, textTable, type EvalSummary, type DatasetSummary } from './summary';
export { exportRLJsonl, toRLRecord, toRLRecords, RL_SCHEMA, type RLRecord, type RLStep, type RLEntry } from './rl-export';
