// The small key-value contract the session store is written against. Two backends implement it:
// IndexedDB (idb-kv.ts, through idb-keyval) and memory (this file). Keeping every multi-key write
// inside one `transact` call is what makes appends, revision checks and migrations atomic.
import { compareKeys, hasPrefix, type KeyPart, type StoreKey } from './keys';

export interface WritePlan {
  put?: Array<[StoreKey, unknown]>;
  del?: StoreKey[];
  /** Deletes every array key that starts with one of these prefixes. */
  delPrefix?: KeyPart[][];
}

export interface KVEntry {
  key: StoreKey;
  value?: unknown;
  /** Set when the record exists but could not be read back. */
  error?: unknown;
}

export interface KV {
  /** Where the data lives, for the UI ('indexeddb' | 'memory'). */
  readonly kind: 'indexeddb' | 'memory';
  get(key: StoreKey): Promise<unknown>;
  /** Every record whose array key starts with `prefix` (all records when omitted), in key order. */
  entries(prefix?: KeyPart[]): Promise<KVEntry[]>;
  /** Every key in the store (including string keys of older schemas), in key order. */
  keys(): Promise<StoreKey[]>;
  /**
   * Atomic read-modify-write: reads `keys`, calls `plan` with their values, applies what it returns,
   * all in one transaction. When `plan` throws, nothing is written and the error is rethrown.
   */
  transact<T = void>(keys: StoreKey[], plan: (values: unknown[]) => WritePlan & { result?: T }): Promise<T>;
  close?(): void;
}

const encode = (k: StoreKey): string => JSON.stringify(k);

/** An in-memory KV with IndexedDB's semantics (structured clones in and out, ordered keys). */
export function memoryKV(initial?: Iterable<[StoreKey, unknown]>): KV {
  const map = new Map<string, { key: StoreKey; value: unknown }>();
  for (const [k, v] of initial ?? []) map.set(encode(k), { key: structuredClone(k), value: structuredClone(v) });
  const sorted = () => [...map.values()].sort((a, b) => compareKeys(a.key, b.key));
  return {
    kind: 'memory',
    async get(key) {
      const e = map.get(encode(key));
      return e === undefined ? undefined : structuredClone(e.value);
    },
    async entries(prefix) {
      return sorted()
        .filter((e) => !prefix || hasPrefix(e.key, prefix))
        .map((e) => ({ key: structuredClone(e.key), value: structuredClone(e.value) }));
    },
    async keys() {
      return sorted().map((e) => structuredClone(e.key));
    },
    async transact(keys, plan) {
      const values = keys.map((k) => {
        const e = map.get(encode(k));
        return e === undefined ? undefined : structuredClone(e.value);
      });
      const p = plan(values);
      // Clone first so that a value that cannot be stored leaves the map untouched (atomicity).
      const puts = (p.put ?? []).map(([k, v]) => [k, structuredClone(v)] as const);
      for (const k of p.del ?? []) map.delete(encode(k));
      for (const prefix of p.delPrefix ?? []) {
        for (const [s, e] of map) if (hasPrefix(e.key, prefix)) map.delete(s);
      }
      for (const [k, v] of puts) map.set(encode(k), { key: structuredClone(k), value: v });
      return p.result as never;
    },
  };
}
