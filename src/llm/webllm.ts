// WebLLMEngine: the L0 model on the visitor's GPU. WebLLM runs in its own module worker, the only
// place `@mlc-ai/web-llm` is loaded (the page talks to it through webllm-worker-api.ts), and only
// when an engine is created, so the page's first load stays small. Loading reports progress, can
// be cancelled, and fails with classified ErrorData; generation streams, honours stop strings,
// aborts through interruptGenerate, reuses the KV cache when the caller passes earlier turns back
// unchanged, and recovers from a lost device by reloading the model.
import type { ChatCompletionChunk } from '@mlc-ai/web-llm';
import {
  L0Error,
  type ChatMessage,
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  type LLM,
  type LoadProgress,
  type Usage,
  type ErrorData,
} from '../protocols';
import { classifyWebLLMError } from './errors';
import { DEFAULT_CONTEXT_WINDOW, buildAppConfig, findModel, resolveModelId, type AppConfigOptions, type CacheBackend, type ModelInfo } from './models';
import { parseInitProgress } from './progress';
import { StopStringFilter } from './stop';
import { checkWeights, type WeightsReport } from './weights-check';
import { detectWebGPU, type WebGPUReport } from './webgpu';
import { connectWebLLMWorker, engineOverWorker, progressListener, spawnWebLLMWorker, type MLCEngineLike } from './webllm-client';

export type { MLCEngineLike } from './webllm-client';

export interface WebLLMEngineOptions {
  modelId: string;
  /** KV-cache size in tokens (default 4,096). */
  contextWindow?: number;
  /** Weights locations, library base (see models.ts). */
  registry?: AppConfigOptions;
  cacheBackend?: CacheBackend;
  onProgress?: (p: LoadProgress) => void;
  /** Aborting cancels the download/load (the worker is terminated). */
  signal?: AbortSignal;
  /** Run WebGPU detection before loading (default true). Unsupported -> 'unsupported' error, no download. */
  detect?: boolean;
  /**
   * Check the weights folder before loading (default true): a folder that is missing, serves HTML,
   * lacks CORS or holds another model fails here with a specific error, before any download.
   */
  checkWeights?: boolean;
  /** Told when the engine recovered from a lost GPU device by reloading the model. */
  onRecovered?: (info: { reason: 'device-lost'; message: string }) => void;
  /** Creates the worker (default: this package's webllm.worker; a replacement must serve webllm-worker-api.ts). */
  createWorker?: () => Worker;
}

/** Speed figures WebLLM reported for the last generation. */
export interface WebLLMStats {
  prefillTokensPerS?: number;
  decodeTokensPerS?: number;
  timeToFirstTokenS?: number;
  e2eLatencyS?: number;
}

const MiB = 2 ** 20;

/** Runs the weights check with progress; throws its error as an L0Error (nothing was downloaded). */
async function checkBeforeLoad(record: ModelInfo, contextWindow: number, opts: WebLLMEngineOptions): Promise<WeightsReport> {
  opts.onProgress?.({ phase: 'check', message: `Checking the weights at ${record.weightsUrl}…` });
  const check = await checkWeights(record.weightsUrl, record, { signal: opts.signal, contextWindow });
  if (!check.ok) {
    if (check.error.kind === 'aborted') throw new L0Error({ kind: 'aborted', message: 'Model loading was cancelled.' });
    throw new L0Error(check.error);
  }
  const size = `${Math.round(check.downloadBytes / MiB)} MB`;
  const vram = `${(check.vramMB / 1024).toFixed(1)} GB`;
  opts.onProgress?.({
    phase: 'check',
    fraction: 0,
    loadedBytes: 0,
    totalBytes: check.downloadBytes,
    message: check.source === 'network'
      ? `${record.label}: ${size} of weights to download (unless already in this browser's cache); needs about ${vram} of GPU memory.`
      : `${record.label}: loading ${size} of weights from this browser's cache (the host is not reachable now); needs about ${vram} of GPU memory.`,
  });
  return check;
}

/**
 * WebLLM's download errors rarely say why (a Cache API `add` just "failed"). The weights check,
 * run again, tells a vanished folder, a lost CORS header or an unreachable host apart.
 */
async function diagnoseDownload(record: ModelInfo, original: ErrorData): Promise<L0Error> {
  const check = await checkWeights(record.weightsUrl, record, { useBrowserCache: false });
  if (!check.ok) return new L0Error({ ...check.error, detail: { ...original.detail, ...check.error.detail } });
  return new L0Error({ ...original, detail: { ...original.detail, url: record.weightsUrl } });
}

const sameMessages = (a: ChatMessage[], b: ChatMessage[]) =>
  a.length === b.length && a.every((m, i) => m.role === b[i].role && m.content === b[i].content);

export class WebLLMEngine implements LLM {
  readonly id: string;
  readonly contextWindow: number;
  /** The detection report the load was based on (absent with `detect: false`). */
  readonly webgpu?: WebGPUReport;
  lastStats: WebLLMStats = {};

  private engine: MLCEngineLike;
  private worker?: Worker;
  private readonly opts: WebLLMEngineOptions;
  private disposed = false;
  private busy: Promise<unknown> = Promise.resolve();
  /** The conversation WebLLM holds in its KV cache after the last call (for usage accounting). */
  private lastConversation?: { messages: ChatMessage[]; promptTokens: number; finish: FinishReason };

  private constructor(args: {
    id: string;
    contextWindow: number;
    engine: MLCEngineLike;
    worker?: Worker;
    opts: WebLLMEngineOptions;
    webgpu?: WebGPUReport;
  }) {
    this.id = args.id;
    this.contextWindow = args.contextWindow;
    this.engine = args.engine;
    this.worker = args.worker;
    this.opts = args.opts;
    this.webgpu = args.webgpu;
  }

  /** Detects WebGPU, then downloads (or loads from cache) and compiles the model in a worker. */
  static async create(opts: WebLLMEngineOptions): Promise<WebLLMEngine> {
    const { onProgress, signal } = opts;
    const contextWindow = opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
    const cancelled = () => new L0Error({ kind: 'aborted', message: 'Model loading was cancelled.' });
    if (signal?.aborted) throw cancelled();

    let modelId = opts.modelId;
    let webgpu: WebGPUReport | undefined;
    if (opts.detect ?? true) {
      onProgress?.({ phase: 'detect', message: 'Checking WebGPU…' });
      webgpu = await detectWebGPU(opts.registry);
      if (!webgpu.supported) throw new L0Error(webgpu.error ?? { kind: 'unsupported', message: webgpu.message });
      const resolved = resolveModelId(modelId, webgpu.shaderF16, opts.registry);
      if (resolved !== modelId) {
        onProgress?.({ phase: 'detect', message: `This GPU lacks shader-f16: loading ${resolved} instead of ${modelId}.` });
        modelId = resolved;
      }
      const fit = webgpu.models.find((f) => f.model.id === modelId);
      if (fit?.status === 'no') {
        throw new L0Error({ kind: 'unsupported', message: `${modelId} does not fit this GPU: ${fit.reasons.join('; ')}.`, detail: { modelId } });
      }
    }
    const record = findModel(modelId, opts.registry);
    if (!record) {
      throw new L0Error({ kind: 'internal', message: `Unknown model "${modelId}".`, detail: { modelId } });
    }

    const appConfig = buildAppConfig({
      ...opts.registry,
      cacheBackend: opts.cacheBackend ?? opts.registry?.cacheBackend,
      modelIds: [modelId],
      contextWindows: { [modelId]: contextWindow },
    });
    // The worker starts now so that WebLLM's code (megabytes) loads while the weights are checked;
    // the model is only requested once the check passed.
    const worker = (opts.createWorker ?? spawnWebLLMWorker)();

    // Three ways the load ends early: the user cancels, the worker dies, or WebLLM throws.
    let rejectEarly!: (e: unknown) => void;
    const early = new Promise<never>((_, reject) => (rejectEarly = reject));
    const onAbort = () => rejectEarly(cancelled());
    const onWorkerError = (ev: ErrorEvent) =>
      rejectEarly(new L0Error({ kind: 'internal', message: `The model worker failed to start: ${ev.message || 'script error'}.` }));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.addEventListener('error', onWorkerError);
    try {
      const api = connectWebLLMWorker(worker);
      const weights = opts.checkWeights === false ? undefined : await Promise.race([checkBeforeLoad(record, contextWindow, opts), early]);
      onProgress?.({ phase: 'init', message: 'Starting the model engine…' });
      // The check read the shards' exact size: byte counts follow WebLLM's exact fraction of it.
      const totalBytes = weights?.downloadBytes;
      await Promise.race([api.reload(modelId, appConfig, progressListener((r) => onProgress?.(parseInitProgress(r, totalBytes)))), early]);
      const engine = engineOverWorker(api);
      onProgress?.({ phase: 'ready', fraction: 1, message: `${modelId} is ready.` });
      return new WebLLMEngine({ id: modelId, contextWindow, engine, worker, opts: { ...opts, modelId }, webgpu });
    } catch (e) {
      worker.terminate(); // stops a download in flight; cached shards stay for the next attempt
      if (e instanceof L0Error) throw e;
      const data = classifyWebLLMError(e);
      if (data.kind === 'network') throw await diagnoseDownload(record, data);
      throw new L0Error(data);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      worker.removeEventListener('error', onWorkerError);
    }
  }

  /**
   * Wraps an engine that is already loaded (e.g. an in-page `CreateMLCEngine` result, or a
   * WebWorkerMLCEngine created elsewhere). `dispose` unloads it and terminates `worker` if given.
   */
  static fromLoadedEngine(
    engine: MLCEngineLike,
    opts: { modelId: string; contextWindow?: number; worker?: Worker; onRecovered?: WebLLMEngineOptions['onRecovered']; onProgress?: WebLLMEngineOptions['onProgress'] },
  ): WebLLMEngine {
    return new WebLLMEngine({
      id: opts.modelId,
      contextWindow: opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
      engine,
      worker: opts.worker,
      opts: { modelId: opts.modelId, onRecovered: opts.onRecovered, onProgress: opts.onProgress },
    });
  }

  /** Calls are serialised: one WebLLM engine generates one reply at a time. */
  generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const run = this.busy.then(() => this.generateWithRecovery(messages, options));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async generateWithRecovery(messages: ChatMessage[], options: GenerateOptions): Promise<GenerateResult> {
    if (this.disposed) throw new L0Error({ kind: 'internal', message: 'This engine was disposed.' });
    try {
      return await this.generateOnce(messages, options);
    } catch (e) {
      const data = classifyWebLLMError(e);
      // WebLLM unloads itself when the device is lost; the next call then reports "not loaded".
      const lost = data.kind === 'device-lost' || /ModelNotLoaded|not loaded/i.test(String(data.detail?.error ?? ''));
      if (!lost || options.signal?.aborted) throw new L0Error(data);
      await this.reload();
      const message = 'The GPU device was lost; the model was reloaded and the step restarted.';
      this.opts.onRecovered?.({ reason: 'device-lost', message });
      try {
        return await this.generateOnce(messages, options);
      } catch (again) {
        throw new L0Error(classifyWebLLMError(again));
      }
    }
  }

  /** Reloads the model after a lost device (the weights come from the browser cache). */
  async reload(): Promise<void> {
    this.lastConversation = undefined;
    this.opts.onProgress?.({ phase: 'init', message: 'Reloading the model after a GPU reset…' });
    try {
      await this.engine.reload(this.id);
    } catch (e) {
      throw new L0Error(classifyWebLLMError(e));
    }
    this.opts.onProgress?.({ phase: 'ready', fraction: 1, message: `${this.id} is ready again.` });
  }

  private async generateOnce(messages: ChatMessage[], options: GenerateOptions): Promise<GenerateResult> {
    const { signal, onToken } = options;
    if (signal?.aborted) return { text: '', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } };
    const filter = new StopStringFilter(options.stop);
    let text = '';
    let finish: FinishReason | undefined;
    let clientStop = false;
    let usage: ChatCompletionChunk['usage'] | undefined;

    const onAbort = () => this.stopGenerating();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const stream = await this.engine.chat.completions.create({
        messages: messages.map((m) => ({ role: m.role, content: m.content })) as never,
        stream: true,
        stream_options: { include_usage: true },
        ...(options.stop?.length ? { stop: options.stop } : {}),
        ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      });
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content ?? '';
        if (delta && !clientStop) {
          const r = filter.push(delta);
          if (r.emit) {
            text += r.emit;
            onToken?.(r.emit);
          }
          if (r.stopped) {
            clientStop = true;
            this.stopGenerating();
          }
        }
        if (choice?.finish_reason) {
          finish = choice.finish_reason === 'length' ? 'length' : choice.finish_reason === 'abort' ? 'abort' : 'stop';
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (clientStop) finish = 'stop';
    else if (signal?.aborted) finish = 'abort';
    if (!clientStop) {
      let finalText = text + filter.flush();
      if (finish === 'stop') {
        // The exact text WebLLM stored in its conversation (a stop string is cut from it even when
        // part of it was streamed): passing it back byte-identical next turn keeps the KV cache.
        finalText = await this.engine.getMessage().catch(() => finalText);
      }
      if (finalText.length > text.length && finalText.startsWith(text)) onToken?.(finalText.slice(text.length));
      text = finalText;
    }
    const result: GenerateResult = { text, finishReason: finish ?? 'stop', usage: this.accountUsage(messages, text, finish ?? 'stop', usage) };
    // WebLLM divides by zero where nothing was measured (a one-token reply has no decode step).
    const finite = (x: number | undefined) => (Number.isFinite(x) ? x : undefined);
    this.lastStats = {
      prefillTokensPerS: finite(usage?.extra?.prefill_tokens_per_s),
      decodeTokensPerS: finite(usage?.extra?.decode_tokens_per_s),
      timeToFirstTokenS: finite(usage?.extra?.time_to_first_token_s),
      e2eLatencyS: finite(usage?.extra?.e2e_latency_s),
    };
    return result;
  }

  /**
   * WebLLM counts only newly prefilled tokens as prompt_tokens when it reused the KV cache. It
   * reuses it when the earlier messages equal its stored conversation and the last reply ended
   * with 'stop'; we mirror that test to report the whole prompt size as well.
   */
  private accountUsage(messages: ChatMessage[], text: string, finish: FinishReason, u: ChatCompletionChunk['usage'] | undefined): Usage {
    const prefill = u?.prompt_tokens ?? 0;
    // WebLLM (0.2.79 to 0.2.86 at least) counts decode steps only: the first token, sampled at the
    // end of prefill, is missing from completion_tokens (one less than the tokens streamed).
    const completion = u ? u.completion_tokens + 1 : 0;
    const prev = this.lastConversation;
    const reused = prev !== undefined && prev.finish === 'stop' && sameMessages(messages.slice(0, -1), prev.messages);
    const promptTokens = reused ? prev.promptTokens + prefill : prefill;
    this.lastConversation = {
      messages: [...messages, { role: 'assistant', content: text }],
      promptTokens: promptTokens + completion,
      finish,
    };
    return { promptTokens, completionTokens: completion, prefillTokens: prefill };
  }

  /** Stops the current generation (same as aborting its signal). */
  interrupt(): void {
    this.stopGenerating();
  }

  /** Asks the engine to stop; an engine that is gone cannot refuse in a way worth reporting here
   * (the generation it was running reports its own error). */
  private stopGenerating(): void {
    Promise.resolve(this.engine.interruptGenerate()).catch(() => undefined);
  }

  /** WebLLM's own stats line for the last generation. */
  runtimeStats(): Promise<string> {
    return this.engine.runtimeStatsText();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await Promise.race([this.engine.unload(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // unloading a broken engine may fail; terminating the worker frees everything anyway
    }
    this.worker?.terminate();
  }
}
