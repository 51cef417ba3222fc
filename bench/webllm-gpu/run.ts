// Prefill and decode speed of the random-weight Qwen2-0.5B model (q4f32) through WebLLM's real
// runtime on a GPU, in Node: Dawn's WebGPU (npm `webgpu`) stands in for the browser's
// `navigator.gpu`, web-llm 0.2.79 runs the committed model library, and the project's own
// WebLLMEngine drives it (the same engine as in the page, minus the worker).
//
// Built into one file by bench/webllm-gpu/prepare.sh and run on a machine with no network, no npm
// and no browser (the GPU machine); see docs/performance.md, "Model side". Locally it runs on a
// CPU through SwiftShader's Vulkan driver (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).
//
//   node run.mjs --lib LIB.wasm --tokenizer DIR --work DIR [--json FILE] [--prompt 64,1000]
//                [--decode 128] [--repeats 3] [--warmup 1]
import 'fake-indexeddb/auto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';
import { MLCEngine, type AppConfig, type InitProgressReport } from 'web-llm-0279';
import { WebLLMEngine, type MLCEngineLike } from '../../src/llm/webllm';
import { writeRandomMlcModel } from '../../test/support/mlc-random-model';

const { values: args } = parseArgs({
  options: {
    lib: { type: 'string' },
    tokenizer: { type: 'string' },
    work: { type: 'string', default: '/tmp/webllm-gpu-bench' },
    json: { type: 'string' },
    prompt: { type: 'string', default: '64,1000' },
    decode: { type: 'string', default: '128' },
    repeats: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
  },
});
if (!args.lib || !args.tokenizer) throw new Error('usage: run.mjs --lib LIB.wasm --tokenizer DIR [--work DIR] [--json FILE]');
const promptSizes = args.prompt.split(',').map(Number);
const decodeTokens = Number(args.decode);
const repeats = Number(args.repeats);
const MODEL_ID = 'qwen2-0.5b-random-q4f32_1';
const log = (...a: unknown[]) => console.log(`[${(performance.now() / 1000).toFixed(1)} s]`, ...a);

// ---- the model folder and a local server for it (WebLLM fetches over HTTP) ----
const modelDir = join(args.work, 'model/resolve/main');
await rm(args.work, { recursive: true, force: true });
await mkdir(args.work, { recursive: true });
const t0 = performance.now();
const model = await writeRandomMlcModel({ library: args.lib, tokenizerDir: args.tokenizer, outDir: modelDir, seed: 1234 });
log(`wrote ${model.shards} shards, ${(model.paramBytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const lib = await readFile(args.lib);
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  try {
    const body = path === '/lib.wasm' ? lib : await readFile(join(modelDir, path.replace(/^\/model\/resolve\/main\//, '')));
    res.writeHead(200, { 'Content-Length': String(body.length) }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// WebLLM reads `location` (for relative model URLs: ours are absolute) and so do the Emscripten
// runtimes it bundles, which under Node need it to be a file: URL to find their directory.
Object.defineProperty(globalThis, 'location', { value: pathToFileURL(`${args.work}/`), configurable: true });

// ---- WebGPU from Dawn, where WebLLM looks for it ----
Object.assign(globalThis, globals);
const gpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node', hardwareConcurrency: 16 }, configurable: true });
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('no WebGPU adapter (is a Vulkan driver installed and VK_DRIVER_FILES/VK_ICD_FILENAMES set?)');
const adapterInfo = { vendor: adapter.info.vendor, architecture: adapter.info.architecture, device: adapter.info.device, description: adapter.info.description };
log('adapter', adapterInfo);

// ---- load ----
const appConfig = {
  model_list: [{ model: `${origin}/model/resolve/main/`, model_id: MODEL_ID, model_lib: `${origin}/lib.wasm`, overrides: { context_window_size: 4096 } }],
  // Node has no Cache API: fake-indexeddb holds WebLLM's cache for this process.
  useIndexedDBCache: true,
} as AppConfig;
const tLoad = performance.now();
let lastReport = '';
const mlc = new MLCEngine({
  appConfig,
  logLevel: 'WARN',
  initProgressCallback: (r: InitProgressReport) => {
    const head = r.text.split(':')[0];
    if (head !== lastReport) log(r.text.slice(0, 100));
    lastReport = head;
  },
});
await mlc.reload(MODEL_ID);
const loadMs = performance.now() - tLoad;
log(`loaded in ${(loadMs / 1000).toFixed(1)} s`);
const engine = WebLLMEngine.fromLoadedEngine(mlc as unknown as MLCEngineLike, { modelId: MODEL_ID });

// ---- measure ----
// Words the tokenizer keeps as one token each ("a b c …" with distinct words): the prompt size is
// then set by the word count; the exact count comes back in the usage figures.
const WORDS = 'time year people way day man thing woman life child world school state family student group country problem hand part place case week company system program question work government number night point home water room mother area money story fact month lot right study book eye job word business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea kid body information back parent face others level office door health person art war history party result change morning reason research girl guy moment air teacher force education'.split(' ');
const promptOf = (n: number, salt: number) => Array.from({ length: n }, (_, i) => WORDS[(i * 7 + salt) % WORDS.length]).join(' ');

interface Run {
  promptWords: number;
  promptTokens: number;
  completionTokens: number;
  finishReason: string;
  prefillTokensPerS?: number;
  decodeTokensPerS?: number;
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Decode speed seen by the caller: tokens after the first over the time after the first. */
  decodeTokensPerSWall?: number;
}
const runs: Run[] = [];
let salt = 0;
// Warm-up requests (the first use of each kernel), not reported.
for (let i = 0; i < Number(args.warmup); i++) await engine.generate([{ role: 'user', content: promptOf(16, salt++) }], { maxTokens: 4, temperature: 0 });
for (const words of promptSizes) {
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    let first = 0;
    let tokens = 0;
    // A new first message each time: a cold KV cache, the whole prompt prefilled.
    const r = await engine.generate([{ role: 'user', content: promptOf(words, salt++) }], {
      maxTokens: decodeTokens,
      temperature: 0,
      onToken: () => {
        tokens++;
        if (!first) first = performance.now();
      },
    });
    const end = performance.now();
    const run: Run = {
      promptWords: words,
      promptTokens: r.usage.promptTokens,
      completionTokens: r.usage.completionTokens,
      finishReason: r.finishReason,
      prefillTokensPerS: engine.lastStats.prefillTokensPerS,
      decodeTokensPerS: engine.lastStats.decodeTokensPerS,
      timeToFirstTokenMs: Math.round(first - t),
      totalMs: Math.round(end - t),
      decodeTokensPerSWall: tokens > 1 ? (r.usage.completionTokens - 1) / ((end - first) / 1000) : undefined,
    };
    runs.push(run);
    log(JSON.stringify(run));
  }
}
await mlc.unload();
server.close();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const figures = promptSizes.flatMap((words) => {
  const mine = runs.filter((r) => r.promptWords === words);
  const tokens = median(mine.map((r) => r.promptTokens));
  const decode = median(mine.map((r) => r.decodeTokensPerS ?? NaN));
  const decodeWall = median(mine.map((r) => r.decodeTokensPerSWall ?? NaN));
  return [
    { name: `prefill, ${tokens}-token prompt`, value: +median(mine.map((r) => r.prefillTokensPerS ?? NaN)).toFixed(1), unit: 'tokens/s' },
    {
      name: `decode, after a ${tokens}-token prompt (through WebLLMEngine)`,
      value: +decodeWall.toFixed(1),
      unit: 'tokens/s',
      // Same run: WebLLM's own count of the same decode steps; the ratio is our engine's overhead.
      baseline: { name: "web-llm's own decode rate", value: +decode.toFixed(1) },
      ratio: +(decodeWall / decode).toFixed(3),
    },
  ];
});
const result = {
  date: new Date().toISOString(),
  environment: { summary: `Node ${process.version}, Dawn (npm webgpu), ${adapterInfo.description || adapterInfo.device || adapterInfo.vendor}`, adapter: adapterInfo, webllm: '0.2.79', model: 'Qwen2-0.5B q4f32_1 shapes, random weights', modelBytes: model.paramBytes },
  loadMs: Math.round(loadMs),
  decodeTokensRequested: decodeTokens,
  runs,
  figures,
};
console.log(JSON.stringify(result, null, 2));
if (args.json) await writeFile(args.json, JSON.stringify(result, null, 2) + '\n');
// Dawn keeps the process alive otherwise.
process.exit(0);
