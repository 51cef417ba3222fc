// Engine choice from URLs/settings, replay loading over real HTTP, WebLLM progress parsing, stop filter.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, engineSpecToParams, parseEngineSpec, scriptFromJson } from '../../src/llm/engine-spec';
import { parseInitProgress } from '../../src/llm/progress';
import { StopStringFilter } from '../../src/llm/stop';
import { OpenAICompatibleLLM } from '../../src/llm/openai';
import { startOpenAIServer } from '../support/openai-server';

describe('parseEngineSpec', () => {
  it('returns undefined without an engine parameter', () => {
    expect(parseEngineSpec('?task=x')).toBeUndefined();
  });
  it('parses webllm links', () => {
    expect(parseEngineSpec('?engine=webllm&model=L0-4B-q4f16_1-MLC&ctx=8192&cache=indexeddb')).toEqual({
      ok: true,
      spec: { kind: 'webllm', model: 'L0-4B-q4f16_1-MLC', contextWindow: 8192, cacheBackend: 'indexeddb' },
    });
    const r = parseEngineSpec('https://site/app/?engine=webllm&model=L0-7B-q4f32_1-MLC&weights=https%3A%2F%2Fw.example%2Forg%2F');
    expect(r).toEqual({ ok: true, spec: { kind: 'webllm', model: 'L0-7B-q4f32_1-MLC', weightsBase: 'https://w.example/org/' } });
  });
  it('parses openai links and never takes an API key from a URL', () => {
    const r = parseEngineSpec(new URLSearchParams('engine=openai&baseUrl=http://localhost:8000/v1&model=L0-7B&apiKey=secret'));
    expect(r).toEqual({ ok: true, spec: { kind: 'openai', baseUrl: 'http://localhost:8000/v1', model: 'L0-7B' } });
    const fromSettings = parseEngineSpec({ engine: 'openai', baseUrl: 'http://h:1/v1', model: 'm', apiKey: 'k', contextWindow: 32768 });
    expect(fromSettings).toEqual({ ok: true, spec: { kind: 'openai', baseUrl: 'http://h:1/v1', model: 'm', apiKey: 'k', contextWindow: 32768 } });
  });
  it('parses replay links', () => {
    expect(parseEngineSpec('?engine=replay&script=demo/run.json&delay=15')).toEqual({
      ok: true,
      spec: { kind: 'replay', scriptUrl: 'demo/run.json', tokenDelayMs: 15 },
    });
  });
  it('reports what is wrong as data', () => {
    const bad = (q: string) => {
      const r = parseEngineSpec(q);
      expect(r?.ok).toBe(false);
      return r && !r.ok ? r.error.message : '';
    };
    expect(bad('?engine=webllm')).toMatch(/needs model/);
    expect(bad('?engine=webllm&model=GPT-9')).toMatch(/Unknown WebLLM model/);
    expect(bad('?engine=webllm&model=L0-4B-q4f16_1-MLC&ctx=-5')).toMatch(/context window/);
    expect(bad('?engine=webllm&model=L0-4B-q4f16_1-MLC&weights=models/')).toMatch(/absolute/);
    expect(bad('?engine=openai&model=m')).toMatch(/baseUrl/);
    expect(bad('?engine=openai&baseUrl=ftp://x&model=m')).toMatch(/baseUrl/);
    expect(bad('?engine=replay')).toMatch(/script/);
    expect(bad('?engine=magic')).toMatch(/Unknown engine/);
  });
  it('round-trips through demo-link parameters without the key', () => {
    const spec = { kind: 'openai' as const, baseUrl: 'http://h:1/v1', model: 'm', apiKey: 'k', contextWindow: 8192 };
    const p = engineSpecToParams(spec);
    expect(p.has('apiKey')).toBe(false);
    expect(parseEngineSpec(p)).toEqual({ ok: true, spec: { kind: 'openai', baseUrl: 'http://h:1/v1', model: 'm', contextWindow: 8192 } });
  });
});

describe('replay scripts and createEngine', () => {
  let server: Server;
  let origin = '';
  const files: Record<string, string> = {
    '/list.json': JSON.stringify(['<think>a</think><code>print(1)</code>', '<think>b</think><code>submit_final_answer("x")</code>']),
    '/traj.json': JSON.stringify({ version: 1, modelId: 'L0-4B', steps: [{ raw: 'step one' }, { raw: 'step two' }] }),
    '/bad.json': JSON.stringify({ hello: 1 }),
    '/notjson.json': '<html>',
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      if (body === undefined) res.writeHead(404).end('missing');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('scriptFromJson takes a list or the raw texts of a trajectory', () => {
    expect(scriptFromJson(['a', 'b'])).toEqual(['a', 'b']);
    expect(scriptFromJson({ steps: [{ raw: 'x' }] })).toEqual(['x']);
    expect(() => scriptFromJson([1, 2])).toThrow(/only strings/);
  });

  it('a replay engine plays a list back in order', async () => {
    const llm = await createEngine({ kind: 'replay', scriptUrl: `${origin}/list.json` });
    expect(llm.id).toBe(`replay:${origin}/list.json`);
    const r1 = await llm.generate([{ role: 'user', content: 'q' }]);
    expect(r1.text).toContain('print(1)');
    const r2 = await llm.generate([{ role: 'user', content: 'q' }]);
    expect(r2.text).toContain('submit_final_answer');
  });

  it('a replay engine plays a recorded trajectory', async () => {
    const llm = await createEngine({ kind: 'replay', scriptUrl: `${origin}/traj.json` });
    expect(llm.id).toBe('replay:L0-4B');
    expect((await llm.generate([{ role: 'user', content: 'q' }])).text).toBe('step one');
  });

  it('replay failures are classified', async () => {
    await expect(createEngine({ kind: 'replay', scriptUrl: `${origin}/missing.json` })).rejects.toMatchObject({ kind: 'http', detail: { status: 404 } });
    await expect(createEngine({ kind: 'replay', scriptUrl: `${origin}/bad.json` })).rejects.toMatchObject({ kind: 'bad-response' });
    await expect(createEngine({ kind: 'replay', scriptUrl: `${origin}/notjson.json` })).rejects.toMatchObject({ kind: 'bad-response' });
  });

  it('an openai spec gives a working OpenAICompatibleLLM', async () => {
    const s = await startOpenAIServer({ respond: () => 'pong' });
    try {
      const llm = await createEngine({ kind: 'openai', baseUrl: s.url, model: 'm', contextWindow: 9000 });
      expect(llm).toBeInstanceOf(OpenAICompatibleLLM);
      expect(llm.contextWindow).toBe(9000);
      expect((await llm.generate([{ role: 'user', content: 'ping' }])).text).toBe('pong');
    } finally {
      await s.close();
    }
  });
});

describe('WebLLM progress parsing', () => {
  const MiB = 2 ** 20;
  const fetching = (progress: number, mb: number) => ({
    progress,
    timeElapsed: 12,
    text: `Fetching param cache[10/40]: ${mb}MB fetched. ${Math.floor(progress * 100)}% completed, 12 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.`,
  });

  it('reads phase, bytes and fraction from WebLLM report texts', () => {
    // With the exact total (from the weights check), bytes follow WebLLM's exact fraction.
    const d = parseInitProgress(fetching(0.25, 1024), 4096 * MiB);
    expect(d).toMatchObject({ phase: 'download', fraction: 0.25, loadedBytes: 1024 * MiB, totalBytes: 4096 * MiB });
    expect(d.message).toMatch(/1024 MB of 4096 MB \(10\/40 shards\)/);
    // Without it, the rounded MB figure and no guessed total.
    const rounded = parseInitProgress(fetching(0.25, 1024));
    expect(rounded.loadedBytes).toBe(1024 * MiB);
    expect(rounded.totalBytes).toBeUndefined();
    const cache = parseInitProgress({ progress: 1, timeElapsed: 1, text: 'Loading model from cache[20/40]: 2048MB loaded. 100% completed, 1 secs elapsed.' });
    expect(cache).toMatchObject({ phase: 'cache', fraction: 0.5 });
    const compile = parseInitProgress({ progress: 0.1, timeElapsed: 1, text: 'Loading GPU shader modules[5/50]: 10% completed, 1 secs elapsed.' });
    expect(compile).toMatchObject({ phase: 'compile', message: 'Compiling GPU shaders (5/50 shader modules)' });
    expect(parseInitProgress({ progress: 1, timeElapsed: 30, text: 'Finish loading on WebGPU - nvidia' })).toMatchObject({ phase: 'ready', fraction: 1 });
    expect(parseInitProgress({ progress: 0, timeElapsed: 0, text: 'Start to fetch params' })).toMatchObject({ phase: 'init', fraction: 0 });
  });

  it('byte counts are monotone and the total fixed, although WebLLM rounds the MB in its text up', () => {
    const total = 309_011_968; // the Qwen2-0.5B q4f32 shards
    const fetched = [0, 33_554_432, 33_554_433, 67_108_000, 150_000_001, total];
    const seen = fetched.map((b) => parseInitProgress(fetching(b / total, Math.ceil(b / MiB)), total));
    expect(new Set(seen.map((p) => p.totalBytes))).toEqual(new Set([total]));
    expect(seen.map((p) => p.loadedBytes)).toEqual(fetched);
  });
});

describe('StopStringFilter', () => {
  it('holds back a partial stop string across deltas and cuts before it', () => {
    const f = new StopStringFilter(['</code>']);
    expect(f.push('print(1)</')).toEqual({ emit: 'print(1)', stopped: false });
    expect(f.push('co')).toEqual({ emit: '', stopped: false });
    expect(f.push('de>more')).toEqual({ emit: '', stopped: true });
  });
  it('releases held text when it turns out not to be a stop string', () => {
    const f = new StopStringFilter(['</code>']);
    expect(f.push('a</c')).toEqual({ emit: 'a', stopped: false });
    expect(f.push('x')).toEqual({ emit: '</cx', stopped: false });
    expect(f.push('</')).toEqual({ emit: '', stopped: false });
    expect(f.flush()).toBe('</');
  });
  it('picks the earliest of several stop strings', () => {
    const f = new StopStringFilter(['<|im_end|>', '</code>']);
    expect(f.push('x</code>y<|im_end|>')).toEqual({ emit: 'x', stopped: true });
  });
});
