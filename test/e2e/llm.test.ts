// Model engines in real Chromium, through the built harness page (window.l0 = the library):
// WebGPU detection with and without the software adapter, the OpenAI client against a local
// server (streaming, abort, CORS failure, unreachable server), and WebLLMEngine's load boundary
// (the weights check: a 404 folder -> 'http' before any download, no CORS -> 'cors'; a cancelled
// load -> 'aborted') without real weights (test/e2e/webllm-runtime.test.ts has real ones); the
// model-cache helpers against WebLLM's real cache layout (Cache API and IndexedDB); and the build:
// @mlc-ai/web-llm must be emitted once, in the engine worker's chunk (app and library builds).
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server';

let site: StaticServer;
let snapshot = '';

beforeAll(async () => {
  // Serve a private copy of dist/: other suites may rebuild dist/ while these tests run.
  snapshot = await mkdtemp(join(tmpdir(), 'l0-llm-e2e-'));
  await cp('dist', snapshot, { recursive: true });
  site = await startStaticServer({ root: snapshot });
});
afterAll(async () => {
  await site?.close();
  if (snapshot) await rm(snapshot, { recursive: true, force: true });
});

async function openHarness(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(site.url + 'harness.html');
  await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
  return page;
}

describe('WebGPU detection in Chromium', () => {
  it('with the software adapter: WebGPU found, no shader-f16, only q4f32 models offered', async () => {
    const browser = await launchChromium({ webgpu: true });
    try {
      const page = await openHarness(browser);
      const r = await page.evaluate(async () => {
        const rep = await window.l0.detectWebGPU();
        return {
          supported: rep.supported,
          software: rep.software,
          shaderF16: rep.shaderF16,
          message: rep.message,
          quants: [...new Set(rep.models.map((f) => f.model.quantization))],
          ids: rep.models.map((f) => f.model.id),
          alternatives: rep.alternatives.map((a) => a.engine),
          adapter: rep.adapter,
        };
      });
      expect(r.supported).toBe(true);
      expect(r.shaderF16).toBe(false);
      expect(r.quants).toEqual(['q4f32_1']);
      expect(r.ids).toContain('L0-7B-q4f32_1-MLC');
      expect(r.ids).toContain('L0-4B-q4f32_1-MLC');
      expect(r.ids).not.toContain('L0-7B-q4f16_1-MLC');
      expect(r.message).toMatch(/only q4f32/);
      // SwiftShader is a CPU implementation: flagged as software, with the alternatives listed.
      expect(r.software).toBe(true);
      expect(r.alternatives).toEqual(['openai', 'replay']);
    } finally {
      await browser.close();
    }
  });

  it('without WebGPU: a clear unsupported result with alternatives', async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await openHarness(browser);
      const r = await page.evaluate(async () => {
        const rep = await window.l0.detectWebGPU();
        return { supported: rep.supported, error: rep.error, message: rep.message, alternatives: rep.alternatives.map((a) => a.engine), models: rep.models.length };
      });
      expect(r.supported).toBe(false);
      expect(r.error?.kind).toBe('unsupported');
      expect(r.message).toMatch(/WebGPU/);
      expect(r.alternatives).toEqual(['openai', 'replay']);
      expect(r.models).toBe(0);
    } finally {
      await browser.close();
    }
  });
});

describe('OpenAI-compatible client in Chromium', () => {
  let browser: Browser;
  let withCors: OpenAIServer;
  let noCors: OpenAIServer;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: false });
    withCors = await startOpenAIServer({
      respond: (msgs) => `echo: ${msgs.at(-1)!.content}`,
      chunkDelayMs: 5,
    });
    noCors = await startOpenAIServer({ respond: () => 'never seen', cors: false });
  });
  afterAll(async () => {
    await browser?.close();
    await withCors?.close();
    await noCors?.close();
  });

  it('streams from a cross-origin server with CORS', async () => {
    const page = await openHarness(browser);
    const r = await page.evaluate(async (url) => {
      const llm = new window.l0.OpenAICompatibleLLM({ baseUrl: url, model: 'm' });
      const deltas: string[] = [];
      const res = await llm.generate([{ role: 'user', content: 'hello browser' }], { onToken: (d) => deltas.push(d), stop: ['</code>'] });
      return { ...res, deltas: deltas.length };
    }, withCors.url);
    expect(r.text).toBe('echo: hello browser');
    expect(r.finishReason).toBe('stop');
    expect(r.deltas).toBeGreaterThan(2);
    expect(r.usage.completionTokens).toBe(r.deltas);
  });

  it('abort in the page ends the stream cleanly', async () => {
    const slow = await startOpenAIServer({ respond: () => Array.from({ length: 40 }, (_, i) => `w${i} `), chunkDelayMs: 40 });
    try {
      const page = await openHarness(browser);
      const r = await page.evaluate(async (url) => {
        const llm = new window.l0.OpenAICompatibleLLM({ baseUrl: url, model: 'm' });
        const ctl = new AbortController();
        let n = 0;
        return llm.generate([{ role: 'user', content: 'x' }], { signal: ctl.signal, onToken: () => { if (++n === 4) ctl.abort(); } });
      }, slow.url);
      expect(r.finishReason).toBe('abort');
      expect(r.text).toBe('w0 w1 w2 w3 ');
    } finally {
      await slow.close();
    }
  });

  it('a server without CORS headers gives kind "cors" with the fix in the message', async () => {
    const page = await openHarness(browser);
    const err = await page.evaluate(async (url) => {
      const llm = new window.l0.OpenAICompatibleLLM({ baseUrl: url, model: 'm' });
      try {
        await llm.generate([{ role: 'user', content: 'x' }]);
        return null;
      } catch (e) {
        return window.l0.toErrorData(e);
      }
    }, noCors.url);
    expect(err?.kind).toBe('cors');
    expect(err?.message).toMatch(/must send CORS headers \(Access-Control-Allow-Origin\)/);
  });

  it('engine specs from URL parameters: openai and replay engines work in the page', async () => {
    const scripts = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
      res.end(JSON.stringify({ version: 1, modelId: 'L0-4B', steps: [{ raw: '<think>t</think><code>print(2)</code>' }] }));
    });
    await new Promise<void>((r) => scripts.listen(0, '127.0.0.1', r));
    try {
      const page = await openHarness(browser);
      const r = await page.evaluate(async ({ openaiUrl, scriptUrl }) => {
        const run = async (query: string) => {
          const parsed = window.l0.parseEngineSpec(query);
          if (!parsed?.ok) throw new Error('bad spec ' + query);
          const llm = await window.l0.createEngine(parsed.spec);
          const res = await llm.generate([{ role: 'user', content: 'via spec' }]);
          return { id: llm.id, text: res.text };
        };
        return {
          openai: await run(`?engine=openai&baseUrl=${encodeURIComponent(openaiUrl)}&model=L0-7B`),
          replay: await run(`?engine=replay&script=${encodeURIComponent(scriptUrl)}`),
        };
      }, { openaiUrl: withCors.url, scriptUrl: `http://127.0.0.1:${(scripts.address() as AddressInfo).port}/run.json` });
      expect(r.openai).toEqual({ id: 'L0-7B', text: 'echo: via spec' });
      expect(r.replay).toEqual({ id: 'replay:L0-4B', text: '<think>t</think><code>print(2)</code>' });
    } finally {
      scripts.closeAllConnections();
      await new Promise<void>((r) => scripts.close(() => r()));
    }
  });

  it('an unreachable server gives kind "network"', async () => {
    const gone = await startOpenAIServer({ respond: () => 'x' });
    const url = gone.url;
    await gone.close();
    const page = await openHarness(browser);
    const err = await page.evaluate(async (u) => {
      try {
        await new window.l0.OpenAICompatibleLLM({ baseUrl: u, model: 'm' }).generate([{ role: 'user', content: 'x' }]);
        return null;
      } catch (e) {
        return window.l0.toErrorData(e);
      }
    }, url);
    expect(err?.kind).toBe('network');
  });
});

describe('WebLLMEngine load boundary in Chromium (no real weights)', () => {
  let browser: Browser;
  let weights: Server;
  let weightsOrigin = '';
  const weightRequests: string[] = [];
  const hangClosed: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
    // A weights host that has nothing (404) under /missing/; under /config-only/ and /hang/ the
    // config and shard manifest the weights check reads (so the load goes on to WebLLM), then
    // nothing (/config-only/) or no answer at all (/hang/).
    weights = createServer((req, res) => {
      const url = req.url ?? '';
      weightRequests.push(url);
      const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
      const checked = /^\/(config-only|hang)\/.*\/resolve\/main\/(mlc-chat-config|tensor-cache)\.json$/.exec(url);
      if (checked) {
        const json = checked[2] === 'tensor-cache'
          ? { records: [{ dataPath: 'params_shard_0.bin', nbytes: 1024 }] }
          : { model_type: /Qwen3|L0-4B/.test(url) ? 'qwen3' : 'qwen2', quantization: /q4f16/.test(url) ? 'q4f16_1' : 'q4f32_1' };
        return void res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(json));
      }
      if (url.startsWith('/hang/')) {
        res.on('close', () => hangClosed.push(url)); // the browser dropped the request
        return; // keep the request open
      }
      res.writeHead(404, headers).end('not found');
    });
    await new Promise<void>((r) => weights.listen(0, '127.0.0.1', r));
    weightsOrigin = `http://127.0.0.1:${(weights.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    weights?.closeAllConnections();
    await new Promise<void>((r) => weights.close(() => r()));
  });

  it('first page load does not fetch @mlc-ai/web-llm; creating an engine loads it once, in the worker', async () => {
    const page = await browser.newPage();
    const scripts: string[] = [];
    page.on('response', async (res) => {
      if (res.request().resourceType() === 'script' || res.url().endsWith('.js')) scripts.push(res.url());
    });
    await page.goto(site.url + 'harness.html');
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
    const initial = new Set(scripts);
    const sizeOf = (urls: string[]) => page.evaluate(async (us) => Promise.all(us.map(async (u) => (await (await fetch(u)).text()).length)), urls);
    // web-llm is megabytes of JS: nothing that large may load with the page.
    expect(Math.max(...(await sizeOf([...initial])))).toBeLessThan(1_000_000);
    const err = await page.evaluate(async (base) => {
      try {
        // The weights check passes; WebLLM then finds no model library (404) and no shards.
        await window.l0.WebLLMEngine.create({ modelId: 'L0-4B-q4f32_1-MLC', registry: { l0WeightsBase: base + '/config-only/', modelLibBase: base + '/missing-libs/' } });
        return null;
      } catch (e) {
        return window.l0.toErrorData(e);
      }
    }, weightsOrigin);
    expect(err?.kind).toBe('network');
    expect(weightRequests).toContain('/missing-libs/Qwen3-4B-q4f32_1_cs1k-webgpu.wasm');
    expect(scripts.some((u) => u.includes('webllm.worker'))).toBe(true);
    // WebLLM's code arrives once, as the engine worker's script: no copy is loaded into the page.
    const later = [...new Set(scripts.filter((u) => !initial.has(u)))];
    const sizes = await sizeOf(later);
    const large = later.filter((_, i) => sizes[i] > 1_000_000);
    expect(large).toEqual([expect.stringMatching(/\/assets\/webllm\.worker-[\w-]+\.js$/)]);
    expect(sizes[later.indexOf(large[0])]).toBeGreaterThan(3_000_000);
    await page.close();
  });

  it('a weights folder that is not there fails before any download, naming the URL and the fix', async () => {
    const page = await openHarness(browser);
    const before = weightRequests.length;
    const r = await page.evaluate(async (base) => {
      const phases: string[] = [];
      try {
        await window.l0.WebLLMEngine.create({ modelId: 'L0-4B-q4f32_1-MLC', registry: { l0WeightsBase: base + '/missing/' }, onProgress: (p) => phases.push(p.phase) });
        return { phases, err: null };
      } catch (e) {
        return { phases, err: window.l0.toErrorData(e) };
      }
    }, weightsOrigin);
    const url = `${weightsOrigin}/missing/L0-4B-q4f32_1-MLC/resolve/main/mlc-chat-config.json`;
    expect(r.err).toMatchObject({ kind: 'http', detail: { status: 404, url, reason: 'not-found' } });
    expect(r.err?.message).toContain(`No mlc-chat-config.json at ${url} (the host answered 404)`);
    expect(r.phases).toEqual(['detect', 'check']);
    // Only the config was asked for: WebLLM never started loading.
    expect(weightRequests.slice(before)).toEqual(['/missing/L0-4B-q4f32_1-MLC/resolve/main/mlc-chat-config.json']);
    await page.close();
  });

  it('a q4f16 request on an adapter without shader-f16 loads the q4f32 sibling', async () => {
    const page = await openHarness(browser);
    const r = await page.evaluate(async (base) => {
      const phases: string[] = [];
      try {
        await window.l0.WebLLMEngine.create({
          modelId: 'L0-7B-q4f16_1-MLC',
          registry: { l0WeightsBase: base + '/missing/' },
          onProgress: (p) => phases.push(p.message),
        });
        return { phases, err: null };
      } catch (e) {
        return { phases, err: window.l0.toErrorData(e) };
      }
    }, weightsOrigin);
    expect(r.phases.join('\n')).toMatch(/loading L0-7B-q4f32_1-MLC instead/);
    expect(r.err).toMatchObject({ kind: 'http', detail: { url: `${weightsOrigin}/missing/L0-7B-q4f32_1-MLC/resolve/main/mlc-chat-config.json` } });
  });

  it('cancelling a load in flight rejects with "aborted" and terminates the worker', async () => {
    const page = await openHarness(browser);
    await page.evaluate((base) => {
      const w = window as unknown as { ctl: AbortController; load: Promise<unknown> };
      w.ctl = new AbortController();
      w.load = window.l0.WebLLMEngine.create({
        modelId: 'Qwen3-0.6B-q4f32_1-MLC',
        registry: { fallbackWeightsBase: base + '/hang/', modelLibBase: base + '/hang/libs/' },
        signal: w.ctl.signal,
        detect: false,
      }).then(() => null, (e) => window.l0.toErrorData(e));
    }, weightsOrigin);
    // Cancel while WebLLM's download is in flight (the check passed; the host never answers the rest).
    const hung = () => weightRequests.some((u) => u.startsWith('/hang/') && !/(mlc-chat-config|tensor-cache)\.json$/.test(u));
    for (let i = 0; i < 200 && !hung(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(hung()).toBe(true);
    const err = await page.evaluate(async () => {
      const w = window as unknown as { ctl: AbortController; load: Promise<{ kind: string } | null> };
      w.ctl.abort();
      return w.load;
    });
    expect(err?.kind).toBe('aborted');
    // Terminating the worker drops its download.
    for (let i = 0; i < 100 && hangClosed.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(hangClosed.length).toBeGreaterThan(0);
  });

  it('the benchmark page runs and reports its outcome as JSON', async () => {
    const page = await browser.newPage();
    const q = new URLSearchParams({ model: 'L0-4B-q4f32_1-MLC', auto: '1', weights: weightsOrigin + '/missing/' });
    await page.goto(site.url + 'bench/webllm.html?' + q);
    await page.waitForFunction(() => 'benchResult' in window, undefined, { timeout: 60_000 });
    const shown = JSON.parse((await page.textContent('#result')) ?? '{}');
    // No weights here: the page must say why, as data.
    expect(shown.error?.kind).toBe('http');
    expect(shown.error?.detail?.status).toBe(404);
    await page.screenshot({ path: 'test-results/llm-bench-page.png' });
    await page.close();
  });

  it('a weights host without CORS headers gives kind "cors"', async () => {
    const noCors = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Cross-Origin-Resource-Policy': 'cross-origin' }).end('{}'));
    await new Promise<void>((r) => noCors.listen(0, '127.0.0.1', r));
    try {
      const page = await openHarness(browser);
      const err = await page.evaluate(async (base) => {
        try {
          await window.l0.WebLLMEngine.create({ modelId: 'L0-4B-q4f32_1-MLC', registry: { l0WeightsBase: base + '/' } });
          return null;
        } catch (e) {
          return window.l0.toErrorData(e);
        }
      }, `http://127.0.0.1:${(noCors.address() as AddressInfo).port}`);
      expect(err?.kind).toBe('cors');
      expect(err?.message).toMatch(/must send CORS headers/);
    } finally {
      noCors.closeAllConnections();
      await new Promise<void>((r) => noCors.close(() => r()));
    }
  });

  it('cache helpers work in the page: nothing cached, a storage estimate', async () => {
    const page = await openHarness(browser);
    const r = await page.evaluate(async () => ({
      cached: await window.l0.listCachedModels(),
      storage: await window.l0.estimateModelStorage(),
    }));
    expect(r.cached).toEqual([]);
    expect(r.storage.quotaBytes).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// WebLLM's model cache, as WebLLM 0.2.86 lays it out (cache_util.ts + tvmjs ArtifactCache /
// ArtifactIndexedDBCache): scope "webllm/model" holds tensor-cache.json, its shards and the
// tokenizer under the model URL; "webllm/config" its mlc-chat-config.json; "webllm/wasm" the
// model library by URL. The Cache API keys by request URL; IndexedDB uses one database per scope
// with an object store "urls" of {url, data} (tensor-cache.json stored as parsed JSON).
// ---------------------------------------------------------------------------------------------

type Layout = { weightsUrl: string; modelLib: string; shards: number[]; missingShard?: number };

describe('model cache helpers in Chromium, on WebLLM\'s cache layout', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.close();
  });

  // Weights and libraries are never fetched: every entry the helpers read is already stored.
  const registry = { l0WeightsBase: 'https://weights.example/l0/', fallbackWeightsBase: 'https://weights.example/hf/', modelLibBase: 'https://libs.example/' };

  async function openWithWorkerCount(): Promise<Page> {
    const page = await openHarness(browser);
    await page.evaluate(() => {
      // Count the workers the page starts (the cache helpers run WebLLM in one).
      const Native = window.Worker;
      const w = window as unknown as { workersStarted: number };
      w.workersStarted = 0;
      window.Worker = class extends Native {
        constructor(url: string | URL, opts?: WorkerOptions) {
          super(url, opts);
          w.workersStarted++;
        }
      };
    });
    return page;
  }

  it('Cache API: lists complete models with measured sizes, deletes one, keeps a shared library', async () => {
    const page = await openWithWorkerCount();
    const r = await page.evaluate(async (opts) => {
      const w = window as unknown as { workersStarted: number };
      const models = window.l0.listModels(opts);
      const a = models.find((m) => m.id === 'L0-7B-q4f32_1-MLC')!;
      const sharer = models.find((m) => m.id !== a.id && m.modelLib === a.modelLib)!;
      const partial = models.find((m) => m.id === 'L0-4B-q4f32_1-MLC')!;
      const lay = async (l: Layout) => {
        const model = await caches.open('webllm/model');
        const records = l.shards.map((_, i) => ({ dataPath: `params_shard_${i}.bin` }));
        await model.put(new URL('tensor-cache.json', l.weightsUrl).href, Response.json({ records }));
        for (const [i, bytes] of l.shards.entries()) {
          if (i === l.missingShard) continue;
          await model.put(new URL(`params_shard_${i}.bin`, l.weightsUrl).href, new Response(new Uint8Array(bytes), { headers: { 'Content-Length': String(bytes) } }));
        }
        await model.put(new URL('tokenizer.json', l.weightsUrl).href, new Response('{"tok": 1}'));
        await (await caches.open('webllm/config')).put(new URL('mlc-chat-config.json', l.weightsUrl).href, Response.json({ tokenizer_files: ['tokenizer.json'] }));
        await (await caches.open('webllm/wasm')).put(l.modelLib, new Response(new Uint8Array(64)));
      };
      const urls = async (name: string) => (await (await caches.open(name)).keys()).map((k) => k.url);

      const empty = await window.l0.listCachedModels(opts);
      const workersWhenEmpty = w.workersStarted;
      await lay({ weightsUrl: a.weightsUrl, modelLib: a.modelLib, shards: [1000, 2000] });
      await lay({ weightsUrl: sharer.weightsUrl, modelLib: sharer.modelLib, shards: [3000] });
      await lay({ weightsUrl: partial.weightsUrl, modelLib: partial.modelLib, shards: [10, 20], missingShard: 1 });
      let t = performance.now();
      const listed = await window.l0.listCachedModels(opts);
      const firstListMs = performance.now() - t;
      t = performance.now();
      await window.l0.listCachedModels(opts);
      const secondListMs = performance.now() - t;
      const tensorJsonBytes = async (u: string) => (await (await caches.open('webllm/model')).match(new URL('tensor-cache.json', u).href))!.blob().then((b) => b.size);
      const expectedA = 1000 + 2000 + '{"tok": 1}'.length + (await tensorJsonBytes(a.weightsUrl));

      await window.l0.deleteCachedModel(a.id, opts);
      const afterFirst = { model: await urls('webllm/model'), config: await urls('webllm/config'), wasm: await urls('webllm/wasm'), listed: (await window.l0.listCachedModels(opts)).map((m) => m.id) };
      await window.l0.deleteCachedModel(sharer.id, opts);
      const afterSecond = { model: await urls('webllm/model'), wasm: await urls('webllm/wasm') };
      return {
        empty, workersWhenEmpty, workersTotal: w.workersStarted, listed, expectedA, firstListMs, secondListMs,
        a: { id: a.id, weightsUrl: a.weightsUrl, lib: a.modelLib }, sharer: { id: sharer.id, weightsUrl: sharer.weightsUrl }, partial: { id: partial.id, weightsUrl: partial.weightsUrl, lib: partial.modelLib },
        afterFirst, afterSecond,
      };
    }, registry);
    console.log(`listCachedModels through the WebLLM worker: ${r.firstListMs.toFixed(0)} ms with the worker starting, ${r.secondListMs.toFixed(0)} ms with it up`);
    // Nothing was ever downloaded: answered without starting WebLLM.
    expect(r.empty).toEqual([]);
    expect(r.workersWhenEmpty).toBe(0);
    // The half-downloaded model is not listed; sizes are what is stored under each model's folder.
    expect(r.listed.map((m) => m.id).sort()).toEqual([r.a.id, r.sharer.id].sort());
    expect(r.listed.find((m) => m.id === r.a.id)).toMatchObject({ sizeBytes: r.expectedA, sizeSource: 'measured' });
    // Deleting the first model removes its shards, tokenizer and config, not the library its sibling
    // uses. (WebLLM's deleteModelInCache leaves the small tensor-cache.json manifest; without its
    // shards the model no longer counts as cached.)
    expect(r.afterFirst.model.filter((u) => u.startsWith(r.a.weightsUrl))).toEqual([r.a.weightsUrl + 'tensor-cache.json']);
    expect(r.afterFirst.model.filter((u) => u.startsWith(r.sharer.weightsUrl)).length).toBe(3);
    expect(r.afterFirst.config.some((u) => u.startsWith(r.a.weightsUrl))).toBe(false);
    expect(r.afterFirst.wasm).toContain(r.a.lib);
    expect(r.afterFirst.listed).toEqual([r.sharer.id]);
    // Deleting the last user of the library removes it; the partial model's files are untouched.
    expect(r.afterSecond.wasm).not.toContain(r.a.lib);
    expect(r.afterSecond.wasm).toContain(r.partial.lib);
    expect(r.afterSecond.model.filter((u) => !u.startsWith(r.partial.weightsUrl) && !u.endsWith('/tensor-cache.json'))).toEqual([]);
    // Every query ran WebLLM in a worker, never in the page: one worker, kept between queries close together.
    expect(r.workersTotal).toBe(1);
    await page.close();
  });

  it('IndexedDB backend: the same queries go to WebLLM\'s IndexedDB stores', async () => {
    const page = await openWithWorkerCount();
    const r = await page.evaluate(async (opts) => {
      const models = window.l0.listModels(opts);
      const m = models.find((x) => x.id === 'Qwen3-0.6B-q4f32_1-MLC')!;
      const open = (scope: string) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(scope, 1);
          req.onupgradeneeded = () => req.result.createObjectStore('urls', { keyPath: 'url' });
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      const put = async (scope: string, url: string, data: unknown) => {
        const db = await open(scope);
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('urls', 'readwrite');
          tx.objectStore('urls').put({ url, data });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        db.close();
      };
      const keys = async (scope: string) => {
        const db = await open(scope);
        const all = await new Promise<string[]>((resolve) => {
          const req = db.transaction('urls').objectStore('urls').getAllKeys();
          req.onsuccess = () => resolve(req.result as string[]);
        });
        db.close();
        return all;
      };
      const w = new URL('tensor-cache.json', m.weightsUrl).href;
      await put('webllm/model', w, { records: [{ dataPath: 'params_shard_0.bin' }] });
      await put('webllm/model', new URL('params_shard_0.bin', m.weightsUrl).href, new ArrayBuffer(16));
      await put('webllm/model', new URL('tokenizer.json', m.weightsUrl).href, new ArrayBuffer(4));
      await put('webllm/config', new URL('mlc-chat-config.json', m.weightsUrl).href, {});
      await put('webllm/wasm', m.modelLib, new ArrayBuffer(8));
      const idbOpts = { ...opts, cacheBackend: 'indexeddb' as const };
      const listed = await window.l0.listCachedModels(idbOpts);
      const viaCacheApi = await window.l0.listCachedModels(opts);
      await window.l0.deleteCachedModel(m.id, idbOpts);
      return {
        id: m.id, listed, viaCacheApi,
        after: { model: await keys('webllm/model'), config: await keys('webllm/config'), wasm: await keys('webllm/wasm') },
        listedAfter: await window.l0.listCachedModels(idbOpts),
      };
    }, registry);
    expect(r.listed).toEqual([expect.objectContaining({ id: r.id, sizeSource: 'estimated' })]);
    expect(r.viaCacheApi).toEqual([]);
    // WebLLM deletes the shards and tokenizer (tensor-cache.json stays, as WebLLM leaves it).
    expect(r.after.model.filter((u) => !u.endsWith('tensor-cache.json'))).toEqual([]);
    expect(r.after.config).toEqual([]);
    expect(r.after.wasm).toEqual([]);
    expect(r.listedAfter).toEqual([]);
    await page.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Build: one copy of @mlc-ai/web-llm (6 MB), in the engine worker's chunk. A page-side import of
// the library (even a dynamic one, e.g. for a cache helper) would make the bundler emit a second.
// ---------------------------------------------------------------------------------------------

// Strings only WebLLM's bundle contains (its TVM runtime's wasm name, its worker handler class).
const WEBLLM_MARKERS = ['tvmjs_runtime.wasm', 'WebWorkerMLCEngineHandler'];

async function scripts(dir: string): Promise<{ file: string; bytes: number; webllm: boolean }[]> {
  const out: { file: string; bytes: number; webllm: boolean }[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !/\.m?js$/.test(e.name)) continue;
    const path = join(e.parentPath, e.name);
    const file = relative(dir, path);
    if (file.startsWith('pyodide/')) continue; // the Python runtime, not JS we bundle
    const text = await readFile(path, 'utf8');
    out.push({ file, bytes: text.length, webllm: WEBLLM_MARKERS.some((m) => text.includes(m)) });
  }
  return out;
}

function expectOneWebLLMChunk(files: { file: string; bytes: number; webllm: boolean }[]): void {
  const withLib = files.filter((f) => f.webllm);
  expect(withLib.map((f) => f.file)).toEqual([expect.stringMatching(/^assets\/webllm\.worker-[\w-]+\.js$/)]);
  expect(withLib[0].bytes).toBeGreaterThan(3_000_000);
  // Nothing else of library size: every other chunk is ours.
  expect(files.filter((f) => !f.webllm && f.bytes > 1_000_000).map((f) => f.file)).toEqual([]);
}

describe('build size: web-llm appears in exactly one emitted chunk', () => {
  it('in the app build (dist/)', async () => {
    expectOneWebLLMChunk(await scripts(snapshot));
  });

  it('in the library build (vite.lib.config.ts)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'l0-lib-build-'));
    try {
      await build({ configFile: 'vite.lib.config.ts', logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
      expectOneWebLLMChunk(await scripts(out));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
