/** A push-to-pull queue: the loop pushes events, one consumer iterates them. */
export interface Channel<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
}

export function createChannel<T>(): Channel<T> {
  const buffered: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let closed = false;
  let iterated = false;
  return {
    push(value) {
      if (closed) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      } else buffered.push(value);
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
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise<IteratorResult<T>>((resolve) => (waiting = resolve));
        },
        return: () => Promise.resolve({ value: undefined, done: true }),
      };
    },
  };
}
