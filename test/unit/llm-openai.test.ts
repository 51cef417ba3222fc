// OpenAICompatibleLLM against a real local HTTP server (test/support/openai-server.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleLLM, chatCompletionsUrl, listServerModels, modelsUrl, parseRetryAfter } from '../../src/llm/openai';
import { L0Error } from '../../src/protocols';
import { startOpenAIServer, type OpenAIServer, type OpenAIServerOptions } from '../support/openai-server';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(opts: OpenAIServerOptions): Promise<OpenAIServer> {
  server = await startOpenAIServer(opts);
  return server;
}

const user = (content: string) => [{ role: 'user' as const, content }];

describe('chatCompletionsUrl', () => {
  it('accepts base URLs with or without /v1', () => {
    expect(chatCompletionsUrl('http://h:8000')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:8000/')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:8000/v1/')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('http://h/api/v1/chat/completions')).toBe('http://h/api/v1/chat/completions');
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('OpenAICompatibleLLM', () => {
  it('streams tokens, sends the conversation and the key, and reports usage', async () => {
    const s = await serve({ respond: (msgs) => `You said: ${msgs.at(-1)!.content}. Done.` });
    const llm = new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm1', apiKey: 'sk-test' });
    const deltas: string[] = [];
    const r = await llm.generate(
      [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hello there' }],
      { onToken: (d) => deltas.push(d), temperature: 0.2, maxTokens: 100 },
    );
    expect(r.text).toBe('You said: hello there. Done.');
    expect(r.finishReason).toBe('stop');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(r.text);
    expect(r.usage).toEqual({ promptTokens: 3, completionTokens: deltas.length });
    const req = s.requests.find((q) => q.method === 'POST')!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'm1', stream: true, stream_options: { include_usage: true }, temperature: 0.2, max_tokens: 100 });
    expect((req.body!.messages as unknown[]).length).toBe(2);
  });

  it('reports length when max_tokens cut the answer', async () => {
    const s = await serve({ respond: () => 'a'.repeat(40) });
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), { maxTokens: 3 });
    expect(r.finishReason).toBe('length');
    expect(r.text).toBe('a'.repeat(12));
  });

  it('stops at a stop string the server ignores, never emitting it, and closes the stream', async () => {
    const s = await serve({
      respond: () => ['<think>plan</think><co', 'de>print(1)</co', 'de>', ' and then much more text', ' that must not arrive'],
      honorStop: false,
      chunkDelayMs: 20,
    });
    const deltas: string[] = [];
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), {
      stop: ['</code>'],
      onToken: (d) => deltas.push(d),
    });
    expect(r.text).toBe('<think>plan</think><code>print(1)');
    expect(r.finishReason).toBe('stop');
    expect(deltas.join('')).toBe(r.text);
    await new Promise((res) => setTimeout(res, 100));
    const req = s.requests.find((q) => q.method === 'POST')!;
    expect(req.body!.stop).toEqual(['</code>']);
    expect(req.clientClosed).toBe(true);
    expect(req.chunksSent).toBeLessThan(5);
  });

  it('passes stop strings to servers that honour them', async () => {
    const s = await serve({ respond: () => 'answer<|eoc|>tail' });
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), { stop: ['<|eoc|>'] });
    expect(r).toMatchObject({ text: 'answer', finishReason: 'stop' });
  });

  it('abort mid-stream resolves cleanly with the text so far', async () => {
    const s = await serve({ respond: () => Array.from({ length: 50 }, (_, i) => `t${i} `), chunkDelayMs: 30 });
    const ctl = new AbortController();
    const deltas: string[] = [];
    const p = new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), {
      signal: ctl.signal,
      onToken: (d) => {
        deltas.push(d);
        if (deltas.length === 3) ctl.abort();
      },
    });
    const r = await p;
    expect(r.finishReason).toBe('abort');
    expect(r.text).toBe('t0 t1 t2 ');
    await new Promise((res) => setTimeout(res, 100));
    expect(s.requests.find((q) => q.method === 'POST')!.clientClosed).toBe(true);
  });

  it('abort while one read holds several events: nothing after the abort is kept or reported', async () => {
    // No delay between chunks: the events arrive together, most in one read of the body.
    const s = await serve({ respond: () => Array.from({ length: 50 }, (_, i) => `t${i} `) });
    const ctl = new AbortController();
    const deltas: string[] = [];
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), {
      signal: ctl.signal,
      onToken: (d) => {
        deltas.push(d);
        if (deltas.length === 3) ctl.abort();
      },
    });
    expect(r.finishReason).toBe('abort');
    expect(deltas).toEqual(['t0 ', 't1 ', 't2 ']);
    expect(r.text).toBe('t0 t1 t2 ');
  });

  it('abort before the call resolves at once without a request', async () => {
    const s = await serve({ respond: () => 'x' });
    const ctl = new AbortController();
    ctl.abort();
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), { signal: ctl.signal });
    expect(r.finishReason).toBe('abort');
    expect(s.requests.length).toBe(0);
  });

  it('retries 500 with backoff and then succeeds', async () => {
    const s = await serve({ respond: () => 'ok now', fault: (i) => (i < 2 ? { status: 500 } : undefined) });
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', retryBaseMs: 10 }).generate(user('x'));
    expect(r.text).toBe('ok now');
    expect(s.requests.filter((q) => q.method === 'POST').length).toBe(3);
  });

  it('gives up after maxRetries with an http error carrying status and server message', async () => {
    const s = await serve({
      respond: () => 'never',
      fault: () => ({ status: 503, body: JSON.stringify({ error: { message: 'model is loading' } }) }),
    });
    const err = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', retryBaseMs: 5, maxRetries: 2 })
      .generate(user('x'))
      .catch((e) => e);
    expect(err).toBeInstanceOf(L0Error);
    expect(err.kind).toBe('http');
    expect(err.retryable).toBe(true);
    expect(err.detail.status).toBe(503);
    expect(err.message).toContain('model is loading');
    expect(s.requests.filter((q) => q.method === 'POST').length).toBe(3);
  });

  it('respects Retry-After on 429', async () => {
    const s = await serve({
      respond: () => 'after wait',
      fault: (i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : undefined),
    });
    const t0 = Date.now();
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', retryBaseMs: 1 }).generate(user('x'));
    expect(r.text).toBe('after wait');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 400 and explains a 404', async () => {
    const s = await serve({ respond: () => 'x', fault: () => ({ status: 404, body: '{"error":{"message":"model m not found"}}' }) });
    const err = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', retryBaseMs: 1 }).generate(user('x')).catch((e) => e);
    expect(err.kind).toBe('http');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/404.*model m not found.*base URL/);
    expect(s.requests.filter((q) => q.method === 'POST').length).toBe(1);
  });

  it('abort during a Retry-After wait resolves with abort', async () => {
    const s = await serve({ respond: () => 'x', fault: () => ({ status: 429, headers: { 'Retry-After': '30' } }) });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x'), { signal: ctl.signal });
    expect(r.finishReason).toBe('abort');
  });

  it('malformed JSON in the stream is a bad-response error', async () => {
    const s = await serve({ respond: () => 'some words to stream here', malformed: 'json' });
    const err = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x')).catch((e) => e);
    expect(err).toBeInstanceOf(L0Error);
    expect(err.kind).toBe('bad-response');
    expect(err.message).toMatch(/malformed JSON/);
  });

  it('a stream cut before the end is a retryable network error', async () => {
    const s = await serve({ respond: () => 'some words', malformed: 'truncate' });
    const err = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' }).generate(user('x')).catch((e) => e);
    expect(err.kind).toBe('network');
    expect(err.retryable).toBe(true);
  });

  it('a non-stream HTML answer is a bad-response error', async () => {
    const s = await serve({ respond: () => 'x' });
    const fetchHtml: typeof fetch = async () => new Response('<html>proxy login</html>', { headers: { 'content-type': 'text/html' } });
    const err = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', fetch: fetchHtml }).generate(user('x')).catch((e) => e);
    expect(err.kind).toBe('bad-response');
  });

  it('an unreachable server is a network error', async () => {
    const s = await serve({ respond: () => 'x' });
    const url = s.url;
    await s.close();
    server = undefined;
    const err = await new OpenAICompatibleLLM({ baseUrl: url, model: 'm' }).generate(user('x')).catch((e) => e);
    expect(err).toBeInstanceOf(L0Error);
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/Could not reach/);
  });

  it('accepts a JSON completion from a server that ignores stream:true', async () => {
    const s = await serve({ respond: () => 'whole answer' });
    const jsonFetch: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init!.body));
      return fetch(input, { ...init, body: JSON.stringify({ ...body, stream: false }) });
    };
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', fetch: jsonFetch }).generate(user('a b'));
    expect(r.text).toBe('whole answer');
    expect(r.usage.promptTokens).toBe(2);
  });

  it('inlines reasoning_content from servers with a reasoning parser as <think>...</think>', async () => {
    const s = await serve({ respond: () => 'x' });
    const sse = [
      { choices: [{ delta: { reasoning_content: 'plan ' } }] },
      { choices: [{ delta: { reasoning_content: 'more' } }] },
      { choices: [{ delta: { content: '<code>print(1)' } }] },
      { choices: [{ delta: {}, finish_reason: 'stop' }] },
    ].map((o) => `data: ${JSON.stringify(o)}\n\n`).join('') + 'data: [DONE]\n\n';
    const fetchSse: typeof fetch = async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } });
    const r = await new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm', fetch: fetchSse }).generate(user('x'));
    expect(r.text).toBe('<think>plan more</think><code>print(1)');
  });

  it('asks again without stream_options when an older server rejects it', async () => {
    const s = await serve({
      respond: () => 'fine',
      fault: (_i, req) => (req.body && 'stream_options' in req.body ? { status: 400, body: '{"error":{"message":"Unrecognized field: stream_options"}}' } : undefined),
    });
    const llm = new OpenAICompatibleLLM({ baseUrl: s.url, model: 'm' });
    expect((await llm.generate(user('x'))).text).toBe('fine');
    expect((await llm.generate(user('x'))).text).toBe('fine');
    expect(s.requests.filter((q) => q.method === 'POST').length).toBe(3); // one rejected, then two without
  });

  it('lists the models a server serves, and classifies a failure', async () => {
    expect(modelsUrl('http://h:1')).toBe('http://h:1/v1/models');
    const s = await serve({ respond: () => 'x', model: 'L0-7B' });
    expect(await listServerModels({ baseUrl: s.url })).toEqual(['L0-7B']);
    await expect(listServerModels({ baseUrl: s.origin + '/nope' })).rejects.toMatchObject({ kind: 'http' });
  });
});
