// Public API of src/agent (re-exported by src/index.ts).
export { runAgent, type AgentRun, type RunAgentOptions } from './loop';
export { parseStep, createStreamParser, literalFinalAnswer, stopStrings, EOC_MARKER, STOP_STRINGS, type ParsedStep, type ParseOptions } from './parse';
export { buildSystemPrompt, renderToolDoc, NOTEPAD_DOC, DEFAULT_WORKDIR, type SystemPromptOptions } from './prompt';
export {
  messagesForStep,
  firstMessages,
  collapsedMessages,
  collapseNote,
  assistantContent,
  eocMarkerOf,
  stepMessages,
  taskMessage,
  buildObservation,
  reasonNotRun,
  followUpText,
  openingMessage,
  outputPart,
  collapsedContext,
  capQuestion,
  questionCapChars,
  type ContextSource,
} from './context';
export {
  estimateTokens,
  makeTokenCounter,
  countMessages,
  capTokens,
  defaultMemoryTokens,
  defaultObservationTokens,
  CHARS_PER_TOKEN,
  MESSAGE_OVERHEAD,
  DEFAULT_CONTEXT_WINDOW,
  DEFAULT_MAX_TOKENS_PER_STEP,
  type TokenCounter,
} from './memory';
export { renderNotepad, isEmptyNotepad } from './notepad-render';
export { resumeNotesOf, resumeNoteMessages, type ResumeNote } from './context';
export { replayableSteps, resumeNote, isAnswered, nextAction } from './resume';
