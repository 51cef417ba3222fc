// The IndexedDB backend: one object store in the app's own database, opened through idb-keyval's
// createStore (never idb-keyval's default database: an embedding page shares the origin).
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import type { KeyPart, StoreKey } from './keys';
import type { KV, KVEntry } from './kv';

const OBJECT_STORE_NAME = 'keyval';

const prefixRange = (prefix: KeyPart[]): IDBKeyRange =>
  // [] sorts after every string and number, so [...prefix, []] bounds everything under prefix.
  IDBKeyRange.bound(prefix, [...prefix, []]);

export function idbKV(dbName: string): KV {
  let use: UseStore | undefined;
  // createStore opens lazily and throws (ReferenceError) when IndexedDB does not exist at all;
  // running it inside an async function turns that into a rejection the caller can handle.
  const run = async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => Promise<T>): Promise<T> => {
    use ??= createStore(dbName, OBJECT_STORE_NAME);
    return use(mode, fn);
  };

  return {
    kind: 'indexeddb',
    get: (key) => run('readonly', (s) => promisifyRequest(s.get(key as IDBValidKey))),
    keys: () => run('readonly', (s) => promisifyRequest(s.getAllKeys()) as Promise<StoreKey[]>),
    entries: (prefix) =>
      run('readonly', async (s): Promise<KVEntry[]> => {
        const range = prefix ? prefixRange(prefix) : undefined;
        const keys = (await promisifyRequest(s.getAllKeys(range))) as StoreKey[];
        try {
          const values = await promisifyRequest(s.getAll(range));
          if (values.length === keys.length) return keys.map((key, i) => ({ key, value: values[i] }));
        } catch {
          // One unreadable value fails getAll; fall through and read record by record.
        }
        return Promise.all(
          keys.map((key) =>
            promisifyRequest(s.get(key as IDBValidKey)).then(
              (value): KVEntry => ({ key, value }),
              (error): KVEntry => ({ key, error }),
            ),
          ),
        );
      }),
    transact: (keys, plan) =>
      run('readwrite', async (s) => {
        const values = await Promise.all(keys.map((k) => promisifyRequest(s.get(k as IDBValidKey))));
        try {
          const p = plan(values);
          for (const k of p.del ?? []) s.delete(k as IDBValidKey);
          for (const prefix of p.delPrefix ?? []) s.delete(prefixRange(prefix));
          for (const [k, v] of p.put ?? []) s.put(v, k as IDBValidKey);
          await promisifyRequest(s.transaction);
          return p.result as never;
        } catch (e) {
          try {
            s.transaction.abort();
          } catch {
            // already finished or aborted
          }
          throw e;
        }
      }),
  };
}
