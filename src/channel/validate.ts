// Checks for data that arrived from a worker the page does not trust. A check returns a FRESH value
// built only from what it checked: objects are read through own data-property descriptors (no
// getters run, no inherited `__proto__`/`constructor` read), only the keys the schema names are
// copied, and anything that is not a plain object, plain array, primitive or plain bytes (a
// MessagePort, a Map, a class instance, shared memory) is refused. Bytes (`bytes(max)`, a
// Uint8Array or ArrayBuffer of this realm, not over a SharedArrayBuffer) are copied too. A budget
// bounds the characters, items and bytes one message may carry. Hand-written on purpose: these prototype and budget rules are the point, and
// generic schema libraries (zod, valibot) accept any object shape or need them added as custom
// refinements, which would be more code than this file.

export class ChannelRejection extends Error {
  override name = 'ChannelRejection';
}

/** How much one message may carry in all (string characters plus array items plus bytes). */
export const DEFAULT_MESSAGE_BUDGET = 64 * 2 ** 20;

interface CheckContext {
  budget: number;
  /** Byte values taken by `bytes()` checks so far. */
  bytesTaken?: number;
}

/** A message carried bytes in a place no schema reads them (bytes pass only where a schema wants them). */
export class StrayBytes extends ChannelRejection {
  override name = 'StrayBytes';
}

export type Check<T> = (value: unknown, ctx: CheckContext, path: string) => T;

function reject(path: string, what: string): never {
  throw new ChannelRejection(`${path || 'message'}: ${what}`);
}

function spend(ctx: CheckContext, n: number, path: string): void {
  ctx.budget -= n;
  if (ctx.budget < 0) reject(path, 'message too large');
}

/**
 * The bytes of a Uint8Array or ArrayBuffer of this realm (exact prototypes: no subclass, no other
 * typed array, no DataView), not over shared memory the sender could still change; else undefined.
 */
export function plainBytes(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === ArrayBuffer.prototype) return new Uint8Array(v as ArrayBuffer);
  if (proto !== Uint8Array.prototype) return undefined;
  const view = v as Uint8Array;
  return Object.getPrototypeOf(view.buffer) === ArrayBuffer.prototype ? view : undefined;
}

/** A plain object of this realm (or a null-prototype one), not an array or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An own data property's value (undefined when absent or an accessor). */
export function ownValue(obj: object, key: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  return d && 'value' in d ? (d.value as unknown) : undefined;
}

export const str =
  (max: number): Check<string> =>
  (v, ctx, path) => {
    if (typeof v !== 'string') reject(path, 'expected a string');
    if (v.length > max) reject(path, `string longer than ${max} characters`);
    spend(ctx, v.length, path);
    return v;
  };

export const num =
  (opts: { min?: number; max?: number; integer?: boolean } = {}): Check<number> =>
  (v, _ctx, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) reject(path, 'expected a finite number');
    if (opts.integer && !Number.isInteger(v)) reject(path, 'expected an integer');
    if (opts.min !== undefined && v < opts.min) reject(path, `below ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) reject(path, `above ${opts.max}`);
    return v;
  };

/**
 * A measured rate or duration: a number, kept when finite and dropped (undefined) otherwise. A
 * runtime divides by zero where nothing was measured (a one-token reply has no decode step), and
 * a figure we only display must not cost the reply it comes with.
 */
export const measurement: Check<number | undefined> = (v, _ctx, path) => {
  if (typeof v !== 'number') reject(path, 'expected a number');
  return Number.isFinite(v) ? v : undefined;
};

/** Bytes (see plainBytes), at most `max` of them, returned as a fresh copy nobody else holds. */
export const bytes =
  (max: number): Check<Uint8Array> =>
  (v, ctx, path) => {
    const view = plainBytes(v);
    if (!view) reject(path, 'expected bytes (a Uint8Array or ArrayBuffer)');
    if (view.byteLength > max) reject(path, `more than ${max} bytes`);
    spend(ctx, view.byteLength, path);
    ctx.bytesTaken = (ctx.bytesTaken ?? 0) + 1;
    return view.slice();
  };

export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> => num({ min, max, integer: true });

export const bool: Check<boolean> = (v, _ctx, path) => {
  if (typeof v !== 'boolean') reject(path, 'expected a boolean');
  return v;
};

/** Exactly undefined (a method that returns nothing). */
export const none: Check<undefined> = (v, _ctx, path) => {
  if (v !== undefined) reject(path, 'expected nothing');
  return undefined;
};

export const oneOf =
  <const T extends readonly (string | number | boolean | null)[]>(...allowed: T): Check<T[number]> =>
  (v, _ctx, path) => {
    if (!allowed.includes(v as T[number])) reject(path, `not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return v as T[number];
  };

export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (v, ctx, path) =>
    v === undefined ? undefined : check(v, ctx, path);

export const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (v, ctx, path) =>
    v === null ? null : check(v, ctx, path);

export const arrayOf =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (v, ctx, path) => {
    if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) reject(path, 'expected an array');
    const len = v.length;
    if (len > max) reject(path, `more than ${max} items`);
    spend(ctx, len, path);
    const out: T[] = [];
    for (let i = 0; i < len; i++) out.push(item(ownValue(v, String(i)), ctx, `${path}[${i}]`));
    return out;
  };

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: Exclude<ReturnType<S[K]>, undefined>;
};

/** A plain object with these keys (others are ignored); optional keys that are absent stay absent. */
export const object =
  <S extends Shape>(shape: S): Check<Out<S>> =>
  (v, ctx, path) => {
    if (!isPlainObject(v)) reject(path, 'expected a plain object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      const value = shape[key]!(ownValue(v, key), ctx, path ? `${path}.${key}` : key);
      // Keys come from our schema only, so this never writes `__proto__` or an accessor.
      if (value !== undefined) out[key] = value;
    }
    return out as Out<S>;
  };

/**
 * Runs a check with a fresh budget; throws ChannelRejection. `byteValues`: how many byte values
 * the message carries (counted by the caller's walk); a check that takes fewer throws StrayBytes.
 */
export function validate<T>(check: Check<T>, value: unknown, budget = DEFAULT_MESSAGE_BUDGET, byteValues = 0): T {
  const ctx: CheckContext = { budget };
  const out = check(value, ctx, '');
  if ((ctx.bytesTaken ?? 0) < byteValues) throw new StrayBytes('bytes in a field no schema reads');
  return out;
}
