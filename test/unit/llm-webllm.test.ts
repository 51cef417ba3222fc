// WebLLMEngine's generation logic (stop strings, abort via interruptGenerate, KV-reuse accounting,
// device-lost recovery). Real WebLLM needs WebGPU and gigabytes of weights, which this machine
// lacks (bench/webllm.html measures the real thing on a GPU); here a stand-in engine follows
// WebLLM 0.2.86's documented semantics, read from its source: stop strings are cut from the stored
// message, a streamed delta may hold part of a stop string, `interruptGenerate` ends the stream
// with finish_reason 'abort', and prompt_tokens counts only the new part when the earlier
// messages equal its stored conversation and the last reply ended with 'stop'.
import { describe, expect, it } from 'vitest';
import { WebLLMEngine, type MLCEngineLike } from '../../src/llm/webllm';
import type { ChatMessage } from '../../src/protocols';

interface Req {
  messages: ChatMessage[];
  stop?: string[];
  max_tokens?: number;
}

function standInEngine(replies: string[][], opts: { loseDeviceOnCall?: number } = {}) {
  let interrupted = false;
  let stored: { conv: ChatMessage[]; finish: string } | undefined;
  let lastMessage = '';
  let call = 0;
  const log = { reloads: 0, interrupts: 0, requests: [] as Req[] };
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
                completion_tokens: tokens.length,
                total_tokens: 0,
                extra: { prefill_tokens_per_s: 500, decode_tokens_per_s: 40, time_to_first_token_s: 0.1, e2e_latency_s: 1, time_per_output_token_s: 0.025 },
              },
            };
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
    },
    unload: async () => undefined,
    runtimeStatsText: async () => 'prefill: 500 tok/s, decode: 40 tok/s',
  };
  return { engine: engine as unknown as MLCEngineLike, log };
}

const sys: ChatMessage = { role: 'system', content: 'You are NB-Agent and you write code' };
const task: ChatMessage = { role: 'user', content: 'sum the first ten primes' };

describe('WebLLMEngine generation', () => {
  it('streams, and returns the exact text WebLLM stored when a stop string was split across tokens', async () => {
    const { engine } = standInEngine([['<think>plan</think>', '<code>x = 1', '</co', 'de>', 'junk']]);
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'L0-4B-q4f16_1-MLC' });
    const deltas: string[] = [];
    const r = await llm.generate([sys, task], { stop: ['</code>'], onToken: (d) => deltas.push(d) });
    expect(r.text).toBe('<think>plan</think><code>x = 1');
    expect(r.finishReason).toBe('stop');
    expect(deltas.join('')).not.toContain('</co');
    expect(llm.lastStats).toMatchObject({ prefillTokensPerS: 500, decodeTokensPerS: 40 });
  });

  it('abort calls interruptGenerate and resolves with the text so far', async () => {
    const { engine, log } = standInEngine([Array.from({ length: 50 }, (_, i) => `t${i} `)]);
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'm' });
    const ctl = new AbortController();
    let n = 0;
    const r = await llm.generate([sys, task], { signal: ctl.signal, onToken: () => { if (++n === 3) ctl.abort(); } });
    expect(log.interrupts).toBe(1);
    expect(r.finishReason).toBe('abort');
    expect(r.text).toBe('t0 t1 t2 ');
  });

  it('reports KV reuse when earlier turns come back byte-identical, and a full prefill otherwise', async () => {
    const { engine } = standInEngine([['<code>a()'], ['<code>b()'], ['<code>c()']]);
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'm' });
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
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'm' });
    const [a, b] = await Promise.all([llm.generate([task]), llm.generate([task])]);
    expect([a.text, b.text]).toEqual(['ab', 'cd']);
    expect(log.requests.length).toBe(2);
  });

  it('recovers from a lost device by reloading the model, telling the caller, and restarting the step', async () => {
    const { engine, log } = standInEngine([[], ['<code>after reload']], { loseDeviceOnCall: 0 });
    const notices: string[] = [];
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'm', onRecovered: (i) => notices.push(i.message) });
    const r = await llm.generate([sys, task]);
    expect(log.reloads).toBe(1);
    expect(notices[0]).toMatch(/device was lost; the model was reloaded/);
    expect(r.text).toBe('<code>after reload');
  });

  it('other engine failures surface as classified L0Errors', async () => {
    const engine = { ...standInEngine([]).engine, chat: { completions: { create: async () => { throw "QuotaExceededError: Quota exceeded."; } } } } as unknown as MLCEngineLike;
    const llm = WebLLMEngine.fromLoadedEngine(engine, { modelId: 'm' });
    await expect(llm.generate([task])).rejects.toMatchObject({ name: 'L0Error', kind: 'quota' });
  });
});
