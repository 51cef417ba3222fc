/**
 * A push-to-pull queue: the loop pushes events, one consumer iterates them.
 *
 * What is buffered (the rule a consumer can rely on):
 * - Before anyone iterates, events wait in a buffer that `compact` keeps small. For agent events
 *   (`compactAgentEvent`): consecutive streaming deltas of one step merge into one event (think
 *   text, code text, one output stream), a package's progress keeps only its latest, a step's code
 *   deltas are dropped once its `code` event (the whole code) arrives, and its output chunks and
 *   package progress once the cell's result (the whole output) does.
 *   Every other event is kept. A consumer that starts late still sees every step's thinking, code,
 *   output, tool calls, notepad and record, in fewer, larger pieces; a run nobody reads (the eval
 *   runner) holds a few events per step instead of one per token.
 * - While a consumer iterates, events reach it exactly as pushed (queued only while it is busy).
 * - Once the consumer stops early (`break`, `return()`), nothing more is buffered: the run goes
 *   on and its trajectory still resolves, but its events are dropped.
 */
import type { AgentEvent } from '../protocols';

export interface Channel<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
}

/** Adds `value` to the buffer of a channel nobody iterates yet, merging or dropping what it supersedes. */
export type Compactor<T> = (buffer: T[], value: T) => void;

export function createChannel<T>(compact?: Compactor<T>): Channel<T> {
  const buffered: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let closed = false;
  let iterated = false;
  let detached = false;
  return {
    push(value) {
      if (closed || detached) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      } else if (!iterated && compact) compact(buffered, value);
      else buffered.push(value);
    },
    close() {
      closed = true;
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
    },
    [Symbol.asyncIterator]() {
      if (iterated) throw new Error('An agent run can be iterated only once.');
      iterated = true;
      return {
        next: () => {
          if (buffered.length) return Promise.resolve({ value: buffered.shift() as T, done: false });
          if (closed || detached) return Promise.resolve({ value: undefined, done: true });
          return new Promise<IteratorResult<T>>((resolve) => (waiting = resolve));
        },
        return: () => {
          detached = true;
          buffered.length = 0;
          waiting?.({ value: undefined, done: true });
          waiting = undefined;
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}

/** The compaction rule for agent events (see the header). */
export const compactAgentEvent: Compactor<AgentEvent> = (buffer, e) => {
  const last = buffer.at(-1);
  if ((e.type === 'think' || e.type === 'code-delta') && last?.type === e.type && last.step === e.step) {
    buffer[buffer.length - 1] = { ...last, delta: last.delta + e.delta };
    return;
  }
  if (e.type === 'cell-output' && e.chunk && !e.result && last?.type === 'cell-output' && last.chunk && !last.result && last.step === e.step && last.chunk.name === e.chunk.name) {
    buffer[buffer.length - 1] = { ...last, chunk: { name: e.chunk.name, text: last.chunk.text + e.chunk.text } };
    return;
  }
  if (e.type === 'cell-output' && e.package && last?.type === 'cell-output' && last.package?.name === e.package.name && last.step === e.step) {
    buffer[buffer.length - 1] = e; // a package's newer progress replaces the older
    return;
  }
  if (e.type === 'code') removeWhere(buffer, (x) => x.type === 'code-delta' && x.step === e.step);
  if (e.type === 'cell-output' && e.result) removeWhere(buffer, (x) => x.type === 'cell-output' && !x.result && x.step === e.step);
  buffer.push(e);
};

function removeWhere<T>(list: T[], drop: (x: T) => boolean): void {
  let kept = 0;
  for (const x of list) if (!drop(x)) list[kept++] = x;
  list.length = kept;
}
