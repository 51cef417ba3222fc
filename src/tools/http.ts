/**
 * HTTP for web tools: offline fail-fast, status and network errors mapped to tool errors whose
 * message tells the model what to do next.
 */
import { toolError } from './errors';

export interface HttpOptions {
  /** fetch to use (tests, proxies). Default: global fetch. */
  fetch?: typeof fetch;
  /** Connectivity check. Default: `navigator.onLine` where it exists, else assumed online. */
  isOnline?: () => boolean;
}

const OFFLINE_HINT = 'Use search_corpus(query) to search the local documents instead.';

function defaultIsOnline(): boolean {
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return nav?.onLine !== false;
}

/** Throws at once when offline, before any request is made. */
function assertOnline(source: string, http: HttpOptions): void {
  if (!(http.isOnline ?? defaultIsOnline)()) {
    throw toolError(source, `offline: the web cannot be reached. ${OFFLINE_HINT}`, { offline: true });
  }
}

async function httpRequest(source: string, url: string, init: RequestInit, http: HttpOptions): Promise<Response> {
  assertOnline(source, http);
  let res: Response;
  try {
    res = await (http.fetch ?? fetch)(url, init);
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' || init.signal?.aborted) throw e;
    throw toolError(source, `network error (${(e as Error)?.message ?? 'unreachable'}). ${OFFLINE_HINT}`, { network: true }, true);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
    const retryable = res.status === 429 || res.status >= 500;
    throw toolError(source, `HTTP ${res.status} ${res.statusText}${body ? `: ${body}` : ''}`.trim(), { status: res.status }, retryable);
  }
  return res;
}

export async function httpJson<T>(source: string, url: string, init: RequestInit, http: HttpOptions): Promise<T> {
  const res = await httpRequest(source, url, init, http);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw toolError(source, `bad response: expected JSON, got ${JSON.stringify(text.slice(0, 80))}`, { status: res.status });
  }
}
