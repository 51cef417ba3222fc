// WebLLMEngine's generation logic (stop strings, abort via interruptGenerate, KV-reuse accounting,
// device-lost recovery), fast and in Node. WebLLM's real runtime takes minutes per request on a
// CPU (test/e2e/webllm-runtime.test.ts runs it, with a random-weight model); here a stand-in engine
// follows WebLLM 0.2.86's semantics, read from its source: stop strings are cut from the stored
// message, a streamed delta may hold part of a stop string, `interruptGenerate` ends the stream
// with finish_reason 'abort', and prompt_tokens counts only the new part when the earlier
// messages equal its stored conversation and the last reply ended with 'stop'; completion_tokens
// counts decode steps only (one less than the tokens streamed).
// Every scenario runs twice: with the engine in the same thread, and through the page/worker
// protocol the app uses (webllm-worker-api.ts served on a real MessageChannel and read through the
// page's checking channel, so requests, chunks and errors are structured-cloned and checked as
// between the page and the worker).
import type * as Comlink from 'comlink';
import type { MLCEngine } from '@mlc-ai/web-llm';
import { afterAll, describe, expect, it } from 'vitest';
import { WebLLMEngine, type MLCEngineLike } from '../../src/llm/webllm';
import { connectWebLLMWorker, engineOverWorker, progressListener, type WebLLMWorkerRemote } from '../../src/llm/webllm-client';
import { serveWebLLMWorkerApi, type WebLLMLib, type WorkerSideEngine } from '../../src/llm/webllm-worker-api';
import type { WorkerEndpoint } from '../../src/channel/channel';
import { buildAppConfig } from '../../src/llm/models';
import type { ChatMessage } from '../../src/protocols';

// WebLLM's own engine has the shape WebLLMEngine drives (checked by the type checker).
export const mlcEngineFits: (e: MLCEngine) => MLCEngineLike = (e) => e;

interface Req {
  messages: ChatMessage[];
  stop?: string[];
  max_tokens?: number;
}

function standInEngine(replies: string[][], opts: { loseDeviceOnCall?: number; progressReports?: number } = {}) {
  let interrupted = false;
  let stored: { conv: ChatMessage[]; finish: string } | undefined;
  let lastMessage = '';
  let call = 0;
  const log = { reloads: 0, interrupts: 0, requests: [] as Req[], streamsClosedEarly: 0, appConfigs: [] as unknown[] };
  let onProgress: ((r: { progress: number; timeElapsed: number; text: string }) => void) | undefined;
  const words = (ms: ChatMessage[]) => ms.reduce((n, m) => n + m.content.split(/\s+/).filter(Boolean).length, 0);
  const engine = {
    chat: {
      completions: {
        create: async (req: Req) => {
          log.requests.push(req);
          const index = call++;
          if (opts.loseDeviceOnCall === index) {
            stored = undefined;
            throw 'Error: DeviceLostError: The WebGPU device was lost while loading the model.';
          }
          const history = req.messages.slice(0, -1);
          const reuse = stored && stored.finish === 'stop' && JSON.stringify(stored.conv) === JSON.stringify(history);
          const promptTokens = reuse ? words(req.messages.slice(-1)) : words(req.messages);
          const tokens = replies[index] ?? [];
          interrupted = false;
          return (async function* () {
            let out = '';
            let finish = 'stop';
            let completed = false;
            try {
              for (const t of tokens) {
                await new Promise((r) => setTimeout(r, 5));
                if (interrupted) {
                  finish = 'abort';
                  break;
                }
                const before = out.length;
                out += t;
                const cut = Math.min(...(req.stop ?? []).map((s) => out.indexOf(s)).filter((i) => i >= 0));
                if (Number.isFinite(cut)) {
                  out = out.slice(0, cut);
                  break;
                }
                yield { choices: [{ index: 0, delta: { content: out.slice(before) }, finish_reason: null }] };
              }
              lastMessage = out;
              stored = { conv: [...req.messages, { role: 'assistant', content: out }], finish };
              yield { choices: [{ index: 0, delta: {}, finish_reason: finish }] };
              yield {
                choices: [],
                usage: {
                  prompt_tokens: promptTokens,
                  // As WebLLM counts: decode steps only, not the token sampled at the end of prefill.
                  completion_tokens: Math.max(0, tokens.length - 1),
                  total_tokens: 0,
                  // WebLLM divides the decode steps by their time: 0 / 0 when the reply is one token.
                  extra: { prefill_tokens_per_s: 500, decode_tokens_per_s: tokens.length > 1 ? 40 : NaN, time_to_first_token_s: 0.1, e2e_latency_s: 1, time_per_output_token_s: tokens.length > 1 ? 0.025 : Infinity },
                },
              };
              completed = true;
            } finally {
              if (!completed) log.streamsClosedEarly++;
            }
          })();
        },
      },
    },
    interruptGenerate: () => {
      log.interrupts++;
      interrupted = true;
    },
    getMessage: async () => lastMessage,
    reload: async () => {
      log.reloads++;
      // WebLLM calls its progress callback synchronously while it loads.
      for (let i = 1; i <= (opts.progressReports ?? 0); i++) onProgress?.({ progress: i / (opts.progressReports ?? 1), timeElapsed: i, text: `Fetching param cache[${i}/${opts.progressReports}]: ${i}MB fetched.` });
    },
    setAppConfig: (c: unknown) => log.appConfigs.push(c),
    setInitProgressCallback: (cb: typeof onProgress) => {
      onProgress = cb;
    },
    unload: async () => undefined,
    runtimeStatsText: async () => 'prefill: 500 tok/s, decode: 40 tok/s',
  };
  return { engine: engine as unknown as MLCEngineLike, log };
}

const openPorts: MessagePort[] = [];
afterAll(() => openPorts.forEach((p) => p.close()));

/** Serves the API on one end of a MessageChannel, as webllm.worker.ts does in the worker; the page's client reads the other. */
function serve(lib: WebLLMLib): WebLLMWorkerRemote {
  const { port1, port2 } = new MessageChannel();
  openPorts.push(port1, port2);
  serveWebLLMWorkerApi(lib, port1 as unknown as Comlink.Endpoint);
  return connectWebLLMWorker(port2 as unknown as WorkerEndpoint);
}

const noCache = {
  hasModelInCache: async () => false,
  deleteModelInCache: async () => undefined,
  deleteChatConfigInCache: async () => undefined,
  deleteModelWasmInCache: async () => undefined,
};

/** A WebLLM module whose MLCEngine is `engine`. */
function libWith(engine: MLCEngineLike, made = { engines: 0 }): WebLLMLib {
  return {
    ...noCache,
    MLCEngine: class {
      constructor() {
        made.engines++;
        return engine as unknown as WorkerSideEngine;
      }
    } as unknown as WebLLMLib['MLCEngine'],
  };
}

type Transport = (engine: MLCEngineLike) => Promise<MLCEngineLike>;
const transports: [string, Transport][] = [
  ['in the same thread', async (engine) => engine],
  [
    'through the worker protocol',
    async (engine) => {
      const api = serve(libWith(engine));
      await api.reload('m', buildAppConfig());
      return engineOverWorker(api);
    },
  ],
];

const sys: ChatMessage = { role: 'system', content: 'You are NB-Agent and you write code' };
const task: ChatMessage = { role: 'user', content: 'sum the first ten primes' };

describe.each(transports)('WebLLMEngine generation, engine %s', (_name, through) => {
  it('streams, and returns the exact text WebLLM stored when a stop string was split across tokens', async () => {
    const { engine } = standInEngine([['<think>plan</think>', '<code>x = 1', '</co', 'de>', 'junk']]);
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'L0-4B-q4f16_1-MLC' });
    const deltas: string[] = [];
    const r = await llm.generate([sys, task], { stop: ['</code>'], onToken: (d) => deltas.push(d) });
    expect(r.text).toBe('<think>plan</think><code>x = 1');
    expect(r.finishReason).toBe('stop');
    expect(deltas.join('')).not.toContain('</co');
    expect(llm.lastStats).toMatchObject({ prefillTokensPerS: 500, decodeTokensPerS: 40 });
  });

  it('a one-token reply (no decode step: WebLLM reports NaN tok/s) arrives whole; only that figure is left out', async () => {
    const { engine } = standInEngine([['Yes']]);
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'L0-4B-q4f16_1-MLC' });
    const r = await llm.generate([sys, task], { maxTokens: 1 });
    expect(r.text).toBe('Yes');
    expect(llm.lastStats).toEqual({ prefillTokensPerS: 500, decodeTokensPerS: undefined, timeToFirstTokenS: 0.1, e2eLatencyS: 1 });
  });

  it('abort calls interruptGenerate and resolves with the text so far', async () => {
    const { engine, log } = standInEngine([Array.from({ length: 50 }, (_, i) => `t${i} `)]);
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'm' });
    const ctl = new AbortController();
    let n = 0;
    const r = await llm.generate([sys, task], { signal: ctl.signal, onToken: () => { if (++n === 3) ctl.abort(); } });
    expect(log.interrupts).toBe(1);
    expect(r.finishReason).toBe('abort');
    expect(r.text).toBe('t0 t1 t2 ');
  });

  it('reports KV reuse when earlier turns come back byte-identical, and a full prefill otherwise', async () => {
    const { engine } = standInEngine([['<code>a()'], ['<code>b()'], ['<code>c()']]);
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'm' });
    const r1 = await llm.generate([sys, task], { stop: ['</code>'] });
    expect(r1.usage).toEqual({ promptTokens: 12, completionTokens: 1, prefillTokens: 12 });
    const obs: ChatMessage = { role: 'user', content: '<output>17</output> notepad: todo' };
    const r2 = await llm.generate([sys, task, { role: 'assistant', content: r1.text }, obs], { stop: ['</code>'] });
    expect(r2.usage.prefillTokens).toBe(3);
    expect(r2.usage.promptTokens).toBe(12 + 1 + 3);
    // A changed history (e.g. after a memory collapse) is prefilled in full.
    const r3 = await llm.generate([sys, { role: 'user', content: 'new task' }], { stop: ['</code>'] });
    expect(r3.usage.prefillTokens).toBe(r3.usage.promptTokens);
  });

  it('serialises concurrent calls', async () => {
    const { engine, log } = standInEngine([['a', 'b'], ['c', 'd']]);
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'm' });
    const [a, b] = await Promise.all([llm.generate([task]), llm.generate([task])]);
    expect([a.text, b.text]).toEqual(['ab', 'cd']);
    expect(log.requests.length).toBe(2);
  });

  it('recovers from a lost device by reloading the model, telling the caller, and restarting the step', async () => {
    const { engine, log } = standInEngine([[], ['<code>after reload']], { loseDeviceOnCall: 0 });
    const notices: string[] = [];
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'm', onRecovered: (i) => notices.push(i.message) });
    const loadedWith = log.reloads; // the worker protocol loads the model first
    const r = await llm.generate([sys, task]);
    expect(log.reloads - loadedWith).toBe(1);
    expect(notices[0]).toMatch(/device was lost; the model was reloaded/);
    expect(r.text).toBe('<code>after reload');
  });

  it('other engine failures surface as classified L0Errors', async () => {
    const engine = { ...standInEngine([]).engine, chat: { completions: { create: async () => { throw "QuotaExceededError: Quota exceeded."; } } } } as unknown as MLCEngineLike;
    const llm = WebLLMEngine.fromLoadedEngine(await through(engine), { modelId: 'm' });
    await expect(llm.generate([task])).rejects.toMatchObject({ name: 'L0Error', kind: 'quota' });
  });
});

describe('the page/worker protocol (webllm-worker-api.ts)', () => {
  it('delivers every load progress report, in order, before the load resolves', async () => {
    const { engine, log } = standInEngine([], { progressReports: 5 });
    const api = serve(libWith(engine));
    const seen: number[] = [];
    await api.reload('L0-4B-q4f16_1-MLC', buildAppConfig({ modelIds: ['L0-4B-q4f16_1-MLC'] }), progressListener((r) => seen.push(r.progress)));
    expect(seen).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(log.appConfigs).toHaveLength(1);
    expect((log.appConfigs[0] as { model_list: { model_id: string }[] }).model_list.map((m) => m.model_id)).toEqual(['L0-4B-q4f16_1-MLC']);
    // A reload after a lost device keeps the registry and the listener.
    await engineOverWorker(api).reload('L0-4B-q4f16_1-MLC');
    expect(seen).toHaveLength(10);
    expect(log.appConfigs).toHaveLength(1);
  });

  it('a reader that stops early closes the stream in the worker', async () => {
    const { engine, log } = standInEngine([['a', 'b', 'c', 'd']]);
    const api = serve(libWith(engine));
    await api.reload('m');
    const stream = await engineOverWorker(api).chat.completions.create({ messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.content).toBe('a');
      break;
    }
    await expect.poll(() => log.streamsClosedEarly).toBe(1);
  });

  it('errors keep their name and message across the boundary; uncloneable ones become text', async () => {
    class DeviceLostError extends Error {
      override name = 'DeviceLostError';
    }
    const failing = (thrown: unknown) => {
      const { engine } = standInEngine([]);
      return { ...engine, chat: { completions: { create: async () => { throw thrown; } } } } as unknown as MLCEngineLike;
    };
    const run = async (thrown: unknown) => {
      const api = serve(libWith(failing(thrown)));
      await api.reload('m');
      const llm = WebLLMEngine.fromLoadedEngine(engineOverWorker(api), { modelId: 'm' });
      return llm.generate([task]).then(() => null, (e: unknown) => e);
    };
    // A lost device is recovered by one reload; failing the same way again, it is reported as data.
    expect(await run(new DeviceLostError('The WebGPU device was lost.'))).toMatchObject({ kind: 'device-lost' });
    expect(await run({ toString: () => 'GPUOutOfMemoryError: Failed to allocate buffer', fn: () => 1 })).toMatchObject({ kind: 'gpu-oom' });
  });

  it('cache queries use WebLLM\'s helpers without creating an engine', async () => {
    const made = { engines: 0 };
    const calls: string[] = [];
    const lib: WebLLMLib = {
      ...libWith(standInEngine([]).engine, made),
      hasModelInCache: async (id) => {
        if (id === 'broken') throw new Error('IndexedDB failed');
        return id === 'cached';
      },
      deleteModelInCache: async (id) => void calls.push(`model ${id}`),
      deleteChatConfigInCache: async (id) => void calls.push(`config ${id}`),
      deleteModelWasmInCache: async (id) => void calls.push(`wasm ${id}`),
    };
    const api = serve(lib);
    const appConfig = buildAppConfig();
    expect(await api.hasModelsInCache(['cached', 'absent', 'broken'], appConfig)).toEqual([true, false, false]);
    await api.deleteModelFromCache('a', appConfig, { wasm: false });
    await api.deleteModelFromCache('b', appConfig, { wasm: true });
    expect(calls).toEqual(['model a', 'config a', 'model b', 'config b', 'wasm b']);
    expect(made.engines).toBe(0);
    await expect(api.getMessage()).rejects.toThrow(/no model was loaded/);
  });
});
