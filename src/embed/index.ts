// Public API of src/embed: mount() and the <l0-agent> custom element.
export { mount, type EmbeddedAgent } from './mount';
export { L0AgentElement, defineL0Agent } from './element';
export { type MountOptions, type EmbedTheme, databaseName, DEFAULT_MAX_STEPS, DEFAULT_KEEP_SESSIONS, DEFAULT_NAMESPACE, ELEMENT_ATTRIBUTES, optionsFromAttributes } from './options';
export type { EngineChoice } from '../llm/engine-spec';
export type { CorpusOption, HostSearch } from './corpus';
export { resolveAssets, type ResolvedAssets } from './assets';
