// Public API of src/eval (re-exported by src/index.ts).
export { normalizeAnswer, exactMatch, f1Score } from './metrics';
export {
  qaReward,
  formatReward,
  codeExecutionReward,
  combinedReward,
  QA_REWARD_WEIGHTS,
  COMBINED_QA_WEIGHTS,
  REWARD_WEIGHTS,
} from './rewards';
export { parseDataset, type EvalItem } from './dataset';
export { runEval, scoreTrajectory, type EvalOptions, type EvalRecord } from './runner';
export { summarize, formatSummaryTable, type EvalSummary } from './summary';
export { exportRLJsonl, toRLRecord, toRLRecords, type RLRecord } from './rl-export';
