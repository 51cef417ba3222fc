// The three stores the app uses, all the same SessionStore (KVSessionStore) over different backends.
import type { ErrorData } from '../protocols';
import { idbKV } from './idb-kv';
import { memoryKV, type KV } from './kv';
import { resilientKV } from './resilient-kv';
import { KVSessionStore, type StoreOptions } from './session-store';
import { newSessionId } from '../protocols';

export const DEFAULT_DB_NAME = 'l0-browser';

/** Sessions in IndexedDB, in the app's own database (default 'l0-browser'). */
export class IndexedDBStore extends KVSessionStore {
  constructor(readonly dbName = DEFAULT_DB_NAME, options: StoreOptions = {}) {
    super(idbKV(dbName), { ...options, namespace: options.namespace ?? dbName });
  }
}

export function createIndexedDBStore(dbName = DEFAULT_DB_NAME, options: StoreOptions = {}): IndexedDBStore {
  return new IndexedDBStore(dbName, options);
}

/** Sessions in memory: Node, tests, and where IndexedDB cannot be used. */
export class MemoryStore extends KVSessionStore {
  constructor(options: StoreOptions = {}) {
    super(memoryKV(), { ...options, namespace: options.namespace ?? `memory-${newSessionId()}` });
  }
}

export interface ResilientStoreOptions extends StoreOptions {
  dbName?: string;
  /** Called once when storage fails and the store switches to memory. */
  onWarning?: (warning: ErrorData) => void;
  /** The backend to try first (default IndexedDB `dbName`); tests inject a failing one. */
  primary?: KV;
}

/**
 * IndexedDB while it works; on a quota error or when it cannot be opened, memory, keeping
 * everything already saved, with one warning (kind 'quota' or 'storage') for the UI to show.
 */
export class ResilientStore extends KVSessionStore {
  private readonly warningListeners: Set<(w: ErrorData) => void>;
  constructor(options: ResilientStoreOptions = {}) {
    const dbName = options.dbName ?? DEFAULT_DB_NAME;
    const listeners = new Set<(w: ErrorData) => void>();
    super(
      resilientKV(options.primary ?? idbKV(dbName), (w) => {
        for (const l of listeners) l(w);
      }),
      { ...options, namespace: options.namespace ?? dbName },
    );
    this.warningListeners = listeners;
    if (options.onWarning) listeners.add(options.onWarning);
  }

  /** Subscribes to the fallback warning; called at once if it already happened. */
  onWarning(listener: (warning: ErrorData) => void): () => void {
    this.warningListeners.add(listener);
    if (this.warning) listener(this.warning);
    return () => this.warningListeners.delete(listener);
  }
}

export function createResilientStore(options: ResilientStoreOptions = {}): ResilientStore {
  return new ResilientStore(options);
}
