// The bundled demos play at a reading pace: a replay engine produces a turn at once, and this
// wrapper hands its tokens on one by one, with a pause before each turn (time to read the cell that
// just ran). "Skip to the end" (skip()) lets the rest through without waiting. Aborting ends a turn
// with the text shown so far, as a model's stream would.
import type { GenerateOptions, GenerateResult, LLM } from '../protocols';

/** How the demos play: about 25 tokens (100 characters) a second, and a second between steps. */
const DEMO_PACE = { tokenDelayMs: 40, stepPauseMs: 1000 } as const;

export interface Pace {
  readonly skipped: boolean;
  /** Lets everything still to come through at once. */
  skip(): void;
}

export function createPace(): Pace & { readonly wake: Promise<void> } {
  let skipped = false;
  let wakeUp!: () => void;
  const wake = new Promise<void>((r) => (wakeUp = r));
  return {
    get skipped() {
      return skipped;
    },
    wake,
    skip() {
      skipped = true;
      wakeUp();
    },
  };
}

/** `llm` (a replay) with its turns paced; `pace.skip()` ends the waiting. */
export function pacedLLM(llm: LLM, pace: ReturnType<typeof createPace>, timing: { tokenDelayMs: number; stepPauseMs: number } = DEMO_PACE): LLM {
  const wait = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (pace.skipped || signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      void pace.wake.then(done);
    });
  };
  return {
    id: llm.id,
    contextWindow: llm.contextWindow,
    eocMarker: llm.eocMarker,
    ...(llm.countTokens && { countTokens: (text: string) => llm.countTokens!(text) }),
    ...(llm.dispose && { dispose: () => llm.dispose!() }),
    async generate(messages, options: GenerateOptions = {}): Promise<GenerateResult> {
      const tokens: string[] = [];
      const whole = await llm.generate(messages, { ...options, onToken: (t) => tokens.push(t) });
      await wait(timing.stepPauseMs, options.signal);
      let shown = '';
      for (const token of tokens) {
        if (options.signal?.aborted) return { text: shown, finishReason: 'abort', usage: whole.usage };
        await wait(timing.tokenDelayMs, options.signal);
        if (options.signal?.aborted) return { text: shown, finishReason: 'abort', usage: whole.usage };
        shown += token;
        options.onToken?.(token);
      }
      return whole;
    },
  };
}
