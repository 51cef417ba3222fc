// WebLLM's engine runs here, in its own module worker, so model loading and generation never block
// the page. This is the only module that imports `@mlc-ai/web-llm` at run time: the page reaches
// the engine and WebLLM's model cache through webllm-worker-api.ts (comlink calls in, checked
// replies and events out), so the build emits the library once, in this worker's chunk.
import { MLCEngine, deleteChatConfigInCache, deleteModelInCache, deleteModelWasmInCache, hasModelInCache } from '@mlc-ai/web-llm';
import { serveWebLLMWorkerApi } from './webllm-worker-api';

serveWebLLMWorkerApi({ MLCEngine, hasModelInCache, deleteModelInCache, deleteChatConfigInCache, deleteModelWasmInCache }, self as unknown as Parameters<typeof serveWebLLMWorkerApi>[1]);
