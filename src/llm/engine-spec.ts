// Which model engine to use, as data: the one engine-choice type of the project. URL parameters
// (demo links), the page's saved setting and model panel, the embed's options and attributes all
// produce an EngineChoice, and createEngine turns one into an LLM.
//   ?engine=webllm&model=L0-4B-q4f16_1-MLC[&ctx=8192][&weights=https://host/org/][&cache=indexeddb]
//   ?engine=openai&baseUrl=http://localhost:8000/v1&model=L0-7B[&ctx=32768]
//   ?engine=replay&script=demo/run.json[&delay=20]
// webllm and openai take `&eoc=<marker>`: the end-of-code marker the model was trained with.
// API keys are never read from or written to URLs.
import { L0Error, type ErrorData, type LLM, type LoadProgress, type Trajectory } from '../protocols';
import { badResponse, classifyFetchFailure, httpError } from './errors';
import { findModel, type CacheBackend, type RegistryOptions } from './models';
import { OpenAICompatibleLLM } from './openai';
import { ScriptedLLM } from './scripted';
import { WebLLMEngine } from './webllm';

export type EngineChoice =
  /** A WebLLM model in this browser (WebGPU); `weightsBase` points at self-hosted L0 weights. */
  | { kind: 'webllm'; model: string; contextWindow?: number; weightsBase?: string; cacheBackend?: CacheBackend; eocMarker?: string }
  /** Any OpenAI-compatible server (it must send CORS headers). */
  | { kind: 'openai'; baseUrl: string; model: string; apiKey?: string; contextWindow?: number; eocMarker?: string }
  /** Recorded assistant turns played back: a URL of a replay JSON file, or the turns themselves. */
  | { kind: 'replay'; scriptUrl?: string; turns?: string[]; tokenDelayMs?: number };

/** The end-of-code marker to run the agent with: the choice's, else the model record's (undefined: the agent's default). */
export function eocMarkerOfSpec(spec: EngineChoice, registry: RegistryOptions = {}): string | undefined {
  if (spec.kind === 'replay') return undefined;
  return spec.eocMarker ?? (spec.kind === 'webllm' ? findModel(spec.model, registry)?.eocMarker : undefined);
}

export type ParsedEngineSpec = { ok: true; spec: EngineChoice } | { ok: false; error: ErrorData };

const CACHE_BACKENDS: CacheBackend[] = ['cache', 'indexeddb', 'opfs'];

function invalid(message: string, detail?: Record<string, unknown>): ParsedEngineSpec {
  return { ok: false, error: { kind: 'internal', message, detail } };
}

function positiveInt(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : NaN;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Reads an engine choice from URL parameters (a `URLSearchParams`, a query string or a full URL)
 * or a settings object with the same keys. Returns undefined when no `engine` is given.
 */
export function parseEngineSpec(input: URLSearchParams | string | Record<string, unknown>): ParsedEngineSpec | undefined {
  const get = toGetter(input);
  const engine = get('engine');
  if (!engine) return undefined;
  const ctx = positiveInt(get('ctx') ?? get('contextWindow'));
  const eoc = get('eoc') ?? get('eocMarker');
  const eocMarker = eoc?.trim() ? { eocMarker: eoc } : {};
  if (Number.isNaN(ctx)) return invalid(`The context window must be a positive whole number of tokens (got "${get('ctx') ?? get('contextWindow')}").`);

  switch (engine) {
    case 'webllm': {
      const model = get('model');
      if (!model) return invalid('engine=webllm needs model=<id>, e.g. model=L0-4B-q4f16_1-MLC.');
      const weightsBase = get('weights') ?? get('weightsBase') ?? undefined;
      if (weightsBase && !isHttpUrl(weightsBase)) return invalid(`weights must be an absolute http(s) URL (got "${weightsBase}").`);
      if (!findModel(model, weightsBase ? { l0WeightsBase: weightsBase } : {})) {
        return invalid(`Unknown WebLLM model "${model}".`, { model });
      }
      const cache = get('cache') ?? get('cacheBackend');
      if (cache && !CACHE_BACKENDS.includes(cache as CacheBackend)) return invalid(`cache must be one of ${CACHE_BACKENDS.join(', ')}.`);
      return {
        ok: true,
        spec: {
          kind: 'webllm',
          model,
          ...(ctx ? { contextWindow: ctx } : {}),
          ...(weightsBase ? { weightsBase } : {}),
          ...(cache ? { cacheBackend: cache as CacheBackend } : {}),
          ...eocMarker,
        },
      };
    }
    case 'openai': {
      const baseUrl = get('baseUrl') ?? get('base_url');
      const model = get('model');
      if (!baseUrl || !isHttpUrl(baseUrl)) return invalid('engine=openai needs baseUrl=<http(s) URL of the server>, e.g. baseUrl=http://localhost:8000/v1.');
      if (!model) return invalid('engine=openai needs model=<name the server knows>.');
      // Only settings objects may carry a key; URLs never do.
      const apiKey = typeof input === 'object' && !(input instanceof URLSearchParams) ? get('apiKey') : undefined;
      return { ok: true, spec: { kind: 'openai', baseUrl, model, ...(apiKey ? { apiKey } : {}), ...(ctx ? { contextWindow: ctx } : {}), ...eocMarker } };
    }
    case 'replay': {
      const script = get('script');
      if (!script) return invalid('engine=replay needs script=<URL of a JSON list of assistant texts or a recorded trajectory>.');
      const delay = get('delay') ?? get('tokenDelayMs');
      const tokenDelayMs = delay ? Number(delay) : undefined;
      if (tokenDelayMs !== undefined && !(tokenDelayMs >= 0)) return invalid('delay must be a number of milliseconds.');
      return { ok: true, spec: { kind: 'replay', scriptUrl: script, ...(tokenDelayMs !== undefined ? { tokenDelayMs } : {}) } };
    }
    default:
      return invalid(`Unknown engine "${engine}" (use webllm, openai or replay).`, { engine });
  }
}

function toGetter(input: URLSearchParams | string | Record<string, unknown>): (k: string) => string | undefined {
  if (typeof input === 'string') {
    const query = /^https?:/.test(input) ? new URL(input).searchParams : new URLSearchParams(input.replace(/^\?/, ''));
    return (k) => query.get(k) ?? undefined;
  }
  if (input instanceof URLSearchParams) return (k) => input.get(k) ?? undefined;
  return (k) => {
    const v = input[k];
    return v === undefined || v === null ? undefined : String(v);
  };
}

/** URL parameters for a demo link (never includes an API key; replay turns have no URL form). */
export function engineSpecToParams(spec: EngineChoice): URLSearchParams {
  const p = new URLSearchParams({ engine: spec.kind });
  if (spec.kind === 'webllm') {
    p.set('model', spec.model);
    if (spec.contextWindow) p.set('ctx', String(spec.contextWindow));
    if (spec.weightsBase) p.set('weights', spec.weightsBase);
    if (spec.cacheBackend) p.set('cache', spec.cacheBackend);
    if (spec.eocMarker) p.set('eoc', spec.eocMarker);
  } else if (spec.kind === 'openai') {
    p.set('baseUrl', spec.baseUrl);
    p.set('model', spec.model);
    if (spec.contextWindow) p.set('ctx', String(spec.contextWindow));
    if (spec.eocMarker) p.set('eoc', spec.eocMarker);
  } else {
    if (spec.scriptUrl) p.set('script', spec.scriptUrl);
    if (spec.tokenDelayMs !== undefined) p.set('delay', String(spec.tokenDelayMs));
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Replay scripts
// ---------------------------------------------------------------------------------------------

/** Assistant texts from a replay file: a JSON list of strings, or a Trajectory (each step's `raw`). */
export function scriptFromJson(json: unknown): string[] {
  if (Array.isArray(json)) {
    if (json.every((x) => typeof x === 'string')) return json as string[];
    throw badResponse('A replay list must contain only strings (the assistant texts).');
  }
  if (json && typeof json === 'object' && Array.isArray((json as Trajectory).steps)) {
    const steps = (json as Trajectory).steps;
    const raws = steps.map((s) => (s as { raw?: unknown }).raw);
    if (raws.length && raws.every((r) => typeof r === 'string')) return raws as string[];
    throw badResponse('The recorded trajectory has steps without a `raw` text.');
  }
  throw badResponse('A replay file must be a JSON list of assistant texts or a recorded trajectory ({steps: [{raw}]}).');
}

export async function loadReplayScript(url: string, opts: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<{ script: string[]; modelId?: string }> {
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const abs = base ? new URL(url, base).href : url;
  let res: Response;
  try {
    res = await fetchImpl(abs, { signal: opts.signal });
  } catch (e) {
    throw await classifyFetchFailure(e, abs, fetchImpl);
  }
  const body = await res.text();
  if (!res.ok) throw httpError(res.status, res.statusText, body, abs);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw badResponse(`The replay file at ${abs} is not JSON.`);
  }
  const modelId = json && typeof json === 'object' && !Array.isArray(json) ? (json as Trajectory).modelId : undefined;
  return { script: scriptFromJson(json), modelId: typeof modelId === 'string' ? modelId : undefined };
}

// ---------------------------------------------------------------------------------------------
// createEngine
// ---------------------------------------------------------------------------------------------

export interface CreateEngineOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Weights/library locations for WebLLM models (merged under the spec's own `weightsBase`). */
  registry?: RegistryOptions;
  /** Told when a WebLLM engine recovered from a lost GPU device. */
  onRecovered?: (info: { reason: 'device-lost'; message: string }) => void;
}

export async function createEngine(spec: EngineChoice, opts: CreateEngineOptions = {}): Promise<LLM> {
  const llm = await createEngineFor(spec, opts);
  // Every caller (page, widget, eval) runs the agent with the marker the model was trained with.
  const eocMarker = eocMarkerOfSpec(spec, { ...opts.registry, ...(spec.kind === 'webllm' && spec.weightsBase ? { l0WeightsBase: spec.weightsBase } : {}) });
  if (eocMarker) Object.defineProperty(llm, 'eocMarker', { value: eocMarker, enumerable: true });
  return llm;
}

async function createEngineFor(spec: EngineChoice, opts: CreateEngineOptions): Promise<LLM> {
  if (opts.signal?.aborted) throw new L0Error({ kind: 'aborted', message: 'Cancelled.' });
  switch (spec.kind) {
    case 'openai':
      if (!spec.baseUrl || !spec.model) throw new L0Error({ kind: 'internal', message: 'The openai engine needs a base URL and a model name.' });
      return new OpenAICompatibleLLM({
        baseUrl: spec.baseUrl,
        model: spec.model,
        apiKey: spec.apiKey,
        contextWindow: spec.contextWindow,
        fetch: opts.fetch,
      });
    case 'replay': {
      if (spec.turns) return new ScriptedLLM(spec.turns, { id: 'replay', tokenDelayMs: spec.tokenDelayMs });
      if (!spec.scriptUrl) throw new L0Error({ kind: 'internal', message: 'The replay engine needs a script URL (a JSON list of assistant turns) or the turns.' });
      opts.onProgress?.({ phase: 'download', message: `Loading the replay ${spec.scriptUrl}…` });
      const { script, modelId } = await loadReplayScript(spec.scriptUrl, { fetch: opts.fetch, signal: opts.signal });
      opts.onProgress?.({ phase: 'ready', fraction: 1, message: `Replay of ${script.length} steps ready.` });
      return new ScriptedLLM(script, { id: `replay:${modelId ?? spec.scriptUrl}`, tokenDelayMs: spec.tokenDelayMs });
    }
    case 'webllm': {
      if (!spec.model) throw new L0Error({ kind: 'internal', message: 'The webllm engine needs a model id, e.g. L0-4B-q4f16_1-MLC.' });
      // WebLLMEngine.create starts the engine worker (the only code importing @mlc-ai/web-llm) on demand:
      // pages that never pick it never fetch it.
      return WebLLMEngine.create({
        modelId: spec.model,
        contextWindow: spec.contextWindow,
        registry: { ...opts.registry, ...(spec.weightsBase ? { l0WeightsBase: spec.weightsBase } : {}) },
        cacheBackend: spec.cacheBackend,
        onProgress: opts.onProgress,
        signal: opts.signal,
        onRecovered: opts.onRecovered,
      });
    }
  }
}
