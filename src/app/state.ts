// A small observable value: the controller's state and the notebook's change stream. Listeners
// that throw do not stop the others (a broken view must not break a run).

export interface Observable<S> {
  get(): S;
  /** Replaces the state by `{ ...state, ...patch }` and tells the listeners. */
  set(patch: Partial<S>): void;
  subscribe(listener: (state: S) => void): () => void;
}

export function observable<S extends object>(initial: S): Observable<S> {
  let state = initial;
  const listeners = new Set<(s: S) => void>();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const l of [...listeners]) safely(() => l(state));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export interface Emitter<T> {
  emit(value: T): void;
  on(listener: (value: T) => void): () => void;
}

export function emitter<T>(): Emitter<T> {
  const listeners = new Set<(v: T) => void>();
  return {
    emit(value) {
      for (const l of [...listeners]) safely(() => l(value));
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error('l0 app: a view failed to update', e);
  }
}
