// The browser's copy of downloaded models: which are cached and how big, deleting one, the
// storage estimate, and asking for persistent storage. Presence checks and deletion are WebLLM's
// own helpers, run in a short-lived WebLLM worker (webllm-worker-api.ts), so the page never loads
// the library and WebLLM stays the one authority on its cache layout (Cache API, IndexedDB or
// OPFS). Sizes are read from the Cache API when that is the backend, and estimated from the
// registry otherwise.
import { L0Error } from '../protocols';
import { buildAppConfig, listModels, type AppConfigOptions, type CacheBackend, type ModelInfo } from './models';
import { withWebLLMWorker } from './webllm-client';

export interface CachedModel {
  id: string;
  label: string;
  sizeBytes: number;
  /** 'measured' from cached responses, 'estimated' from the registry (IndexedDB/OPFS backends). */
  sizeSource: 'measured' | 'estimated';
}

export interface StorageInfo {
  usageBytes?: number;
  quotaBytes?: number;
  /** True when the origin's storage will not be evicted under pressure. */
  persisted?: boolean;
}

export interface CacheOptions extends AppConfigOptions {
  cacheBackend?: CacheBackend;
}

const WEIGHTS_CACHE = 'webllm/model';

/**
 * False when the Cache API backend holds nothing at all (WebLLM opens its weights cache on the
 * first download): then no worker needs to start. Other backends are always asked.
 */
async function mayHaveModels(backend: CacheBackend): Promise<boolean> {
  if (backend !== 'cache' || typeof caches === 'undefined') return true;
  return caches.has(WEIGHTS_CACHE).catch(() => true);
}

/** Models with their weights fully in the browser cache. */
export async function listCachedModels(opts: CacheOptions = {}): Promise<CachedModel[]> {
  const backend = opts.cacheBackend ?? 'cache';
  if (!(await mayHaveModels(backend))) return [];
  const appConfig = buildAppConfig(opts);
  const models = listModels(opts);
  let present: boolean[];
  try {
    present = await withWebLLMWorker((api) => api.hasModelsInCache(models.map((m) => m.id), appConfig));
  } catch (e) {
    throw new L0Error({ kind: 'storage', message: `Could not read the model cache: ${(e as Error)?.message ?? e}` });
  }
  const out: CachedModel[] = [];
  for (const [i, m] of models.entries()) {
    if (!present[i]) continue;
    const measured = backend === 'cache' ? await measureCacheApi(m) : undefined;
    out.push({
      id: m.id,
      label: m.label,
      sizeBytes: measured ?? m.downloadMB * 2 ** 20,
      sizeSource: measured !== undefined ? 'measured' : 'estimated',
    });
  }
  return out;
}

/** Sums Content-Length (or body size) of the cached responses under the model's weights folder. */
async function measureCacheApi(m: ModelInfo): Promise<number | undefined> {
  if (typeof caches === 'undefined') return undefined;
  const cache = await caches.open(WEIGHTS_CACHE);
  let total = 0;
  for (const req of await cache.keys()) {
    if (!req.url.startsWith(m.weightsUrl)) continue;
    const res = await cache.match(req);
    if (!res) continue;
    const len = Number(res.headers.get('content-length'));
    total += Number.isFinite(len) && len > 0 ? len : (await res.blob()).size;
  }
  return total;
}

/**
 * Deletes a model's weights, tokenizer and config. Its wasm library is deleted too unless another
 * cached model uses the same library (L0-7B and Qwen2.5-7B share one).
 */
export async function deleteCachedModel(id: string, opts: CacheOptions = {}): Promise<void> {
  const appConfig = buildAppConfig(opts);
  const model = listModels(opts).find((m) => m.id === id);
  if (!model) throw new L0Error({ kind: 'storage', message: `Unknown model "${id}".` });
  const sharers = listModels(opts).filter((m) => m.id !== id && m.modelLib === model.modelLib);
  try {
    await withWebLLMWorker(async (api) => {
      const shared = (await api.hasModelsInCache(sharers.map((s) => s.id), appConfig)).some(Boolean);
      await api.deleteModelFromCache(id, appConfig, { wasm: !shared });
    });
  } catch (e) {
    throw new L0Error({ kind: 'storage', message: `Could not delete ${id} from the cache: ${(e as Error)?.message ?? e}`, detail: { id } });
  }
}

/** Storage used and available to this origin (the models are most of it). */
export async function estimateModelStorage(): Promise<StorageInfo> {
  const s = (globalThis as { navigator?: Navigator }).navigator?.storage;
  if (!s) return {};
  const [est, persisted] = await Promise.all([
    s.estimate?.().catch(() => undefined),
    s.persisted?.().catch(() => undefined),
  ]);
  return { usageBytes: est?.usage, quotaBytes: est?.quota, persisted };
}

/** Asks the browser not to evict our storage (a multi-GB model is costly to download again). */
export async function persistModelStorage(): Promise<boolean> {
  const s = (globalThis as { navigator?: Navigator }).navigator?.storage;
  if (!s?.persist) return false;
  try {
    return await s.persist();
  } catch {
    return false;
  }
}
