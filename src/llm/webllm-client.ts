// The page's side of the WebLLM worker: starting it, an engine object over its API (the shape
// WebLLMEngine drives, the same as WebLLM's own MLCEngine), and short-lived workers for cache
// queries. The worker is read through a checking channel (src/channel/): its replies and progress
// events are checked against the schemas below and rebuilt, and nothing it sends can call anything
// on the page. Nothing here imports `@mlc-ai/web-llm` at run time (types only).
import type { ChatCompletionChunk, InitProgressReport } from '@mlc-ai/web-llm';
import { openChannel, type ChannelStats, type WorkerEndpoint } from '../channel/channel';
import { arrayOf, bool, int, measurement, none, nullable, num, object, optional, str, type Check } from '../channel/validate';
import { L0Error } from '../protocols';
import type { WebLLMAppConfig } from './models';
import type { StreamingChatRequest, WebLLMWorkerApi, WebLLMWorkerEvents } from './webllm-worker-api';

/**
 * The part of WebLLM's engine interface WebLLMEngine uses. WebLLM's MLCEngine and
 * WebWorkerMLCEngine satisfy it, and so does `engineOverWorker`.
 */
export interface MLCEngineLike {
  chat: { completions: { create(request: StreamingChatRequest): Promise<AsyncIterable<ChatCompletionChunk>> } };
  interruptGenerate(): void | Promise<void>;
  getMessage(): Promise<string>;
  reload(modelId: string): Promise<void>;
  unload(): Promise<void>;
  runtimeStatsText(): Promise<string>;
}

/** The worker's API as the page calls it: the progress listener stays on the page. */
export interface WebLLMWorkerRemote extends Omit<WebLLMWorkerApi, 'reload'> {
  /**
   * Loads `modelId`. `appConfig` replaces the registry and `onProgress` the progress listener when
   * given; a reload after a lost device passes neither. Every report arrives before it resolves.
   */
  reload(modelId: string, appConfig?: WebLLMAppConfig, onProgress?: (report: InitProgressReport) => unknown): Promise<void>;
  /** What the channel received and dropped. */
  channelStats(): ChannelStats;
}

/** Starts this package's WebLLM worker (Vite bundles it, with the library, as its own chunk). */
export function spawnWebLLMWorker(): Worker {
  return new Worker(new URL('./webllm.worker.ts', import.meta.url), { type: 'module', name: 'webllm' });
}

/** Caps on what the WebLLM worker may send (far above what a model produces). */
const MAX_TEXT = 16 * 2 ** 20;
const MAX_DELTA = 2 ** 20;

const chunk = object({
  id: optional(str(200)),
  object: optional(str(64)),
  created: optional(num()),
  model: optional(str(500)),
  choices: arrayOf(
    object({
      index: optional(int(0)),
      delta: object({ content: optional(nullable(str(MAX_DELTA))), role: optional(str(32)) }),
      finish_reason: optional(nullable(str(32))),
    }),
    16,
  ),
  usage: optional(
    object({
      prompt_tokens: int(0),
      completion_tokens: int(0),
      total_tokens: optional(int(0)),
      extra: optional(
        object({
          prefill_tokens_per_s: optional(measurement),
          decode_tokens_per_s: optional(measurement),
          time_to_first_token_s: optional(measurement),
          time_per_output_token_s: optional(measurement),
          e2e_latency_s: optional(measurement),
        }),
      ),
    }),
  ),
}) as unknown as Check<ChatCompletionChunk>;

const nextChunkReply: Check<IteratorResult<ChatCompletionChunk, unknown>> = (v, ctx, path) => {
  const { done } = object({ done: bool })(v, ctx, path);
  if (done) return { done: true, value: undefined };
  return { done: false, value: object({ value: chunk })(v, ctx, path).value };
};

/**
 * Opens the checking channel to a WebLLM worker (a Worker, or a MessagePort serving
 * serveWebLLMWorkerApi in tests) and returns the page's API over it.
 */
export function connectWebLLMWorker(worker: WorkerEndpoint): WebLLMWorkerRemote {
  let listener: ((report: InitProgressReport) => unknown) | undefined;
  const channel = openChannel<WebLLMWorkerApi, WebLLMWorkerEvents>(worker, {
    name: 'WebLLM',
    replies: {
      reload: none,
      startChat: int(1),
      nextChunk: nextChunkReply,
      closeChat: none,
      interruptGenerate: none,
      getMessage: str(MAX_TEXT),
      unload: none,
      runtimeStatsText: str(100_000),
      hasModelsInCache: arrayOf(bool, 100_000),
      deleteModelFromCache: none,
    },
    events: {
      progress: {
        check: object({ progress: num(), timeElapsed: num(), text: str(10_000) }),
        handle: (report) => void listener?.(report),
      },
    },
  });
  const api = channel.remote;
  return {
    reload: (modelId, appConfig, onProgress) => {
      if (onProgress) listener = onProgress;
      return api.reload(modelId, appConfig);
    },
    startChat: (request) => api.startChat(request),
    nextChunk: (id) => api.nextChunk(id),
    closeChat: (id) => api.closeChat(id),
    interruptGenerate: () => api.interruptGenerate(),
    getMessage: () => api.getMessage(),
    unload: () => api.unload(),
    runtimeStatsText: () => api.runtimeStatsText(),
    hasModelsInCache: (ids, appConfig) => api.hasModelsInCache(ids, appConfig),
    deleteModelFromCache: (id, appConfig, opts) => api.deleteModelFromCache(id, appConfig, opts),
    channelStats: () => channel.stats(),
  };
}

/**
 * The progress listener for WebLLMWorkerRemote.reload(). It stays on the page (the worker posts
 * checked progress events); kept so callers read the same as before.
 */
export function progressListener(cb: (report: InitProgressReport) => void): (report: InitProgressReport) => void {
  return cb;
}

/** An engine whose calls go to the worker; streams pull one chunk per call, like WebLLM's own client. */
export function engineOverWorker(api: WebLLMWorkerRemote): MLCEngineLike {
  return {
    chat: {
      completions: {
        create: async (request) => {
          const id = await api.startChat(request);
          return chunksOf(api, id);
        },
      },
    },
    interruptGenerate: () => {
      void api.interruptGenerate().catch(() => undefined);
    },
    getMessage: () => api.getMessage(),
    reload: (modelId) => api.reload(modelId),
    unload: () => api.unload(),
    runtimeStatsText: () => api.runtimeStatsText(),
  };
}

async function* chunksOf(api: WebLLMWorkerRemote, id: number): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  try {
    for (;;) {
      const r = await api.nextChunk(id);
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // The reader stopped early (or a chunk failed): let the worker drop the stream.
    if (!finished) await api.closeChat(id).catch(() => undefined);
  }
}

/** How long a cache worker stays up after its last query (a settings panel asks several in a row). */
const CACHE_WORKER_IDLE_MS = 20_000;

interface CacheWorker {
  worker: Worker;
  api: WebLLMWorkerRemote;
  /** Rejects if the worker fails to start or dies. */
  failed: Promise<never>;
  users: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

let cacheWorker: CacheWorker | undefined;

function startCacheWorker(): CacheWorker {
  const worker = spawnWebLLMWorker();
  const w: CacheWorker = { worker, api: connectWebLLMWorker(worker), users: 0, failed: undefined as unknown as Promise<never> };
  w.failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (ev) => {
      stopCacheWorker(w);
      reject(new L0Error({ kind: 'internal', message: `The model worker failed to start: ${ev.message || 'script error'}.` }));
    });
  });
  w.failed.catch(() => undefined); // observed by the queries racing it
  return w;
}

function stopCacheWorker(w: CacheWorker): void {
  clearTimeout(w.idleTimer);
  w.worker.terminate();
  if (cacheWorker === w) cacheWorker = undefined;
}

/**
 * Runs `fn` against a WebLLM worker that loads WebLLM's code (from the HTTP cache after the first
 * time, a few hundred ms to start) but no model. Used for cache queries; the worker is shared by
 * queries close together and terminated after CACHE_WORKER_IDLE_MS without one.
 */
export async function withWebLLMWorker<T>(fn: (api: WebLLMWorkerRemote) => Promise<T>): Promise<T> {
  const w = (cacheWorker ??= startCacheWorker());
  clearTimeout(w.idleTimer);
  w.users++;
  try {
    return await Promise.race([fn(w.api), w.failed]);
  } finally {
    if (--w.users === 0 && cacheWorker === w) w.idleTimer = setTimeout(() => stopCacheWorker(w), CACHE_WORKER_IDLE_MS);
  }
}
