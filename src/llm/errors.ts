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
  const said = `The server answered ${status}${statusText ? ' ' + statusText : ''}${msg ? ': ' + msg : ''}`;
  return new L0Error({
    kind: 'http',
    // The server's own sentence may end with its full stop already.
    message: `${said}${/[.!?…]$/.test(said) ? '' : '.'}${hint}`,
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

/** The page's origin, where there is one (a page or a worker). */
function pageOrigin(): string | undefined {
  const here = (globalThis as { location?: { origin?: string } }).location?.origin;
  return here && here !== 'null' ? here : undefined;
}

/**
 * The message for an OpenAI-compatible server that answered without CORS headers: how to allow this
 * page's origin on the servers people run (the flags as those servers document them).
 */
function endpointCorsMessage(url: string, origin = pageOrigin() ?? '<this page\'s origin>'): string {
  return (
    `${originOf(url)} answered, but without CORS headers, so the browser kept its answer from this page ` +
    `(the server must send CORS headers (Access-Control-Allow-Origin) for this page to call it). ` +
    `Allow ${origin} on the server, then try again:\n` +
    `• vLLM: --allowed-origins '["${origin}"]'\n` +
    `• Ollama: OLLAMA_ORIGINS=${origin} ollama serve\n` +
    `• llama.cpp llama-server: allows every origin by default; behind a proxy, the proxy must pass its CORS headers on\n` +
    `• LM Studio: lms server start --cors (or Enable CORS in its server settings)\n` +
    `• anything else: a reverse proxy that adds Access-Control-Allow-Origin.`
  );
}

/** An error of a call to an OpenAI-compatible server: a CORS failure gets the servers' fixes. */
export function forEndpoint(e: L0Error, url: string): L0Error {
  if (e.kind !== 'cors') return e;
  return new L0Error({ ...e.toJSON(), message: endpointCorsMessage(url) });
}

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
 * opaque `no-cors` probe: if that succeeds, the server is up and the failure was CORS. On a page
 * with COEP require-corp (ours: crossOriginIsolated) the probe fails too when the server sends no
 * Cross-Origin-Resource-Policy header, but the browser then files a COEP report naming the URL,
 * which it only does for a response it received: a report means the server answered. A closed port
 * gets no report. (Timing cannot tell the two apart: both fail within milliseconds on localhost.)
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
  let conclusive = false;
  if (inBrowser && isCrossOrigin(url)) {
    const probe = await probeNoCors(url, fetchImpl);
    if (probe.answered) {
      return new L0Error({ kind: 'cors', message: CORS_MESSAGE, detail: { url, error: base, seenBy: probe.seenBy } });
    }
    conclusive = probe.conclusive;
  }
  return new L0Error({
    kind: 'network',
    message: `Could not reach ${originOf(url)}: nothing answered (${cause ? `${base}, ${cause}` : base}). Is the server running, and are the address and port right?` +
      (inBrowser && isCrossOrigin(url) && !conclusive ? ' (If it is running, it may also be missing CORS headers.)' : ''),
    detail: { url, error: base, ...(cause ? { cause } : {}) },
    retryable: true,
  });
}

function isWorkerScope(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; importScripts?: unknown };
  return typeof g.WorkerGlobalScope !== 'undefined' && typeof g.importScripts === 'function';
}

/** How long a failed probe waits for the browser's COEP report (it comes within milliseconds). */
const COEP_REPORT_WAIT_MS = 1000;

interface ProbeResult {
  answered: boolean;
  /** How the answer was seen: the opaque response itself, or the COEP report about it. */
  seenBy?: 'no-cors-probe' | 'coep-report';
  /** False when a silent failure proves nothing (no COEP reports to look at). */
  conclusive: boolean;
}

interface CoepReport {
  type: string;
  /** Chromium exposes the COEP report's fields through toJSON() only. */
  body?: { blockedURL?: string; toJSON?(): { blockedURL?: unknown } } | null;
}

function blockedUrl(r: CoepReport): string | undefined {
  const body = typeof r.body?.toJSON === 'function' ? r.body.toJSON() : r.body;
  return typeof body?.blockedURL === 'string' ? body.blockedURL : undefined;
}
type ReportingObserverCtor = new (cb: (reports: CoepReport[]) => void, opts: { types: string[]; buffered?: boolean }) => { observe(): void; disconnect(): void; takeRecords(): CoepReport[] };

async function probeNoCors(url: string, fetchImpl: typeof fetch): Promise<ProbeResult> {
  const g = globalThis as { ReportingObserver?: ReportingObserverCtor; crossOriginIsolated?: boolean };
  const isolated = g.crossOriginIsolated === true && typeof g.ReportingObserver === 'function';
  let reported!: () => void;
  const report = new Promise<void>((r) => (reported = r));
  const matches = (rs: CoepReport[]) => rs.some((r) => r.type === 'coep' && sameResource(blockedUrl(r) ?? '', url));
  const observer = isolated ? new g.ReportingObserver!((rs) => matches(rs) && reported(), { types: ['coep'] }) : undefined;
  observer?.observe();
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 5000);
  try {
    // An opaque response (status 0) still proves the server answered.
    await fetchImpl(url, { method: 'GET', mode: 'no-cors', cache: 'no-store', signal: ctl.signal });
    return { answered: true, seenBy: 'no-cors-probe', conclusive: true };
  } catch {
    if (!observer) return { answered: false, conclusive: false };
    if (matches(observer.takeRecords())) reported();
    const seen = await Promise.race([report.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), COEP_REPORT_WAIT_MS))]);
    return seen ? { answered: true, seenBy: 'coep-report', conclusive: true } : { answered: false, conclusive: !ctl.signal.aborted };
  } finally {
    clearTimeout(timer);
    observer?.disconnect();
  }
}

function sameResource(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname === y.pathname;
  } catch {
    return false;
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
