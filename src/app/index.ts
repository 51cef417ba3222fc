// The app core (DOM-free), wired by the notebook page (ui/) and the embed widget (embed/).
export { createAppController, type AppController } from './controller';
export { REPLAY_TOKEN_DELAY_MS, engineKey } from './engines';
export { DEMO_ENGINE, DEMO_SCRIPT, DEMOS, isDemo, describeChoice, shortChoice, endedStatus, explainEngineError, stepStats } from './labels';
export { DEFAULT_SETTINGS, type AppSettings } from './settings';
export { cellText, type CellText } from './cell-text';
export { DEMO_PACE } from './pace';
export { followUpTarget, stepLimit } from './follow-up';
export type { Demo } from './labels';
export type { PythonStatus } from './python';
export type { AppServices, AppControllerOptions, AppState, ChooseOptions, EngineStatus, NotebookChange, PendingApproval, RunOptions, RunOutcome, RunPhase } from './types';
