// A local OpenAI-compatible chat server for tests and demos: POST /v1/chat/completions with SSE
// streaming (or JSON when `stream` is false), GET /v1/models, CORS (incl. preflight) and
// Cross-Origin-Resource-Policy so pages with COEP can call it. Faults can be injected per call.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestMessage {
  role: string;
  content: string;
}

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (POST), undefined otherwise. */
  body?: Record<string, unknown>;
  /** 0-based index among chat-completion calls. */
  callIndex?: number;
  /** True when the client went away before the response ended (e.g. abort, client-side stop). */
  clientClosed?: boolean;
  /** Chunks actually written before the response ended or the client left. */
  chunksSent?: number;
}

interface InjectedFault {
  status: number;
  /** Response body (default: an OpenAI-style `{error:{message}}`). */
  body?: string;
  headers?: Record<string, string>;
}

export interface OpenAIServerOptions {
  /** The assistant text for a call: a string (split into chunks) or explicit chunks. */
  respond: (messages: ChatRequestMessage[], req: RecordedRequest) => string | string[] | Promise<string | string[]>;
  /** Answer this call with an error status instead (e.g. 500 twice, or 429 with Retry-After). */
  fault?: (callIndex: number, req: RecordedRequest) => InjectedFault | undefined;
  /** Send Access-Control-* headers (default true). False reproduces a server a browser page cannot call. */
  cors?: boolean;
  /** Send Cross-Origin-Resource-Policy: cross-origin (default true). */
  corp?: boolean;
  /** Delay before each chunk, ms (default 0). */
  chunkDelayMs?: number;
  /** Delay before the response headers, ms (default 0). */
  firstByteDelayMs?: number;
  /** Characters per chunk when `respond` returns a string (default 4). */
  chunkSize?: number;
  /** Apply `stop` strings server-side as real servers do (default true). */
  honorStop?: boolean;
  /** Replace the stream with broken SSE: 'json' (bad JSON in a data line), 'truncate' (ends without [DONE]). */
  malformed?: 'json' | 'truncate';
  /** finish_reason to send (default 'stop', or 'length' when max_tokens cut the text). */
  finishReason?: string;
  /** Model name reported by /v1/models and in chunks (default 'test-model'). */
  model?: string;
  /** Every model /v1/models lists (default: just `model`). */
  models?: string[];
  /** `max_model_len` reported by /v1/models, as vLLM and SGLang do (default: not reported). */
  maxModelLen?: number;
  /** Answer 401 (on /v1/models and chat) unless the request carries `Authorization: Bearer <key>`. */
  requireKey?: string;
  /** Usage to report instead of the word count (e.g. to test the token figures a page shows). */
  usage?: (messages: ChatRequestMessage[], completionChunks: number) => { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
}

export interface OpenAIServer {
  /** Base URL ending in /v1 (what a user types as baseUrl). */
  url: string;
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function corsHeaders(opts: OpenAIServerOptions): Record<string, string> {
  const h: Record<string, string> = {};
  if (opts.cors ?? true) {
    h['Access-Control-Allow-Origin'] = '*';
    h['Access-Control-Allow-Headers'] = 'Content-Type, Authorization, Accept';
    h['Access-Control-Allow-Methods'] = 'GET, POST, OPTIONS';
    h['Access-Control-Expose-Headers'] = 'Retry-After';
  }
  if (opts.corp ?? true) h['Cross-Origin-Resource-Policy'] = 'cross-origin';
  return h;
}

/** Rough token count for usage: whitespace-separated words. */
function countWords(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

function splitChunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startOpenAIServer(opts: OpenAIServerOptions): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  let calls = 0;
  const model = opts.model ?? 'test-model';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const record: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers };
    requests.push(record);
    const base = corsHeaders(opts);

    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...base, 'Access-Control-Max-Age': '600' }).end();
      return;
    }
    if (opts.requireKey !== undefined && path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${opts.requireKey}`) {
      res.writeHead(401, { ...base, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Invalid API key.', type: 'invalid_request_error' } }));
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { ...base, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: (opts.models ?? [model]).map((id) => ({ id, object: 'model', ...(opts.maxModelLen ? { max_model_len: opts.maxModelLen } : {}) })) }));
      return;
    }
    if (!(req.method === 'POST' && path === '/v1/chat/completions')) {
      // GET on the endpoint (e.g. a no-cors reachability probe) or anything else.
      res.writeHead(404, { ...base, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `No route for ${req.method} ${path}` } }));
      return;
    }

    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { ...base, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Request body is not JSON.' } }));
      return;
    }
    record.body = body;
    record.callIndex = calls++;
    res.on('close', () => {
      if (!res.writableEnded) record.clientClosed = true;
    });

    if (opts.firstByteDelayMs) await wait(opts.firstByteDelayMs);
    const fault = opts.fault?.(record.callIndex, record);
    if (fault) {
      res.writeHead(fault.status, { ...base, 'Content-Type': 'application/json', ...(fault.headers ?? {}) });
      res.end(fault.body ?? JSON.stringify({ error: { message: `Injected failure ${fault.status}`, type: 'server_error' } }));
      return;
    }

    const messages = (body.messages ?? []) as ChatRequestMessage[];
    const answer = await opts.respond(messages, record);
    let chunks = Array.isArray(answer) ? [...answer] : splitChunks(answer, opts.chunkSize ?? 4);
    let finish = opts.finishReason ?? 'stop';

    const stops = (typeof body.stop === 'string' ? [body.stop] : (body.stop as string[] | undefined)) ?? [];
    if ((opts.honorStop ?? true) && stops.length) {
      const full = chunks.join('');
      const cut = Math.min(...stops.map((s) => full.indexOf(s)).filter((i) => i >= 0));
      if (Number.isFinite(cut)) chunks = splitChunks(full.slice(0, cut), opts.chunkSize ?? 4);
    }
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
    if (maxTokens !== undefined && chunks.length > maxTokens) {
      chunks = chunks.slice(0, maxTokens);
      finish = 'length';
    }
    const promptTokens = messages.reduce((n, m) => n + countWords(m.content ?? ''), 0);
    const custom = opts.usage?.(messages, chunks.length);
    const usage = custom
      ? {
          prompt_tokens: custom.prompt_tokens,
          completion_tokens: custom.completion_tokens,
          total_tokens: custom.prompt_tokens + custom.completion_tokens,
          ...(custom.cached_tokens !== undefined && { prompt_tokens_details: { cached_tokens: custom.cached_tokens } }),
        }
      : { prompt_tokens: promptTokens, completion_tokens: chunks.length, total_tokens: promptTokens + chunks.length };
    const id = `chatcmpl-${record.callIndex}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream !== true) {
      res.writeHead(200, { ...base, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: chunks.join('') }, finish_reason: finish }],
        usage,
      }));
      return;
    }

    res.writeHead(200, { ...base, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunkObj = (delta: Record<string, unknown>, finish_reason: string | null) => ({
      id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason }],
    });
    send(chunkObj({ role: 'assistant', content: '' }, null));
    record.chunksSent = 0;
    for (let i = 0; i < chunks.length; i++) {
      if (record.clientClosed || res.destroyed) return;
      if (opts.chunkDelayMs) await wait(opts.chunkDelayMs);
      if (record.clientClosed || res.destroyed) return;
      if (opts.malformed === 'json' && i === Math.floor(chunks.length / 2)) {
        res.write('data: {"choices":[{"delta":{"content": BROKEN\n\n');
      }
      send(chunkObj({ content: chunks[i] }, null));
      record.chunksSent++;
    }
    if (opts.malformed === 'truncate') {
      res.end();
      return;
    }
    send(chunkObj({}, finish));
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    res.write('data: [DONE]\n\n');
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, corsHeaders(opts));
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
