// An LLM backed by any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, ...):
// streaming POST /v1/chat/completions, SSE parsed by eventsource-parser.
// The API key lives only in this object's memory; nothing is stored.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  L0Error,
  type ChatMessage,
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  type LLM,
  type Usage,
} from '../protocols';
import { badResponse, classifyFetchFailure, forEndpoint, httpError } from './errors';
import { StopStringFilter } from './stop';

export interface OpenAICompatibleOptions {
  /** Server URL, with or without `/v1` (e.g. `http://localhost:8000` or `http://localhost:8000/v1`). */
  baseUrl: string;
  apiKey?: string;
  model: string;
  contextWindow?: number;
  /** Injected fetch (tests, proxies). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Retries for 429/5xx before any text arrived (default 3). */
  maxRetries?: number;
  /** First backoff delay; doubles each retry (default 500 ms, capped at 8 s). */
  retryBaseMs?: number;
  /** Longest Retry-After honoured (default 60 s); longer waits fail instead. */
  maxRetryAfterMs?: number;
  /** Ask for usage in the last chunk (`stream_options.include_usage`, default true). */
  includeUsage?: boolean;
  /** Extra JSON merged into every request body (e.g. `{ chat_template_kwargs: {...} }`). */
  extraBody?: Record<string, unknown>;
}

/** `…/v1/chat/completions` for a base URL given with or without `/v1`. */
export function chatCompletionsUrl(baseUrl: string): string {
  const base = baseUrl.trim().replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(base)) return base;
  return /\/v\d+$/.test(base) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

interface ChunkChoice {
  delta?: { content?: string | null; reasoning_content?: string | null };
  message?: { content?: string | null };
  text?: string;
  finish_reason?: string | null;
}
interface ChunkJson {
  choices?: ChunkChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | null;
  error?: { message?: string; code?: unknown } | string;
}

export class OpenAICompatibleLLM implements LLM {
  readonly id: string;
  readonly contextWindow?: number;
  readonly url: string;
  private readonly opts: OpenAICompatibleOptions;
  private sendUsageOption: boolean;

  constructor(opts: OpenAICompatibleOptions) {
    if (!opts.baseUrl) throw new L0Error({ kind: 'internal', message: 'OpenAICompatibleLLM needs a baseUrl.' });
    if (!opts.model) throw new L0Error({ kind: 'internal', message: 'OpenAICompatibleLLM needs a model name.' });
    this.opts = opts;
    this.id = opts.model;
    this.contextWindow = opts.contextWindow;
    this.url = chatCompletionsUrl(opts.baseUrl);
    this.sendUsageOption = opts.includeUsage ?? true;
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const { signal } = options;
    const fetchImpl = this.opts.fetch ?? globalThis.fetch.bind(globalThis);
    const maxRetries = this.opts.maxRetries ?? 3;
    const aborted = (): GenerateResult => ({ text: '', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } });

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) return aborted();
      const ctl = new AbortController();
      const onAbort = () => ctl.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        let res: Response;
        try {
          res = await fetchImpl(this.url, {
            method: 'POST',
            headers: this.headers(),
            body: JSON.stringify(this.body(messages, options)),
            signal: ctl.signal,
          });
        } catch (e) {
          if (signal?.aborted) return aborted();
          throw forEndpoint(await classifyFetchFailure(e, this.url, fetchImpl), this.url);
        }
        if (!res.ok) {
          const body = await res.text().catch(() => '');
          if (res.status === 400 && this.sendUsageOption && /stream_options/i.test(body)) {
            // An older server that rejects stream_options: ask again without it (no usage then).
            this.sendUsageOption = false;
            attempt--;
            continue;
          }
          const err = httpError(res.status, res.statusText, body, this.url);
          if (err.retryable && attempt < maxRetries) {
            const wait = this.retryDelay(attempt, res.headers.get('retry-after'));
            if (wait !== undefined) {
              if (!(await sleep(wait, signal))) return aborted();
              continue;
            }
          }
          throw err;
        }
        return await this.readStream(res, options, ctl);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    if (this.opts.apiKey) h.Authorization = `Bearer ${this.opts.apiKey}`;
    return h;
  }

  private body(messages: ChatMessage[], o: GenerateOptions): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: this.opts.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      ...this.opts.extraBody,
    };
    if (this.sendUsageOption) body.stream_options = { include_usage: true };
    // OpenAI accepts at most 4 stop strings; the client enforces all of them anyway.
    if (o.stop?.length) body.stop = o.stop.slice(0, 4);
    if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
    if (o.temperature !== undefined) body.temperature = o.temperature;
    if (o.topP !== undefined) body.top_p = o.topP;
    return body;
  }

  /** Delay before retry `attempt` (0-based), or undefined when Retry-After asks for too long. */
  private retryDelay(attempt: number, retryAfter: string | null): number | undefined {
    const fromHeader = parseRetryAfter(retryAfter);
    if (fromHeader !== undefined) return fromHeader <= (this.opts.maxRetryAfterMs ?? 60_000) ? fromHeader : undefined;
    const base = this.opts.retryBaseMs ?? 500;
    const exp = Math.min(base * 2 ** attempt, 8000);
    return exp / 2 + Math.random() * (exp / 2); // jitter so parallel clients do not retry in lockstep
  }

  private async readStream(res: Response, options: GenerateOptions, ctl: AbortController): Promise<GenerateResult> {
    const { signal, onToken } = options;
    const filter = new StopStringFilter(options.stop);
    let text = '';
    let finish: FinishReason | undefined;
    let done = false;
    let clientStop = false; // a stop string was seen here (the server may not honour `stop`)
    let inReasoning = false;
    let usage: Usage | undefined;
    let chunks = 0;
    let failure: L0Error | undefined;

    const emit = (s: string) => {
      if (!s) return;
      text += s;
      onToken?.(s);
    };
    const handleJson = (j: ChunkJson) => {
      if (j.error) {
        const msg = typeof j.error === 'string' ? j.error : (j.error.message ?? JSON.stringify(j.error));
        failure = new L0Error({ kind: 'http', message: `The server reported an error mid-stream: ${msg}`, detail: { serverMessage: msg, url: this.url } });
        return;
      }
      if (j.usage) {
        const cached = j.usage.prompt_tokens_details?.cached_tokens;
        usage = {
          promptTokens: j.usage.prompt_tokens ?? 0,
          completionTokens: j.usage.completion_tokens ?? 0,
          ...(typeof cached === 'number' ? { prefillTokens: (j.usage.prompt_tokens ?? 0) - cached } : {}),
        };
      }
      for (const c of j.choices ?? []) {
        if (clientStop) break;
        // Servers with a reasoning parser (e.g. vLLM --reasoning-parser for Qwen3) move the
        // thinking into `reasoning_content`; L0's format wants it inline as <think>...</think>.
        const reasoning = c.delta?.reasoning_content ?? '';
        let delta = c.delta?.content ?? c.message?.content ?? c.text ?? '';
        if (reasoning) {
          delta = (inReasoning ? '' : '<think>') + reasoning + delta;
          inReasoning = true;
        } else if (delta && inReasoning) {
          delta = '</think>' + delta;
          inReasoning = false;
        }
        if (delta) {
          chunks++;
          const r = filter.push(delta);
          emit(r.emit);
          if (r.stopped) {
            finish = 'stop';
            clientStop = done = true;
            return;
          }
        }
        if (c.finish_reason) finish = c.finish_reason === 'length' ? 'length' : 'stop';
      }
    };

    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream')) {
      // Some servers ignore `stream: true`; accept a plain JSON completion.
      const body = await res.text().catch(() => '');
      let j: ChunkJson;
      try {
        j = JSON.parse(body) as ChunkJson;
      } catch {
        throw badResponse(`Expected an event stream from ${this.url} but got ${contentType || 'no content type'}: ${body.slice(0, 200)}`, { contentType });
      }
      handleJson(j);
      if (failure) throw failure;
      if (!clientStop) emit(filter.flush());
      return { text, finishReason: finish ?? 'stop', usage: usage ?? { promptTokens: 0, completionTokens: chunks } };
    }

    const parser = createParser({
      onEvent: (ev: EventSourceMessage) => {
        // One read of the body can hold many events: none after an abort (onToken may be the one
        // that aborted) is taken into the text or reported.
        if (done || failure || signal?.aborted) return;
        const data = ev.data.trim();
        if (data === '[DONE]') {
          done = true;
          return;
        }
        if (!data) return;
        let j: ChunkJson;
        try {
          j = JSON.parse(data) as ChunkJson;
        } catch {
          failure = badResponse(`The server sent malformed JSON in its event stream: ${data.slice(0, 200)}`, { data: data.slice(0, 1000) });
          return;
        }
        handleJson(j);
      },
      onError: (err) => {
        failure ??= badResponse(`The server sent a malformed event stream (${err.type}): ${(err.line ?? err.message).slice(0, 200)}`, { type: err.type });
      },
    });

    const reader = res.body?.getReader();
    if (!reader) throw badResponse('The server answered without a body.');
    const decoder = new TextDecoder();
    try {
      while (!done && !failure && !signal?.aborted) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (signal?.aborted) {
            emit(filter.flush());
            return { text, finishReason: 'abort', usage: usage ?? { promptTokens: 0, completionTokens: chunks } };
          }
          throw new L0Error({
            kind: 'network',
            message: `The connection to ${this.url} broke mid-stream: ${(e as Error)?.message ?? e}`,
            detail: { url: this.url },
            retryable: true,
          });
        }
        if (chunk.done) break;
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      parser.feed(decoder.decode());
    } finally {
      if (clientStop || failure || signal?.aborted) {
        ctl.abort(); // stop the server generating past a client-side stop string
        reader.cancel().catch(() => undefined);
      }
    }
    if (failure) throw failure;
    if (signal?.aborted) {
      return { text, finishReason: 'abort', usage: usage ?? { promptTokens: 0, completionTokens: chunks } };
    }
    if (!done && !finish) {
      throw new L0Error({
        kind: 'network',
        message: `The stream from ${this.url} ended before the server finished (no finish_reason, no [DONE]).`,
        detail: { url: this.url, textSoFar: text.slice(-200) },
        retryable: true,
      });
    }
    if (!clientStop) emit(filter.flush());
    return { text, finishReason: finish ?? 'stop', usage: usage ?? { promptTokens: 0, completionTokens: chunks } };
  }
}

/** `…/v1/models` for a base URL given with or without `/v1`. */
export function modelsUrl(baseUrl: string): string {
  return chatCompletionsUrl(baseUrl).replace(/\/chat\/completions$/, '/models');
}

/**
 * Checks a server before a run ("Test connection"): GET /v1/models. Resolves with the model
 * names it serves; rejects with an L0Error of kind cors / network / http / bad-response.
 */
export async function listServerModels(opts: { baseUrl: string; apiKey?: string; fetch?: typeof fetch; signal?: AbortSignal }): Promise<string[]> {
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const url = modelsUrl(opts.baseUrl);
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: opts.apiKey ? { Authorization: `Bearer ${opts.apiKey}` } : {}, signal: opts.signal });
  } catch (e) {
    throw forEndpoint(await classifyFetchFailure(e, url, fetchImpl), url);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) throw httpError(res.status, res.statusText, body, url);
  try {
    const j = JSON.parse(body) as { data?: { id?: unknown }[]; models?: { name?: unknown }[] };
    const ids = (j.data ?? []).map((m) => m.id).concat((j.models ?? []).map((m) => m.name));
    return ids.filter((x): x is string => typeof x === 'string');
  } catch {
    throw badResponse(`${url} did not answer with JSON: ${body.slice(0, 200)}`);
  }
}

/** Retry-After as delta-seconds or an HTTP date -> milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
