// Public API of src/eval (re-exported by src/index.ts).
export { normalizeAnswer, exactMatch, f1Score } from './metrics';
export {
  qaReward,
  formatReward,
  codeExecutionReward,
  codeExecutionScores,
  combinedReward,
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
export { runEval, scoreTrajectory, type EvalOptions, type EvalRecord, type ToolMode, type AgentSettings } from './runner';
export { summarize, formatSummaryTable, type EvalSummary, type DatasetSummary } from './summary';
export { exportRLJsonl, toRLRecord, RL_SCHEMA, type RLRecord, type RLStep, type RLEntry } from './rl-export';
