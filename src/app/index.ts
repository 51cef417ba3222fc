// The app core (DOM-free), wired by the notebook page (ui/) and the embed widget (embed/).
export { createAppController, type AppController } from './controller';
export { REPLAY_TOKEN_DELAY_MS } from './engines';
export { DEMO_ENGINE, DEMO_SCRIPT, DEMOS, describeChoice, shortChoice } from './labels';
export { type AppSettings } from './settings';
export { followUpTarget } from './follow-up';
export type { Demo } from './labels';
export type { AppServices, AppState, AttachableFile, ChooseOptions, FileEntry, EngineStatus, NotebookChange, PendingApproval, PendingAttachment, RunOutcome, RunPhase } from './types';
