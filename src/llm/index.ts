// Public API of src/llm (re-exported by src/index.ts). Nothing here imports @mlc-ai/web-llm: it
// runs only in the WebLLM worker (webllm.worker.ts), which WebLLMEngine.create and the cache
// helpers start on first use, so the build emits the library once, in that worker's chunk.
export { OpenAICompatibleLLM, listServerModels, type OpenAICompatibleOptions } from './openai';
export { ScriptedLLM, type Script, type ScriptedLLMOptions } from './scripted';
export { WebLLMEngine, type WebLLMEngineOptions } from './webllm';
export {
  listModels,
  findModel,
  contextChoices,
  buildAppConfig,
  type ModelInfo,
  type RegistryOptions,
  type CacheBackend,
} from './models';
export {
  detectWebGPU,
  assessWebGPU,
  type WebGPUReport,
  type ModelFit,
} from './webgpu';
export {
  listCachedModels,
  deleteCachedModel,
  estimateModelStorage,
  persistModelStorage,
  type CachedModel,
} from './cache';
export {
  parseEngineSpec,
  engineSpecToParams,
  eocMarkerOfSpec,
  createEngine,
  loadReplayScript,
  type EngineChoice,
  type ParsedEngineSpec,
  type CreateEngineOptions,
} from './engine-spec';
