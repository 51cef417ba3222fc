// The model engine of the app, held as a promise per choice: the preload of a cached model, a
// choice in the model panel and a Run all share one load, so a model is never loaded twice (and
// never onto the GPU twice). Choosing another engine disposes the previous one.
import { L0Error, type LLM, type LoadProgress } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';

/** Token delay of replays, page and widget alike: readers see the turns stream like a model's. */
export const REPLAY_TOKEN_DELAY_MS = 6;

export type CreateEngine = (choice: EngineChoice, options: { onProgress: (p: LoadProgress) => void; signal: AbortSignal }) => Promise<LLM>;

export interface EngineSlot {
  /** The engine for `choice`: the one loading or loaded already, else a new load (the previous engine is disposed). */
  load(choice: EngineChoice): Promise<LLM>;
  /** The engine for one run. Replays are consumed as they play, so each run gets a fresh one. */
  forRun(choice: EngineChoice): Promise<LLM>;
  /** Cancels a load in flight (its promise rejects with kind 'aborted'). */
  cancel(): void;
  /**
   * The engine loaded (or loading) for a choice that `matches` is not reused: the next load makes
   * a new one and disposes it then (a model's weights moved; a run using it keeps it meanwhile).
   */
  forget(matches: (choice: EngineChoice) => boolean): void;
  dispose(): Promise<void>;
}

interface Entry {
  key: string;
  choice: EngineChoice;
  promise: Promise<LLM>;
  abort: AbortController;
}

/** Two choices are the same engine when every field is the same (an API key included). */
export function engineKey(choice: EngineChoice): string {
  return JSON.stringify(choice, Object.keys(choice).sort());
}

export function createEngineSlot(create: CreateEngine, onProgress: (p: LoadProgress) => void): EngineSlot {
  let current: Entry | undefined;
  let disposed = false;

  function release(entry: Entry | undefined): void {
    if (!entry) return;
    entry.abort.abort();
    entry.promise.then((llm) => llm.dispose?.()).catch(() => undefined);
  }

  function start(choice: EngineChoice): Promise<LLM> {
    if (disposed) return Promise.reject(new L0Error({ kind: 'internal', message: 'The app was closed.' }));
    release(current);
    const spec: EngineChoice = choice.kind === 'replay' ? { ...choice, tokenDelayMs: choice.tokenDelayMs ?? REPLAY_TOKEN_DELAY_MS } : choice;
    const abort = new AbortController();
    const entry: Entry = { key: engineKey(choice), choice, abort, promise: Promise.resolve().then(() => create(spec, { onProgress: (p) => current === entry && onProgress(p), signal: abort.signal })) };
    current = entry;
    // A failed or cancelled load is forgotten, so the next ask loads again.
    entry.promise.catch(() => {
      if (current === entry) current = undefined;
    });
    return entry.promise;
  }

  return {
    load(choice) {
      if (current?.key === engineKey(choice)) return current.promise;
      return start(choice);
    },
    forRun(choice) {
      if (choice.kind === 'replay') return start(choice);
      return this.load(choice);
    },
    cancel() {
      current?.abort.abort();
    },
    forget(matches) {
      if (current && matches(current.choice)) current.key = ''; // no choice has this key
    },
    async dispose() {
      disposed = true;
      const entry = current;
      current = undefined;
      entry?.abort.abort();
      await entry?.promise.then((llm) => llm.dispose?.()).catch(() => undefined);
    },
  };
}
