// The browser's copy of downloaded models: which are cached and how big, deleting one, the
// storage estimate, and asking for persistent storage. Presence checks and deletion go through
// WebLLM's own helpers (loaded on demand); sizes are read from the Cache API when that is the
// backend, and estimated from the registry otherwise.
import { L0Error } from '../protocols';
import { buildAppConfig, listModels, type AppConfigOptions, type CacheBackend, type ModelInfo } from './models';

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
const WASM_CACHE = 'webllm/wasm';

async function webllm() {
  return import('@mlc-ai/web-llm');
}

function appConfigFor(opts: CacheOptions) {
  return buildAppConfig(opts) as import('@mlc-ai/web-llm').AppConfig;
}

/** Models with their weights fully in the browser cache. */
export async function listCachedModels(opts: CacheOptions = {}): Promise<CachedModel[]> {
  const { hasModelInCache } = await webllm();
  const appConfig = appConfigFor(opts);
  const backend = opts.cacheBackend ?? 'cache';
  const out: CachedModel[] = [];
  for (const m of listModels(opts)) {
    let cached = false;
    try {
      cached = await hasModelInCache(m.id, appConfig);
    } catch {
      cached = false; // no tensor-cache manifest cached yet
    }
    if (!cached) continue;
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
  const lib = await webllm();
  const appConfig = appConfigFor(opts);
  const model = listModels(opts).find((m) => m.id === id);
  if (!model) throw new L0Error({ kind: 'storage', message: `Unknown model "${id}".` });
  try {
    await lib.deleteModelInCache(id, appConfig);
    await lib.deleteChatConfigInCache(id, appConfig);
    const sharers = listModels(opts).filter((m) => m.id !== id && m.modelLib === model.modelLib);
    let shared = false;
    for (const s of sharers) if (await lib.hasModelInCache(s.id, appConfig).catch(() => false)) shared = true;
    if (!shared) await lib.deleteModelWasmInCache(id, appConfig);
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

/** Names of the Cache API caches WebLLM uses (for tests and for a "clear everything" button). */
export const WEBLLM_CACHE_NAMES = [WEIGHTS_CACHE, 'webllm/config', WASM_CACHE] as const;
