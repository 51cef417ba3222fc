// Public API of src/agent (re-exported by src/index.ts).
export { runAgent, type AgentRun, type RunAgentOptions } from './loop';
export { parseStep, EOC_MARKER, type ParsedStep } from './parse';
export { buildSystemPrompt, importableLibraries, type SystemPromptOptions } from './prompt';
export {
  messagesForStep,
  assistantContent,
  eocMarkerOf,
} from './context';
export {
  DEFAULT_CONTEXT_WINDOW,
} from './memory';
export { renderNotepad } from './notepad-render';
export { replayableSteps, nextAction } from './resume';
