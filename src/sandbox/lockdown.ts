// Lockdown of the sandbox worker's realm, the last step of hardening (harden.ts, issue 16).
//
// Deleting capabilities is not enough while the realm's shared objects stay writable. Python reaches
// `Object` through the FFI, so on the unfixed code it could plant an accessor on Object.prototype
// for a name the hardening deleted (`navigator`): an Emscripten JS function reading `navigator` as
// a free variable then ran it with `this` = the worker global. From the global it pointed
// FinalizationRegistry.prototype.register at Array.prototype.push and was handed, by comlink, the
// MessagePort on which the page answers the worker. Every step of that chain is a write to an
// object every realm user shares. After hardening this file:
//   1. freezes every intrinsic and every host interface of the realm (constructors, prototypes,
//      namespaces such as WebAssembly, console), transitively through functions, prototypes and
//      namespace members. The roots are captured BEFORE hardening deletes the global names, so the
//      prototypes of deleted interfaces that live instances still use (MessagePort, MessageEvent,
//      EventTarget, FinalizationRegistry...) are frozen too;
//   2. tames the "override mistake" the way SES's lockdown does: on a frozen prototype, a data
//      property that code commonly assigns on instances (`err.name = ...`, `obj.toString = ...`,
//      `X.prototype.constructor = X`) becomes a getter/setter pair whose setter defines an own
//      property on the instance, so that code keeps working in strict mode;
//   3. gives the global an own, non-configurable `undefined` binding for every name the hardening
//      deleted and for the browser globals Emscripten's JS reads (`document`, `window`...), so a
//      free-variable read never walks the prototype chain, then freezes the global (no new globals);
//   4. (unless packages load from a package base URL) refuses to compile or instantiate WebAssembly
//      from then on: the runtime compiled what it needs while loading, and new modules are how
//      Python would reach Emscripten's JS library (a hand-written side module imported from the
//      file system, ctypes callbacks and `dlsym` of JS functions all compile a module).
// Not frozen: the global's own mutable state that a runtime writes (Error.stackTraceLimit, which
// Pyodide sets around every PythonError), and objects no root leads to (Pyodide's Module).
import type { HardenPlatform } from './harden';

/** What lockdown did, for the hardening report and the tests. */
export interface LockdownReport {
  /** Objects frozen (constructors, prototypes, namespaces, functions). */
  frozen: number;
  /** Names given an own `undefined` binding on the global. */
  bindings: string[];
  /** Whether WebAssembly compilation is refused from now on. */
  wasmCompileBlocked: boolean;
  /** Steps that could not be done (empty when all held). */
  failed: string[];
  /** How long the lockdown took (ms). */
  ms: number;
}

/**
 * Browser globals that Emscripten's and Pyodide's JS read as free variables and that a worker does
 * not have (`document`, `window`...) or that hardening deletes. Each becomes an own `undefined`
 * binding, so the lookup stops at the global.
 */
export const FREE_VARIABLE_NAMES = [
  'window', 'document', 'navigator', 'location', 'screen', 'parent', 'top', 'opener', 'frames',
  'process', 'require', 'module', 'exports', 'Bun', 'Deno', 'read', 'load', 'print', 'printErr',
  'importScripts', 'WorkerGlobalScope', 'Module', 'onmessage', 'onerror', 'name', 'close',
];

/** Properties that code assigns on instances; on a frozen prototype they become accessor pairs. */
const OVERRIDABLE = new Set<string | symbol>([
  'constructor', 'name', 'message', 'toString', 'toLocaleString', 'valueOf', 'toJSON', 'then',
  'catch', 'finally', 'push', 'concat', Symbol.iterator, Symbol.toStringTag,
]);

/** Host objects the Node thread's runtime keeps mutating: never frozen (process, streams...). */
const NODE_UNFROZEN = new Set(['process', 'global', 'globalThis', 'console', 'require', 'module', 'exports']);

export interface RealmRoots {
  platform: HardenPlatform;
  /** Values of the global's own properties and of its prototype chain, before anything is deleted. */
  values: Map<string, unknown>;
  /** The prototypes of the global (WorkerGlobalScope.prototype ... Object.prototype). */
  globalProtos: object[];
}

/** Intrinsics no global name leads to (iterator prototypes, %TypedArray%, generator functions...). */
function hiddenIntrinsics(): unknown[] {
  const proto = (x: unknown) => (x === null || x === undefined ? undefined : Object.getPrototypeOf(x));
  const out: unknown[] = [
    proto(function* () {}), proto(async function () {}), proto(async function* () {}),
    proto([][Symbol.iterator]()), proto(proto([][Symbol.iterator]())), proto(new Map().entries()),
    proto(new Set().values()), proto(''[Symbol.iterator]()), proto('a'.matchAll(/a/g)),
    proto(proto(proto((async function* () {})()))), proto(Uint8Array),
    Object.getOwnPropertyDescriptor(Function.prototype, 'caller')?.get,
  ];
  const it = (globalThis as { Iterator?: { from?(x: unknown): unknown } }).Iterator;
  try {
    out.push(proto(it?.from?.({ next: () => ({ done: true, value: undefined }) })));
    out.push(proto((([].values() as unknown as { map?(f: unknown): unknown }).map?.((x: unknown) => x))));
  } catch { /* no iterator helpers */ }
  try {
    const seg = new Intl.Segmenter().segment('');
    out.push(proto(seg), proto(seg[Symbol.iterator]()));
  } catch { /* no Intl.Segmenter */ }
  return out;
}

/** Call before hardening deletes anything: what lockdown will freeze. */
export function captureRealm(platform: HardenPlatform): RealmRoots {
  const values = new Map<string, unknown>();
  const globalProtos: object[] = [];
  for (let o: object | null = globalThis; o; o = Object.getPrototypeOf(o) as object | null) {
    if (o !== globalThis) globalProtos.push(o);
    for (const key of Reflect.ownKeys(o)) {
      if (typeof key !== 'string' || values.has(key)) continue;
      if (platform === 'node' && NODE_UNFROZEN.has(key)) continue;
      const d = Reflect.getOwnPropertyDescriptor(o, key);
      // Getters are not called (a getter may be a lazy capability); their functions are frozen.
      if (d && 'value' in d) values.set(key, d.value);
      else if (d) values.set(key, [d.get, d.set]);
    }
  }
  hiddenIntrinsics().forEach((v, i) => values.set(`%hidden${i}%`, v));
  return { platform, values, globalProtos };
}

const defineProperty = Object.defineProperty;
const hasOwn = Object.prototype.hasOwnProperty;

/** SES's override taming: a frozen prototype's data property becomes a getter/setter pair. */
function tameOverride(proto: object, key: string | symbol, desc: PropertyDescriptor): void {
  const value: unknown = desc.value;
  // Method shorthand: functions without a `prototype` of their own (nothing more to freeze).
  const pair = {
    get() {
      return value;
    },
    set(this: unknown, next: unknown) {
      if (this === proto || (typeof this !== 'object' && typeof this !== 'function') || this === null) {
        throw new TypeError(`Cannot assign to read only property '${String(key)}' of a locked-down object`);
      }
      if (hasOwn.call(this, key)) (this as Record<string | symbol, unknown>)[key] = next;
      else defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
    },
  };
  Object.freeze(pair.get);
  Object.freeze(pair.set);
  defineProperty(proto, key, { get: pair.get, set: pair.set, enumerable: desc.enumerable, configurable: false });
}

/** Freezes `obj` (after taming the overridable properties of prototypes). */
function lockObject(obj: object, isPrototype: boolean, failed: string[]): void {
  if (ArrayBuffer.isView(obj)) {
    Object.preventExtensions(obj); // a view with elements cannot be frozen; %TypedArray% instances hold no methods
    return;
  }
  if (isPrototype) {
    for (const key of obj === TYPED_ARRAY_PROTO ? Reflect.ownKeys(obj) : OVERRIDABLE) {
      const d = Reflect.getOwnPropertyDescriptor(obj, key);
      if (!d || !('value' in d) || !d.writable || !d.configurable) continue;
      try {
        tameOverride(obj, key, d);
      } catch (e) {
        failed.push(`tame ${describe(obj)}.${String(key)}: ${String(e)}`);
      }
    }
  }
  try {
    if (obj === Error) {
      // Pyodide sets Error.stackTraceLimit around every PythonError, Node's internals too: it only
      // sets the depth of stack traces, so it stays writable (nothing can be added or redefined).
      for (const key of Reflect.ownKeys(obj)) {
        const d = Reflect.getOwnPropertyDescriptor(obj, key)!;
        const writable = key === 'stackTraceLimit' || !('value' in d) ? {} : { writable: false };
        defineProperty(obj, key, { ...writable, configurable: false });
      }
      Object.preventExtensions(obj);
    } else {
      Object.freeze(obj);
    }
  } catch (e) {
    failed.push(`freeze ${describe(obj)}: ${String(e)}`);
  }
}

const TYPED_ARRAY_PROTO: object = Object.getPrototypeOf(Uint8Array.prototype) as object;

function describe(obj: object): string {
  try {
    const ctor = (hasOwn.call(obj, 'constructor') ? (obj as { constructor?: { name?: string } }).constructor?.name : undefined);
    return ctor ? `${ctor}.prototype` : typeof obj === 'function' ? (obj as { name?: string }).name || 'function' : Object.prototype.toString.call(obj);
  } catch {
    return '?';
  }
}

/**
 * Freezes everything reachable from the roots through functions, their `prototype`s, prototype
 * chains and the members of namespace objects, but not arbitrary instances hanging off them.
 */
function freezeReachable(roots: RealmRoots, failed: string[]): number {
  const seen = new Set<object>([globalThis]);
  const queue: { obj: unknown; proto: boolean; namespace: boolean }[] = [];
  const push = (obj: unknown, proto: boolean, namespace: boolean) => {
    if ((typeof obj === 'object' || typeof obj === 'function') && obj !== null && !seen.has(obj)) queue.push({ obj, proto, namespace });
  };
  for (const p of roots.globalProtos) push(p, true, false);
  for (const v of roots.values.values()) {
    if (Array.isArray(v)) v.forEach((f) => push(f, false, false));
    // A global holding a plain object is a namespace (Math, JSON, WebAssembly, console, Intl...).
    else push(v, false, typeof v === 'object');
  }
  let count = 0;
  while (queue.length) {
    const { obj, proto, namespace } = queue.pop()!;
    const o = obj as object;
    if (seen.has(o)) continue;
    seen.add(o);
    lockObject(o, proto, failed);
    count++;
    push(Object.getPrototypeOf(o), true, false);
    const descriptors = Object.getOwnPropertyDescriptors(o) as Record<string | symbol, PropertyDescriptor>;
    for (const key of Reflect.ownKeys(descriptors)) {
      const d = descriptors[key]!;
      if (!('value' in d)) {
        push(d.get, false, false);
        push(d.set, false, false);
        continue;
      }
      const v: unknown = d.value;
      if (typeof v === 'function') push(v, false, false);
      else if (key === 'prototype') push(v, true, false);
      // Members of namespaces and of prototypes (e.g. Array.prototype[Symbol.unscopables]).
      else if (typeof v === 'object' && (namespace || proto || typeof o === 'function')) push(v, false, namespace);
    }
  }
  return count;
}

/** Own, non-configurable `undefined` bindings on the global, so free-variable reads stop there. */
function bindUndefined(names: Iterable<string>, failed: string[]): string[] {
  const bound: string[] = [];
  for (const name of new Set(names)) {
    if (hasOwn.call(globalThis, name)) continue;
    try {
      defineProperty(globalThis, name, { value: undefined, writable: false, enumerable: false, configurable: false });
      bound.push(name);
    } catch (e) {
      failed.push(`bind ${name}: ${String(e)}`);
    }
  }
  return bound;
}

/** The global itself: lazy getters resolved, every property fixed, no new properties. */
function freezeGlobal(failed: string[]): void {
  const g = globalThis as Record<string, unknown>;
  for (const key of Reflect.ownKeys(g)) {
    const d = Reflect.getOwnPropertyDescriptor(g, key);
    // Node defines some globals as getters that replace themselves with a data property when first
    // read (crypto, structuredClone...): read them now, while that redefinition is still possible.
    if (d?.get && d.configurable) {
      try {
        void g[key as string];
      } catch { /* a getter that throws keeps its accessor */ }
    }
  }
  lockObject(g, false, failed);
}

/** Refuses WebAssembly compilation and instantiation from now on (see the header, point 4). */
function blockWasmCompilation(failed: string[]): boolean {
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  const refuse = (what: string) =>
    function () {
      throw new WebAssembly.CompileError(`${what} is disabled in the l0 sandbox (no new WebAssembly code after start-up)`);
    };
  const asyncRefuse = (what: string) =>
    function () {
      return Promise.reject(new WebAssembly.CompileError(`${what} is disabled in the l0 sandbox (no new WebAssembly code after start-up)`));
    };
  let ok = true;
  const replace = (key: string, value: unknown) => {
    try {
      if (key in wasm) defineProperty(wasm, key, { value, writable: false, configurable: false });
    } catch (e) {
      ok = false;
      failed.push(`WebAssembly.${key}: ${String(e)}`);
    }
  };
  // `instanceof WebAssembly.Module` (Emscripten's dynamic loader) keeps working on the stand-ins.
  const Module = refuse('WebAssembly.Module');
  defineProperty(Module, 'prototype', { value: (wasm.Module as { prototype: object }).prototype });
  const Instance = refuse('WebAssembly.Instance');
  defineProperty(Instance, 'prototype', { value: (wasm.Instance as { prototype: object }).prototype });
  replace('Module', Module);
  replace('Instance', Instance);
  for (const k of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) replace(k, asyncRefuse(`WebAssembly.${k}`));
  return ok;
}

export interface LockdownOptions {
  /** Names hardening deleted from the global and its prototypes. */
  deleted: Iterable<string>;
  /** Keep WebAssembly compilation (deployments that load packages from a package base URL). */
  allowWasmCompilation: boolean;
}

/** Locks the realm down. Call once, as the last step of hardening, before any model code runs. */
export function lockdownRealm(roots: RealmRoots, options: LockdownOptions): LockdownReport {
  const t0 = performance.now();
  const failed: string[] = [];
  const wasmCompileBlocked = options.allowWasmCompilation ? false : blockWasmCompilation(failed);
  const bindings = bindUndefined([...options.deleted, ...FREE_VARIABLE_NAMES], failed);
  const frozen = freezeReachable(roots, failed);
  freezeGlobal(failed);
  return { frozen, bindings, wasmCompileBlocked, failed, ms: performance.now() - t0 };
}
