// The page's side of the WebLLM worker: starting it, an engine object over its comlink API (the
// shape WebLLMEngine drives, the same as WebLLM's own MLCEngine), and short-lived workers for
// cache queries. Nothing here imports `@mlc-ai/web-llm` at run time (types only).
import * as Comlink from 'comlink';
import type { ChatCompletionChunk, InitProgressReport } from '@mlc-ai/web-llm';
import { L0Error } from '../protocols';
import type { StreamingChatRequest, WebLLMWorkerApi } from './webllm-worker-api';

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

export type WebLLMWorkerRemote = Comlink.Remote<WebLLMWorkerApi>;

/** Starts this package's WebLLM worker (Vite bundles it, with the library, as its own chunk). */
export function spawnWebLLMWorker(): Worker {
  return new Worker(new URL('./webllm.worker.ts', import.meta.url), { type: 'module', name: 'webllm' });
}

export function connectWebLLMWorker(worker: Worker): WebLLMWorkerRemote {
  return Comlink.wrap<WebLLMWorkerApi>(worker);
}

/** Wraps a progress listener so the worker can call it across the boundary. */
export function progressListener(cb: (report: InitProgressReport) => void): (report: InitProgressReport) => void {
  return Comlink.proxy(cb);
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
export const CACHE_WORKER_IDLE_MS = 20_000;

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
