// The notebook UI as a reusable view: mount it into a Document, a ShadowRoot or an element.
// For a ShadowRoot pass `styles: UI_CSS` (the page build links the same sheet instead).
export { mountApp, type AppHandle, type MountOptions } from './app';
export { createPageServices, engineChoiceFromUrl, engineSpecFor } from './services';
export { UI_CSS } from './styles-inline';
export type { UiServices, UiSettings, EngineChoice, ModelCard, GpuStatus, CachedModel, StorageInfo, PythonSnapshotInfo, RunRequest, AgentRun } from './types';
export { DEFAULT_SETTINGS } from './types';
