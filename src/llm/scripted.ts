/**
 * ScriptedLLM: a deterministic model for tests, demos and benchmarks.
 *
 * It answers each `generate` call with the next text of its script (or with what a function
 * computes from the conversation) and behaves like a streaming engine:
 * - Tokens: one token is `chunkSize` characters (default 4). `countTokens(text)` is
 *   `ceil(text.length / chunkSize)`; usage and `maxTokens` use the same unit.
 * - Streaming: the text goes out through `onToken` one token at a time, `tokenDelayMs` apart
 *   (default 0: no timer, just a microtask between tokens).
 * - Stop strings: generation ends right before the earliest stop string in the scripted text
 *   (finishReason 'stop'); the stop string itself is not returned unless `keepStop` is set
 *   (a real engine may do either). A text without a stop string ends with 'stop' too (EOS).
 * - `maxTokens`: after that many tokens it ends with finishReason 'length'.
 * - Abort: the promise resolves quickly (also mid-delay) with finishReason 'abort' and the text so far.
 * - Script exhausted: `generate` rejects with an L0Error of kind 'internal' (never invents text).
 * - `usage.prefillTokens` simulates a KV cache: the prompt tokens after the longest common
 *   prefix with the previous call's prompt+output (rendered with a simple chat template).
 */
import { L0Error, type ChatMessage, type GenerateOptions, type GenerateResult, type LLM } from '../protocols';

export type Script = string[] | ((messages: ChatMessage[], callIndex: number) => string);

export interface ScriptedLLMOptions {
  id?: string;
  contextWindow?: number;
  /** Delay between tokens (ms). Default 0. */
  tokenDelayMs?: number;
  /** Characters per token. Default 4. */
  chunkSize?: number;
  /** Return the matched stop string at the end of `text`, as some engines do. Default false. */
  keepStop?: boolean;
}

export class ScriptedLLM implements LLM {
  readonly id: string;
  readonly contextWindow?: number;
  /** Every conversation this model was asked to continue, in order (copies). */
  readonly calls: ChatMessage[][] = [];
  private readonly chunkSize: number;
  private readonly tokenDelayMs: number;
  private readonly keepStop: boolean;
  private lastSequence = '';

  constructor(
    private readonly script: Script,
    options: ScriptedLLMOptions = {},
  ) {
    this.id = options.id ?? 'scripted';
    this.contextWindow = options.contextWindow;
    this.chunkSize = Math.max(1, options.chunkSize ?? 4);
    this.tokenDelayMs = Math.max(0, options.tokenDelayMs ?? 0);
    this.keepStop = options.keepStop ?? false;
  }

  countTokens(text: string): number {
    return Math.ceil(text.length / this.chunkSize);
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const callIndex = this.calls.length;
    this.calls.push(messages.map((m) => ({ ...m })));
    const full = this.nextText(messages, callIndex);
    const target = cutAtStop(full, options.stop ?? [], this.keepStop);

    const prompt = renderChat(messages);
    const promptTokens = this.countTokens(prompt);
    const prefillTokens = this.countTokens(prompt.slice(commonPrefixLength(prompt, this.lastSequence)));
    const usage = (completionTokens: number) => ({ promptTokens, completionTokens, prefillTokens });

    const maxTokens = options.maxTokens ?? Infinity;
    let out = '';
    let tokens = 0;
    for (let i = 0; i < target.length; i += this.chunkSize) {
      if (options.signal?.aborted) return this.finish(prompt, out, 'abort', usage(tokens));
      if (tokens >= maxTokens) return this.finish(prompt, out, 'length', usage(tokens));
      const aborted = await pause(this.tokenDelayMs, options.signal);
      if (aborted) return this.finish(prompt, out, 'abort', usage(tokens));
      const delta = target.slice(i, i + this.chunkSize);
      out += delta;
      tokens++;
      options.onToken?.(delta);
    }
    // Both a matched stop string and the end of the scripted text (EOS) finish with 'stop'.
    return this.finish(prompt, out, 'stop', usage(tokens));
  }

  private nextText(messages: ChatMessage[], callIndex: number): string {
    if (typeof this.script === 'function') return this.script(messages, callIndex);
    const text = this.script[callIndex];
    if (text === undefined) {
      throw new L0Error({
        kind: 'internal',
        message: `ScriptedLLM: the script has ${this.script.length} responses and call ${callIndex + 1} asked for another.`,
        detail: { callIndex, scriptLength: this.script.length },
      });
    }
    return text;
  }

  private finish(prompt: string, text: string, finishReason: GenerateResult['finishReason'], usage: GenerateResult['usage']): GenerateResult {
    this.lastSequence = prompt + text;
    return { text, finishReason, usage };
  }
}

/** Cuts `text` before the earliest stop string (keeping it when `keep`). */
function cutAtStop(text: string, stop: string[], keep: boolean): string {
  let at = -1;
  let hit = '';
  for (const s of stop) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      hit = s;
    }
  }
  return at < 0 ? text : text.slice(0, at) + (keep ? hit : '');
}

/** A ChatML-like rendering, only used to simulate KV-cache reuse. */
function renderChat(messages: ChatMessage[]): string {
  return messages.map((m) => `<|${m.role}|>\n${m.content}<|end|>\n`).join('') + '<|assistant|>\n';
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Waits `ms` (or a microtask when 0); resolves true as soon as `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  if (ms <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
