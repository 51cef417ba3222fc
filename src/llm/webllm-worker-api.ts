// What the WebLLM worker offers the page, over comlink. The worker is the only place that runs
// `@mlc-ai/web-llm` (see webllm.worker.ts): the page drives the engine and WebLLM's model cache
// through this small API instead of WebLLM's own WebWorkerMLCEngine client, which would pull a
// second copy of the whole library (6 MB of JS) into the page. Only WebLLM's public API is used
// (MLCEngine, hasModelInCache, delete*InCache), so WebLLM stays the one source of truth for its
// cache layout (Cache API, IndexedDB or OPFS backend).
//
// The page calls this API with comlink; the worker answers, and posts load progress as events on
// the same port (`{ event: 'progress', ... }`), which the page reads through a checking channel
// (webllm-client.ts, src/channel/): nothing the worker sends can call anything on the page.
//
// This file has no runtime import of WebLLM: the library is passed in, so the protocol runs in
// Node tests with a stand-in engine.
import * as Comlink from 'comlink';
import type { AppConfig, ChatCompletionChunk, ChatCompletionRequestStreaming, InitProgressReport } from '@mlc-ai/web-llm';
import type { WebLLMAppConfig } from './models';

/** The part of WebLLM's MLCEngine the worker drives. */
export interface WorkerSideEngine {
  setAppConfig(appConfig: AppConfig): void;
  setInitProgressCallback(cb?: (report: InitProgressReport) => void): void;
  reload(modelId: string): Promise<void>;
  chat: { completions: { create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>> } };
  interruptGenerate(): void | Promise<void>;
  getMessage(): Promise<string>;
  unload(): Promise<void>;
  runtimeStatsText(): Promise<string>;
}

/** The parts of `@mlc-ai/web-llm` the worker uses (the real module satisfies this). */
export interface WebLLMLib {
  MLCEngine: new (config: { logLevel: 'WARN' }) => WorkerSideEngine;
  hasModelInCache(modelId: string, appConfig: AppConfig): Promise<boolean>;
  deleteModelInCache(modelId: string, appConfig: AppConfig): Promise<void>;
  deleteChatConfigInCache(modelId: string, appConfig: AppConfig): Promise<void>;
  deleteModelWasmInCache(modelId: string, appConfig: AppConfig): Promise<void>;
}

export type StreamingChatRequest = ChatCompletionRequestStreaming;

/** The events the worker posts to the page (the only messages besides replies). */
export interface WebLLMWorkerEvents {
  /** A load progress report, as WebLLM gives it. */
  progress: { progress: number; timeElapsed: number; text: string };
}

type PostWebLLMEvent = <E extends keyof WebLLMWorkerEvents>(event: E, fields: WebLLMWorkerEvents[E]) => void;

export interface WebLLMWorkerApi {
  /**
   * Loads `modelId` (unloading any other). `appConfig` replaces the registry when given; a reload
   * after a lost device passes none. Progress reports are posted as events before the reply, so the
   * page never sees one after the load ended.
   */
  reload(modelId: string, appConfig?: WebLLMAppConfig): Promise<void>;
  /** Starts a streaming chat completion; chunks are pulled with `nextChunk` (as WebLLM's own client does). */
  startChat(request: StreamingChatRequest): Promise<number>;
  nextChunk(streamId: number): Promise<IteratorResult<ChatCompletionChunk, unknown>>;
  /** Ends a stream the page stopped reading. */
  closeChat(streamId: number): Promise<void>;
  interruptGenerate(): Promise<void>;
  getMessage(): Promise<string>;
  unload(): Promise<void>;
  runtimeStatsText(): Promise<string>;
  /** Which of `modelIds` have their weights fully in WebLLM's cache (one answer per id). */
  hasModelsInCache(modelIds: string[], appConfig: WebLLMAppConfig): Promise<boolean[]>;
  /** Deletes a model's weights, tokenizer and config, and its wasm library when `wasm` is true. */
  deleteModelFromCache(modelId: string, appConfig: WebLLMAppConfig, opts: { wasm: boolean }): Promise<void>;
}

/**
 * Errors cross comlink as Errors (name and message kept, which classifyWebLLMError reads) or as
 * strings; anything else WebLLM might throw (a GPU error object) is turned into its text so the
 * reply can always be cloned.
 */
function cloneable(e: unknown): unknown {
  return e instanceof Error || typeof e === 'string' ? e : String(e);
}

// models.ts's WebLLMAppConfig has the shape of WebLLM's AppConfig (only its overrides are typed loosely).
const asAppConfig = (c: WebLLMAppConfig) => c as unknown as AppConfig;

function guarded<A extends unknown[], R>(f: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await f(...args);
    } catch (e) {
      throw cloneable(e);
    }
  };
}

function createWebLLMWorkerApi(lib: WebLLMLib, post: PostWebLLMEvent = () => undefined): WebLLMWorkerApi {
  // The engine is made on the first load only: cache queries never construct it.
  let engine: WorkerSideEngine | undefined;
  const streams = new Map<number, AsyncIterator<ChatCompletionChunk>>();
  let nextStreamId = 1;

  const loaded = (): WorkerSideEngine => {
    if (!engine) throw new Error('ModelNotLoadedError: no model was loaded in this worker.');
    return engine;
  };

  return {
    reload: guarded(async (modelId, appConfig) => {
      if (!engine) {
        engine = new lib.MLCEngine({ logLevel: 'WARN' });
        engine.setInitProgressCallback((report: InitProgressReport) =>
          post('progress', { progress: report.progress, timeElapsed: report.timeElapsed, text: report.text }),
        );
      }
      if (appConfig) engine.setAppConfig(asAppConfig(appConfig));
      await engine.reload(modelId);
    }),
    startChat: guarded(async (request) => {
      const stream = await loaded().chat.completions.create({ ...request, stream: true });
      const id = nextStreamId++;
      streams.set(id, stream[Symbol.asyncIterator]());
      return id;
    }),
    nextChunk: guarded(async (id) => {
      const it = streams.get(id);
      if (!it) throw new Error(`InternalError: no chat stream ${id} in the worker.`);
      try {
        const r = await it.next();
        if (r.done) streams.delete(id);
        return r;
      } catch (e) {
        streams.delete(id);
        throw e;
      }
    }),
    closeChat: guarded(async (id) => {
      const it = streams.get(id);
      streams.delete(id);
      await it?.return?.();
    }),
    interruptGenerate: guarded(async () => {
      await engine?.interruptGenerate();
    }),
    getMessage: guarded(async () => loaded().getMessage()),
    unload: guarded(async () => {
      streams.clear();
      await engine?.unload();
    }),
    runtimeStatsText: guarded(async () => loaded().runtimeStatsText()),
    hasModelsInCache: guarded(async (ids, appConfig) =>
      Promise.all(ids.map((id) => lib.hasModelInCache(id, asAppConfig(appConfig)).catch(() => false))),
    ),
    deleteModelFromCache: guarded(async (id, appConfig, opts) => {
      await lib.deleteModelInCache(id, asAppConfig(appConfig));
      await lib.deleteChatConfigInCache(id, asAppConfig(appConfig));
      if (opts.wasm) await lib.deleteModelWasmInCache(id, asAppConfig(appConfig));
    }),
  };
}

/** Serves the API on `port` (the worker global, or a MessagePort in tests), events included. */
export function serveWebLLMWorkerApi(lib: WebLLMLib, port: Comlink.Endpoint): void {
  const post: PostWebLLMEvent = (event, fields) => port.postMessage({ ...fields, event });
  Comlink.expose(createWebLLMWorkerApi(lib, post), port);
}
