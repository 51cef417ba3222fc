// Checks a WebLLM weights folder before anything is downloaded: reads its mlc-chat-config.json and
// shard manifest (tensor-cache.json), and says exactly what is wrong when the folder cannot be
// used: an HTML page where the config should be (static servers, `npm start` included, answer a
// missing file with index.html and status 200), a 404, a host without CORS headers, an unreachable
// host, or weights of another model type or quantisation than the record's model library. Each
// failure is ErrorData naming the URL and the fix. On success it reports the exact download size
// (the sum of the shards' bytes) and the GPU memory the model needs, which the UI shows before the
// download starts and the progress mapping uses as the exact total.
import type { ErrorData } from '../protocols';
import { classifyFetchFailure } from './errors';
import { DEFAULT_CONTEXT_WINDOW, vramForContext, weightsFolder, type ModelInfo } from './models';

export interface WeightsReport {
  ok: true;
  /** The folder checked, normalised (absolute, ending in `resolve/<branch>/`). */
  folder: string;
  modelType: string;
  quantization: string;
  /** Bytes of all shards: what a first load downloads (the tokenizer and library are extra). */
  downloadBytes: number;
  shards: number;
  /** GPU memory the model needs at the context window checked for, in MB (WebLLM's estimate). */
  vramMB: number;
  /** 'browser-cache' when the host could not be read but WebLLM's cache holds the files. */
  source: 'network' | 'browser-cache';
  /** Why the host could not be read, when the answer came from the browser cache. */
  hostError?: ErrorData;
}

export type WeightsCheck = WeightsReport | { ok: false; folder?: string; error: ErrorData };

export interface CheckWeightsOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** For the VRAM figure (default 4,096 tokens). */
  contextWindow?: number;
  /** Fall back to WebLLM's Cache API copies when the host cannot be read (default true). */
  useBrowserCache?: boolean;
}

const CONFIG = 'mlc-chat-config.json';
const MANIFEST = 'tensor-cache.json';
/** The manifest's name before MLC-LLM renamed it (read by web-llm up to 0.2.79). */
const OLD_MANIFEST = 'ndarray-cache.json';
const HOSTING = 'see docs/models.md, "Hosting"';

type Json = { json: unknown } | { error: ErrorData; status?: number };

function fail(kind: ErrorData['kind'], message: string, detail: Record<string, unknown>, retryable?: boolean): { error: ErrorData } {
  return { error: { kind, message, detail, ...(retryable ? { retryable } : {}) } };
}

/** GETs a JSON file of the weights folder; every way it can fail becomes ErrorData naming `url`. */
async function getJson(url: string, folder: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<Json> {
  const file = url.slice(folder.length);
  const origin = new URL(url).origin;
  let res: Response;
  try {
    res = await fetchImpl(url, { cache: 'no-cache', signal });
  } catch (e) {
    const f = (await classifyFetchFailure(e, url, fetchImpl)).toJSON();
    if (f.kind === 'aborted') return { error: f };
    if (f.kind === 'cors') {
      return fail('cors', `The weights host ${origin} must send CORS headers so this page can read ${url}: Access-Control-Allow-Origin (* or this page's origin), and Cross-Origin-Resource-Policy: cross-origin or CORS, because this page is cross-origin isolated. Configure the host that way, or serve the weights from this page's own origin (${HOSTING}).`, { url, reason: 'cors' });
    }
    return fail('network', `Could not reach ${origin} to read ${url} (${String(f.detail?.error ?? f.message)}). Check that the host is up and the weights URL is right.`, { url, reason: 'unreachable', error: f.detail?.error }, true);
  }
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text().catch(() => '');
  if (res.status === 404) {
    return { ...fail('http', `No ${file} at ${url} (the host answered 404). The weights URL must be the folder that holds mlc-chat-config.json, tensor-cache.json and the params_shard_*.bin files; check it, or upload the converted model there (${HOSTING}).`, { url, status: 404, reason: 'not-found' }), status: 404 };
  }
  if (!res.ok) {
    return { ...fail('http', `${url} answered ${res.status}${res.statusText ? ' ' + res.statusText : ''}. Check the weights URL and that the host serves the files to this page.`, { url, status: res.status, reason: 'status' }, res.status >= 500 || res.status === 429), status: res.status };
  }
  if (/text\/html/i.test(type) || /^\s*</.test(text)) {
    return fail('bad-response', `${url} answered with a web page (HTML), not ${file}: no model weights are served at ${folder}. Many static servers (npm start's included) answer a missing file with the app's index.html. Put the converted model folder there (${HOSTING}), or enter the URL of the folder that holds mlc-chat-config.json.`, { url, status: res.status, contentType: type, reason: 'html' });
  }
  try {
    return { json: JSON.parse(text) };
  } catch {
    return fail('bad-response', `${url} is not valid JSON: the file is damaged or is not ${file}. Upload the folder MLC-LLM wrote again (${HOSTING}).`, { url, reason: 'not-json' });
  }
}

const libraryFile = (m: ModelInfo) => m.modelLib.split('/').pop() ?? m.modelLib;

/** Compares the config with the record's library; undefined when they match. */
function configMismatch(config: unknown, folder: string, record: ModelInfo): ErrorData | undefined {
  const c = (config && typeof config === 'object' ? config : {}) as { model_type?: unknown; quantization?: unknown };
  const url = folder + CONFIG;
  if (typeof c.model_type !== 'string' || typeof c.quantization !== 'string') {
    return { kind: 'bad-response', message: `${url} has no model_type or quantization: it was not written by mlc_llm gen_config. Generate it as docs/models.md shows.`, detail: { url, reason: 'not-mlc-config' } };
  }
  if (c.model_type !== record.modelType) {
    return {
      kind: 'bad-response',
      message: `The weights at ${folder} are a "${c.model_type}" model, but ${record.label} runs the "${record.modelType}" model library ${libraryFile(record)}. Point the weights URL at the ${record.family} conversion, or pick the model these weights were converted from.`,
      detail: { url, reason: 'model-type', found: c.model_type, expected: record.modelType },
    };
  }
  if (c.quantization !== record.quantization) {
    return {
      kind: 'bad-response',
      message: `The weights at ${folder} are quantised as ${c.quantization}, but ${record.id} uses the ${record.quantization} model library ${libraryFile(record)}. Point the weights URL at the ${record.quantization} conversion (mlc_llm convert_weight --quantization ${record.quantization}), or pick the ${c.quantization} variant of this model.`,
      detail: { url, reason: 'quantization', found: c.quantization, expected: record.quantization },
    };
  }
  return undefined;
}

/** Shard count and bytes from a manifest; undefined when it has no usable records. */
function shardBytes(manifest: unknown): { shards: number; bytes: number } | undefined {
  const records = (manifest as { records?: unknown } | null)?.records;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  let bytes = 0;
  for (const r of records) {
    const n = (r as { nbytes?: unknown })?.nbytes;
    if (typeof n !== 'number' || !(n >= 0)) return undefined;
    bytes += n;
  }
  return { shards: records.length, bytes };
}

/** WebLLM's Cache API copies of the config and manifest (how a cached model loads offline). */
async function fromBrowserCache(folder: string): Promise<{ config: unknown; manifest: unknown } | undefined> {
  if (typeof caches === 'undefined') return undefined;
  try {
    const config = await caches.match(folder + CONFIG, { cacheName: 'webllm/config' });
    const manifest =
      (await caches.match(folder + MANIFEST, { cacheName: 'webllm/model' })) ??
      (await caches.match(folder + OLD_MANIFEST, { cacheName: 'webllm/model' }));
    if (!config || !manifest) return undefined;
    return { config: await config.json(), manifest: await manifest.json() };
  } catch {
    return undefined;
  }
}

/**
 * Checks the weights folder `url` (absolute, or relative to the page) for `record`. Never throws:
 * failures come back as `{ ok: false, error }`.
 */
export async function checkWeights(url: string, record: ModelInfo, opts: CheckWeightsOptions = {}): Promise<WeightsCheck> {
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const here = (globalThis as { location?: { href?: string } }).location?.href;
  let folder: string;
  try {
    folder = weightsFolder(new URL(url, here && /^https?:/.test(here) ? here : undefined).href);
  } catch {
    return { ok: false, error: { kind: 'internal', message: `"${url}" is not a URL. Enter the address of the folder that holds mlc-chat-config.json, e.g. https://host/models/${record.id}/.`, detail: { url, reason: 'invalid-url' } } };
  }
  const vramMB = vramForContext(record, opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW);
  const report = (config: unknown, manifest: unknown, source: WeightsReport['source'], hostError?: ErrorData): WeightsCheck => {
    const mismatch = configMismatch(config, folder, record);
    if (mismatch) return { ok: false, folder, error: mismatch };
    const size = shardBytes(manifest);
    if (!size) {
      return { ok: false, folder, error: { kind: 'bad-response', message: `${folder}${MANIFEST} lists no shards: the conversion is incomplete. Run mlc_llm convert_weight again and upload the whole folder (${HOSTING}).`, detail: { url: folder + MANIFEST, reason: 'no-shards' } } };
    }
    const c = config as { model_type: string; quantization: string };
    return { ok: true, folder, modelType: c.model_type, quantization: c.quantization, downloadBytes: size.bytes, shards: size.shards, vramMB, source, ...(hostError ? { hostError } : {}) };
  };

  const config = await getJson(folder + CONFIG, folder, fetchImpl, opts.signal);
  if ('error' in config) {
    if (config.error.kind === 'aborted') return { ok: false, folder, error: config.error };
    const cached = opts.useBrowserCache === false ? undefined : await fromBrowserCache(folder);
    return cached ? report(cached.config, cached.manifest, 'browser-cache', config.error) : { ok: false, folder, error: config.error };
  }
  // A wrong model is reported before a missing manifest: it is the more useful of the two.
  const mismatch = configMismatch(config.json, folder, record);
  if (mismatch) return { ok: false, folder, error: mismatch };

  const manifest = await getJson(folder + MANIFEST, folder, fetchImpl, opts.signal);
  if ('error' in manifest) {
    if (manifest.status === 404) {
      const old = await getJson(folder + OLD_MANIFEST, folder, fetchImpl, opts.signal);
      if ('json' in old) {
        return { ok: false, folder, error: { kind: 'bad-response', message: `${folder} has ${OLD_MANIFEST} but no ${MANIFEST}, which this WebLLM reads. Rename the file to ${MANIFEST} (the format is the same), or convert with a current MLC-LLM.`, detail: { url: folder + MANIFEST, status: 404, reason: 'old-manifest' } } };
      }
    }
    return { ok: false, folder, error: manifest.error };
  }
  return report(config.json, manifest.json, 'network');
}
