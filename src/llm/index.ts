// Public API of src/llm (re-exported by src/index.ts). Nothing here imports @mlc-ai/web-llm: it
// runs only in the WebLLM worker (webllm.worker.ts), which WebLLMEngine.create and the cache
// helpers start on first use, so the build emits the library once, in that worker's chunk.
export { OpenAICompatibleLLM, chatCompletionsUrl, modelsUrl, listServerModels, parseRetryAfter, type OpenAICompatibleOptions } from './openai';
export { ScriptedLLM, type Script, type ScriptedLLMOptions } from './scripted';
export { WebLLMEngine, type WebLLMEngineOptions, type WebLLMStats } from './webllm';
export {
  listModels,
  findModel,
  filterForF16,
  resolveModelId,
  contextChoices,
  vramForContext,
  kvBytesPerToken,
  buildAppConfig,
  toModelRecord,
  weightsFolder,
  defaultL0WeightsBase,
  DEFAULT_CONTEXT_WINDOW as DEFAULT_MODEL_CONTEXT_WINDOW,
  CONTEXT_WINDOW_CHOICES,
  WEBLLM_LIB_BASE,
  type ModelInfo,
  type ContextChoice,
  type Quantization,
  type RegistryOptions,
  type AppConfigOptions,
  type CacheBackend,
  type WebLLMAppConfig,
  type WebLLMModelRecord,
} from './models';
export {
  detectWebGPU,
  describeAdapter,
  assessWebGPU,
  ALTERNATIVES,
  type AdapterDescription,
  type WebGPUReport,
  type ModelFit,
  type ModelFitStatus,
  type Alternative,
} from './webgpu';
export {
  listCachedModels,
  deleteCachedModel,
  estimateModelStorage,
  persistModelStorage,
  WEBLLM_CACHE_NAMES,
  type CachedModel,
  type StorageInfo,
  type CacheOptions,
} from './cache';
export {
  parseEngineSpec,
  engineSpecToParams,
  eocMarkerOfSpec,
  createEngine,
  loadReplayScript,
  scriptFromJson,
  type EngineChoice,
  type EngineKind,
  type ParsedEngineSpec,
  type CreateEngineOptions,
} from './engine-spec';
export { classifyWebLLMError, classifyFetchFailure, CORS_MESSAGE } from './errors';
export { parseInitProgress, type InitProgressReportLike } from './progress';
export { StopStringFilter } from './stop';
