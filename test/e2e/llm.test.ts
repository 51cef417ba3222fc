// Model engines in real Chromium, through the built harness page (window.l0 = the library):
// WebGPU detection with and without the software adapter, the OpenAI client against a local
// server (streaming, abort, CORS failure, unreachable server), and WebLLMEngine's load boundary
// (a 404 weights server -> 'network', a cancelled load -> 'aborted') without real weights.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
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
    // A weights host that has nothing (404), or that never answers for /hang/.
    weights = createServer((req, res) => {
      weightRequests.push(req.url ?? '');
      const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
      if ((req.url ?? '').startsWith('/hang/')) {
        res.on('close', () => hangClosed.push(req.url ?? '')); // the browser dropped the request
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

  it('first page load does not fetch @mlc-ai/web-llm; creating an engine does', async () => {
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
        await window.l0.WebLLMEngine.create({ modelId: 'L0-4B-q4f32_1-MLC', registry: { l0WeightsBase: base + '/missing/' } });
        return null;
      } catch (e) {
        return window.l0.toErrorData(e);
      }
    }, weightsOrigin);
    expect(err?.kind).toBe('network');
    expect(err?.message).toMatch(/Downloading the model failed: the weights host answered 404/);
    expect(err?.detail?.status).toBe(404);
    expect(weightRequests.some((u) => u === '/missing/L0-4B-q4f32_1-MLC/resolve/main/mlc-chat-config.json')).toBe(true);
    expect(scripts.some((u) => u.includes('webllm.worker'))).toBe(true);
    const later = scripts.filter((u) => !initial.has(u));
    expect(Math.max(...(await sizeOf(later)))).toBeGreaterThan(3_000_000);
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
    expect(r.err?.kind).toBe('network');
  });

  it('cancelling a load in flight rejects with "aborted" and terminates the worker', async () => {
    const page = await openHarness(browser);
    await page.evaluate((base) => {
      const w = window as unknown as { ctl: AbortController; load: Promise<unknown> };
      w.ctl = new AbortController();
      w.load = window.l0.WebLLMEngine.create({
        modelId: 'Qwen3-0.6B-q4f32_1-MLC',
        registry: { fallbackWeightsBase: base + '/hang/' },
        signal: w.ctl.signal,
        detect: false,
      }).then(() => null, (e) => window.l0.toErrorData(e));
    }, weightsOrigin);
    // Cancel while the download is in flight (the weights host never answers).
    const hung = () => weightRequests.some((u) => u.startsWith('/hang/mlc-ai/Qwen3-0.6B-q4f32_1-MLC/resolve/main/'));
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
    expect(shown.error?.kind).toBe('network');
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
