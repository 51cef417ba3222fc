// The app core (DOM-free), wired by the notebook page (ui/) and the embed widget (embed/).
export { createAppController, type AppController } from './controller';
export { REPLAY_TOKEN_DELAY_MS, engineKey } from './engines';
export { DEMO_ENGINE, DEMO_SCRIPT, isDemo, describeChoice, shortChoice, endedStatus, explainEngineError } from './labels';
export { DEFAULT_SETTINGS, type AppSettings } from './settings';
export { cellText, type CellText } from './cell-text';
export type { PythonStatus } from './python';
export type { AppServices, AppControllerOptions, AppState, ChooseOptions, EngineStatus, NotebookChange, RunOptions, RunOutcome, RunPhase } from './types';
