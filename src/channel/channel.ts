// The page's end of a channel to a worker it does not trust. A transport utility with no domain
// knowledge: the sandbox (sandbox/) and the WebLLM client (llm/) give it their schemas.
//
// Page -> worker: comlink calls (the worker keeps `Comlink.expose(api)`; the page is trusted). The
// page wraps the worker through this guard, which sends only APPLY calls of the API's own methods,
// with plain arguments and nothing transferred: the page never exposes an object or hands the worker
// a port it listens on.
// Worker -> page: a closed set of messages. A reply must answer a call this page made and still
// waits for, and is checked against the schema of that call's method; an event (`{event: type}`)
// must be one of the spec's types and pass its schema. Comlink then sees only what the guard
// rebuilt: a RAW value built from the checked fields, or an Error built from checked strings, so its
// transfer handlers ('proxy', 'throw' with Object.assign) never see worker data. Everything else
// (unknown types or ids, replays, ports, non-plain objects, oversized fields) is dropped and counted.
import * as Comlink from 'comlink';
import { ChannelRejection, DEFAULT_MESSAGE_BUDGET, isPlainObject, ownValue, plainBytes, StrayBytes, validate, type Check } from './validate';

/** A Worker, a MessagePort, or comlink's nodeEndpoint(worker_threads Worker). */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown; ports?: readonly unknown[] }) => void): void;
  removeEventListener(type: 'message', listener: (ev: { data: unknown; ports?: readonly unknown[] }) => void): void;
  start?(): void;
}

type Methods<Api> = { [M in keyof Api]: Api[M] extends (...args: never[]) => unknown ? M : never }[keyof Api];

export interface ChannelSpec<Api, Events> {
  /** Names the channel in warnings. */
  name: string;
  /** The schema of each method's reply (every method of the API must have one). */
  replies: { [M in Methods<Api>]: Check<Awaited<ReturnType<Extract<Api[M], (...args: never[]) => unknown>>>> };
  /** The schema of each event the worker may send, with its handler. */
  events: { [E in keyof Events]: { check: Check<Events[E]>; handle(value: Events[E]): void } };
  /** Characters + items + bytes one message may carry in all (default 64 Mi). */
  budget?: number;
}

export interface ChannelStats {
  received: number;
  delivered: number;
  dropped: number;
  /** Why messages were dropped, with counts. */
  reasons: Record<string, number>;
}

export interface GuardedChannel<Api> {
  /** Calls into the worker; replies are checked before they resolve. */
  remote: Comlink.Remote<Api>;
  stats(): ChannelStats;
  /** Stops listening; calls still waiting reject. */
  close(reason?: string): void;
}

/** Deepest nesting a message may have (our protocols need fewer than 10 levels). */
const MAX_DEPTH = 32;

/**
 * Refuses anything that is not JSON-like data or plain bytes: ports, shared memory, Maps, class
 * instances, anywhere in the message (also under keys no schema reads: a Node worker's
 * transferred port arrives inside the data). Walks own data properties only, within the budget
 * (characters, items and bytes) and depth. Returns how many byte values it met: the schema must
 * take each of them (see validate's StrayBytes).
 */
function assertPlainData(value: unknown, budget: number): number {
  const stack: [unknown, number][] = [[value, 0]];
  let left = budget;
  let byteValues = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') continue;
    const data = typeof v === 'object' ? plainBytes(v) : undefined;
    if (typeof v === 'string') {
      left -= v.length;
    } else if (data) {
      left -= data.byteLength;
      byteValues++;
    } else if (typeof v === 'object' && (isPlainObject(v) || (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype))) {
      if (depth >= MAX_DEPTH) throw new ChannelRejection('nested too deeply');
      const keys = Object.getOwnPropertyNames(v);
      left -= keys.length;
      if (Object.getOwnPropertySymbols(v).length) throw new ChannelRejection('symbol keys');
      for (const k of keys) stack.push([ownValue(v, k), depth + 1]);
    } else {
      throw new ChannelRejection(`carries a ${typeof v === 'object' ? (Object.prototype.toString.call(v).slice(8, -1) || 'object') : typeof v}`);
    }
    if (left < 0) throw new ChannelRejection('message too large');
  }
  return byteValues;
}

const MAX_ERROR_MESSAGE = 10_000;
const ERROR_NAME = /^[A-Za-z_$][\w$.]{0,63}$/;

/** The error a worker reported, rebuilt from its checked strings (comlink's 'throw' wire format). */
function errorFrom(serialized: unknown): Error | string {
  if (isPlainObject(serialized)) {
    const value = ownValue(serialized, 'value');
    if (ownValue(serialized, 'isError') === true && isPlainObject(value)) {
      const message = ownValue(value, 'message');
      const name = ownValue(value, 'name');
      const e = new Error(typeof message === 'string' ? message.slice(0, MAX_ERROR_MESSAGE) : 'the worker reported an error without a message');
      if (typeof name === 'string' && ERROR_NAME.test(name)) e.name = name;
      return e;
    }
    // A thrown string (WebLLM throws "Name: message" strings) stays a string.
    if (typeof value === 'string') return value.slice(0, MAX_ERROR_MESSAGE);
  }
  return new ChannelRejection('the worker reported a failure that is not an error');
}

const thrown = (id: string, error: Error | string) => ({ id, type: 'HANDLER', name: 'throw', value: { isError: false, value: error } });

export function openChannel<Api, Events = Record<string, never>>(ep: WorkerEndpoint, spec: ChannelSpec<Api, Events>): GuardedChannel<Api> {
  const budget = spec.budget ?? DEFAULT_MESSAGE_BUDGET;
  /** Comlink request id -> the method it called. */
  const pending = new Map<string, string>();
  const stats: ChannelStats = { received: 0, delivered: 0, dropped: 0, reasons: {} };
  const warned = new Set<string>();
  let toComlink: ((ev: { data: unknown }) => void) | undefined;
  let closed = false;

  const drop = (reason: string, detail?: string) => {
    stats.dropped++;
    stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
    if (warned.has(reason)) return;
    warned.add(reason);
    console.warn(`l0 ${spec.name} channel: dropped a message from the worker (${reason}${detail ? `: ${detail.slice(0, 200)}` : ''}); later ones are only counted`);
  };
  const deliverReply = (data: unknown) => {
    stats.delivered++;
    toComlink?.({ data });
  };

  /** Why a message that failed its schema is dropped (bytes out of place count as not plain data). */
  const invalid = (e: unknown, what: string): string => (e instanceof StrayBytes ? 'not plain data' : what);

  const onEvent = (type: unknown, data: Record<string, unknown>, byteValues: number) => {
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(spec.events, type)) return drop('unknown event', String(type));
    const entry = spec.events[type as keyof Events];
    let value: Events[keyof Events];
    try {
      value = validate(entry.check, data, budget, byteValues);
    } catch (e) {
      return drop(invalid(e, `invalid ${type} event`), (e as Error).message);
    }
    stats.delivered++;
    try {
      entry.handle(value);
    } catch (e) {
      console.error(`l0 ${spec.name} channel: the ${type} handler failed`, e);
    }
  };

  const onReply = (id: unknown, data: Record<string, unknown>, byteValues: number) => {
    if (typeof id !== 'string' || !pending.has(id)) return drop('reply to no pending call');
    const method = pending.get(id)!;
    pending.delete(id); // answered once: a replay is "no pending call"
    const type = ownValue(data, 'type');
    if (type === 'HANDLER' && ownValue(data, 'name') === 'throw') return deliverReply(thrown(id, errorFrom(ownValue(data, 'value'))));
    if (type !== 'RAW') {
      drop(`invalid ${method} reply`, 'not a plain value');
      return deliverReply(thrown(id, new ChannelRejection(`the worker sent an invalid reply to ${method}`)));
    }
    try {
      const check = spec.replies[method as Methods<Api>] as Check<unknown>;
      deliverReply({ id, type: 'RAW', value: validate(check, ownValue(data, 'value'), budget, byteValues) });
    } catch (e) {
      drop(invalid(e, `invalid ${method} reply`), (e as Error).message);
      deliverReply(thrown(id, new ChannelRejection(`the worker sent an invalid reply to ${method}: ${(e as Error).message}`)));
    }
  };

  /** Why this message cannot be taken at all (before any schema), or how many byte values it carries. */
  const unusable = (ev: { data: unknown; ports?: readonly unknown[] }): [string, string?] | number => {
    if (ev.ports && ev.ports.length > 0) return ['carries ports'];
    try {
      return assertPlainData(ev.data, budget);
    } catch (e) {
      return ['not plain data', (e as Error).message];
    }
  };

  const onMessage = (ev: { data: unknown; ports?: readonly unknown[] }) => {
    stats.received++;
    const data = ev.data;
    if (!isPlainObject(data)) return drop('not a plain object');
    const event = ownValue(data, 'event');
    const id = ownValue(data, 'id');
    const refused = unusable(ev);
    if (typeof refused !== 'number') {
      drop(...refused);
      // The call this unusable answer was for fails now, clearly, instead of waiting forever.
      if (event === undefined && typeof id === 'string' && pending.has(id)) {
        const method = pending.get(id)!;
        pending.delete(id);
        deliverReply(thrown(id, new ChannelRejection(`the worker sent an invalid reply to ${method}: ${refused[1] ?? refused[0]}`)));
      }
      return;
    }
    if (event !== undefined) return onEvent(event, data, refused);
    onReply(id, data, refused);
  };

  const guard: Comlink.Endpoint = {
    postMessage(message: unknown, transfer?: Transferable[]) {
      const m = message as { id?: unknown; type?: unknown; path?: unknown; argumentList?: unknown };
      // Comlink's finaliser releases the endpoint when the page drops the proxy; the owner ends the
      // worker itself, and the worker's answer would only close its API early.
      if (m.type === 'RELEASE') return;
      if (closed) throw new ChannelRejection(`the ${spec.name} worker is gone`);
      const method = Array.isArray(m.path) && m.path.length === 1 ? m.path[0] : undefined;
      if (m.type !== 'APPLY' || typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(spec.replies, method)) {
        throw new ChannelRejection(`only calls of the ${spec.name} worker's own methods are sent (not ${String(m.type)} ${JSON.stringify(m.path)})`);
      }
      if (!Array.isArray(m.argumentList) || !m.argumentList.every((a) => (a as { type?: unknown }).type === 'RAW')) {
        throw new ChannelRejection('arguments must be plain values (no proxies)');
      }
      if (transfer && transfer.length > 0) throw new ChannelRejection('nothing is transferred to the worker');
      if (typeof m.id !== 'string') throw new ChannelRejection('a call without an id');
      pending.set(m.id, method);
      ep.postMessage(message);
    },
    addEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      toComlink = typeof listener === 'function' ? (ev) => listener(ev as unknown as Event) : (ev) => listener.handleEvent(ev as unknown as Event);
    },
    removeEventListener() {
      toComlink = undefined;
    },
  };

  ep.addEventListener('message', onMessage);
  ep.start?.();
  const remote = Comlink.wrap<Api>(guard);
  return {
    remote,
    stats: () => ({ ...stats, reasons: { ...stats.reasons } }),
    close(reason = `the ${spec.name} worker was stopped`) {
      if (closed) return;
      closed = true;
      ep.removeEventListener('message', onMessage);
      for (const id of pending.keys()) deliverReply(thrown(id, new ChannelRejection(reason)));
      pending.clear();
    },
  };
}
