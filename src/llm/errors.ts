// Turning failures of model engines into ErrorData: HTTP answers, fetch failures (network vs CORS),
// and the errors WebLLM reports (which cross its worker boundary as "Name: message" strings).
import { L0Error, type ErrorData } from '../protocols';

const MAX_SERVER_MESSAGE = 500;

/** The human part of an error body: OpenAI-style `{error: {message}}`, `{detail}`, `{message}`, or text. */
function serverMessage(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const err = j.error;
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
      return cap((err as { message: string }).message);
    }
    if (typeof err === 'string') return cap(err);
    if (typeof j.detail === 'string') return cap(j.detail);
    if (typeof j.message === 'string') return cap(j.message);
  } catch {
    // not JSON: use the text itself
  }
  return cap(text);
}

function cap(s: string): string {
  return s.length > MAX_SERVER_MESSAGE ? s.slice(0, MAX_SERVER_MESSAGE) + '…' : s;
}

/** Status codes worth retrying: rate limits and server-side failures. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function httpError(status: number, statusText: string, body: string, url: string): L0Error {
  const msg = serverMessage(body);
  const hint =
    status === 401 || status === 403
      ? ' Check the API key.'
      : status === 404
        ? ' Check the base URL (it should point at the server, e.g. http://localhost:8000/v1) and the model name.'
        : '';
  return new L0Error({
    kind: 'http',
    message: `The server answered ${status}${statusText ? ' ' + statusText : ''}${msg ? ': ' + msg : ''}.${hint}`,
    detail: { status, url, serverMessage: msg },
    retryable: isRetryableStatus(status),
  });
}

export function badResponse(message: string, detail?: Record<string, unknown>): L0Error {
  return new L0Error({ kind: 'bad-response', message, detail });
}

const CORS_MESSAGE =
  'The browser blocked the response: the server must send CORS headers (Access-Control-Allow-Origin) ' +
  'for this page to call it. Start the server with CORS enabled (e.g. vLLM/SGLang: --allowed-origins \'["*"]\', ' +
  'llama.cpp server: allows all origins by default, Ollama: OLLAMA_ORIGINS=*).';

/** True in a page or worker whose origin differs from `url`'s (where CORS applies). */
function isCrossOrigin(url: string): boolean {
  const here = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (!here || here === 'null') return here === 'null';
  try {
    return new URL(url, here).origin !== here;
  } catch {
    return false;
  }
}

/**
 * Classifies a failed `fetch` (it threw, no response). In a browser a CORS rejection and an
 * unreachable server both surface as the same TypeError, so for a cross-origin URL we send an
 * opaque `no-cors` probe: if that succeeds the server is up and the failure was CORS.
 */
export async function classifyFetchFailure(
  e: unknown,
  url: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<L0Error> {
  if (e instanceof L0Error) return e;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError') return new L0Error({ kind: 'aborted', message: 'Cancelled.' });
  const base = err?.message ?? String(e);
  const cause = err?.cause?.code ?? err?.cause?.message;
  const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined' || isWorkerScope();
  if (inBrowser && isCrossOrigin(url)) {
    const reachable = await probeNoCors(url, fetchImpl);
    if (reachable) {
      return new L0Error({ kind: 'cors', message: CORS_MESSAGE, detail: { url, error: base } });
    }
  }
  return new L0Error({
    kind: 'network',
    message: `Could not reach ${originOf(url)}: ${cause ? `${base} (${cause})` : base}. Is the server running and the URL right?` +
      (inBrowser && isCrossOrigin(url) ? ' (If it is running, it may also be missing CORS headers.)' : ''),
    detail: { url, error: base, ...(cause ? { cause } : {}) },
    retryable: true,
  });
}

function isWorkerScope(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; importScripts?: unknown };
  return typeof g.WorkerGlobalScope !== 'undefined' && typeof g.importScripts === 'function';
}

async function probeNoCors(url: string, fetchImpl: typeof fetch): Promise<boolean> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 5000);
  try {
    // An opaque response (status 0) still proves the server answered.
    await fetchImpl(url, { method: 'GET', mode: 'no-cors', cache: 'no-store', signal: ctl.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// WebLLM
// ---------------------------------------------------------------------------------------------

/**
 * Classifies an error from WebLLM (an Error in the same thread, or the `err.toString()` string its
 * worker handler posts back) into ErrorData. Order matters: the most specific patterns first.
 */
export function classifyWebLLMError(e: unknown): ErrorData {
  if (e instanceof L0Error) return e.toJSON();
  const text =
    typeof e === 'string'
      ? e
      : e instanceof Error
        ? `${e.name}: ${e.message}`
        : e && typeof e === 'object' && 'message' in e
          ? String((e as { message: unknown }).message)
          : String(e);
  const detail = { error: text.slice(0, 1000) };
  const has = (re: RegExp) => re.test(text);

  if (has(/AbortError|aborted|interrupted by the user/i)) {
    return { kind: 'aborted', message: 'Cancelled.', detail };
  }
  if (has(/QuotaExceeded|quota|insufficient storage|not enough space|storage is full/i)) {
    return {
      kind: 'quota',
      message: 'The browser has no room left to store the model. Delete cached models or free disk space, then retry.',
      detail,
    };
  }
  if (has(/out of memory|OutOfMemory|\bOOM\b|Failed to allocate|allocation failed|createBuffer.*failed|too large to allocate/i)) {
    return {
      kind: 'gpu-oom',
      message: 'The GPU ran out of memory. Choose a smaller model, a q4f16 variant, or a shorter context window.',
      detail,
    };
  }
  if (has(/DeviceLost|device was lost|device is lost|GPUDevice.*lost|Device lost/i)) {
    return {
      kind: 'device-lost',
      message: 'The WebGPU device was lost (often out of GPU memory, a driver reset, or the tab in the background too long). Reload the model to continue.',
      detail,
      retryable: true,
    };
  }
  if (has(/WebGPUNotAvailable|WebGPUNotFound|Cannot find WebGPU|WebGPU is not supported|shader-f16|FeatureSupportError|ShaderF16SupportError|requires feature|No adapter|adapter.*null|not yet supported by this browser/i)) {
    return {
      kind: 'unsupported',
      message: 'This browser or GPU cannot run the model with WebGPU. Try a q4f32 model, another browser, an OpenAI-compatible endpoint, or a replay.',
      detail,
    };
  }
  if (has(/Failed to fetch|NetworkError|Network response was not ok|Failed to execute 'add' on 'Cache'|Request failed|Cannot fetch|Unable to fetch|received status \d+|Failed to store|ERR_|Load failed|404|403|net::/i)) {
    const status = /status (\d{3})/.exec(text)?.[1];
    return {
      kind: 'network',
      message: 'Downloading the model failed. Check the connection and that the weights URL serves the files (with CORS), then retry.',
      detail: status ? { ...detail, status: Number(status) } : detail,
      retryable: true,
    };
  }
  if (has(/ModelNotFound|Cannot find model record|not found in appConfig/i)) {
    return { kind: 'internal', message: 'The model is not in the registry.', detail };
  }
  return { kind: 'internal', message: `WebLLM failed: ${text.slice(0, 300)}`, detail };
}
