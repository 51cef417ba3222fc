// The checking channel (src/channel/) on a real MessageChannel whose far end is hostile, and the
// worker side of tool-call ids (core.ts) on a real Pyodide.
import * as Comlink from 'comlink';
import { loadPyodide } from 'pyodide';
import { afterAll, describe, expect, it } from 'vitest';
import { openChannel, type WorkerEndpoint } from '../../src/channel/channel';
import { ChannelRejection, StrayBytes, arrayOf, bool, bytes, int, none, object, oneOf, optional, str, validate } from '../../src/channel/validate';
import { installRuntime } from '../../src/sandbox/core';
import type { PostEvent, WorkerEvents } from '../../src/sandbox/messages';

const g = globalThis as Record<string, unknown>;
const ports: MessagePort[] = [];
afterAll(() => {
  ports.forEach((p) => p.close());
  delete g.__l0Canary;
});

describe('validate', () => {
  const shape = object({ name: str(10), n: int(0, 5), tags: arrayOf(str(5), 3), kind: oneOf('a', 'b'), done: optional(bool) });

  it('builds a fresh object from the schema keys only: own __proto__/constructor keys are not copied', () => {
    const input = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "name": "x", "n": 1, "tags": ["t"], "kind": "a", "extra": 1}');
    const out = validate(shape, input);
    expect(out).toEqual({ name: 'x', n: 1, tags: ['t'], kind: 'a' });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['name', 'n', 'tags', 'kind']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never runs a getter, and refuses what is not a plain object or array', () => {
    let ran = false;
    const tricky = { n: 1, tags: [], kind: 'a', get name() { ran = true; return 'x'; } };
    expect(() => validate(shape, tricky)).toThrow(ChannelRejection);
    expect(ran).toBe(false);
    class Thing { name = 'x'; n = 1; tags = []; kind = 'a'; }
    for (const bad of [new Thing(), new Map(), [], null, 'str', new Date()]) expect(() => validate(shape, bad)).toThrow(ChannelRejection);
    const arrayLike = Object.assign(Object.create(Array.prototype) as object, { length: 1, 0: 't' });
    expect(() => validate(shape, { name: 'x', n: 1, tags: arrayLike, kind: 'a' })).toThrow(/expected an array/);
  });

  it('enforces types, allowed values, sizes and the message budget', () => {
    const ok = { name: 'x', n: 1, tags: ['t'], kind: 'a' };
    expect(() => validate(shape, { ...ok, name: 'x'.repeat(11) })).toThrow(/longer than 10/);
    expect(() => validate(shape, { ...ok, n: 1.5 })).toThrow(/integer/);
    expect(() => validate(shape, { ...ok, n: 9 })).toThrow(/above 5/);
    expect(() => validate(shape, { ...ok, n: Number.NaN })).toThrow(/finite/);
    expect(() => validate(shape, { ...ok, kind: 'c' })).toThrow(/not one of/);
    expect(() => validate(shape, { ...ok, tags: ['a', 'b', 'c', 'd'] })).toThrow(/more than 3/);
    expect(() => validate(shape, { ...ok, done: 'yes' })).toThrow(/boolean/);
    expect(() => validate(shape, ok, 2)).toThrow(/too large/);
    expect(validate(shape, ok, 3)).toEqual(ok);
    expect(validate(none, undefined)).toBeUndefined();
    expect(() => validate(none, null)).toThrow();
  });

  it('takes bytes only as a Uint8Array or ArrayBuffer of this realm, capped, and returns a copy', () => {
    const data = Uint8Array.from([1, 2, 3]);
    const out = validate(bytes(3), data);
    expect(out).toEqual(data);
    data[0] = 9;
    expect(out[0]).toBe(1); // a copy: the sender's buffer can change, the checked bytes do not
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    expect(validate(bytes(3), new ArrayBuffer(2))).toEqual(new Uint8Array(2));
    expect(() => validate(bytes(3), new Uint8Array(4))).toThrow(/more than 3 bytes/);
    class Sub extends Uint8Array {}
    const shared = new Uint8Array(new SharedArrayBuffer(2));
    for (const bad of [new Uint16Array(1), new DataView(new ArrayBuffer(1)), new Sub(1), shared, new SharedArrayBuffer(1), [1, 2], 'bytes', { 0: 1, length: 1 }]) {
      expect(() => validate(bytes(8), bad)).toThrow(ChannelRejection);
    }
    expect(() => validate(bytes(8), data, 2)).toThrow(/too large/);
    // Bytes the schema does not take (in a field it ignores) fail the message.
    expect(() => validate(object({ a: str(5) }), { a: 'x', extra: data }, undefined, 1)).toThrow(StrayBytes);
    expect(validate(object({ a: str(5), b: bytes(8) }), { a: 'x', b: data }, undefined, 1)).toEqual({ a: 'x', b: Uint8Array.from([9, 2, 3]) });
  });
});

interface Api {
  add(a: number, b: number): Promise<number>;
  fail(): Promise<void>;
  nothing(): Promise<void>;
  read(): Promise<Uint8Array>;
}
interface Events {
  note: { text: string };
}

/** The page's channel on one end of a MessageChannel; the test plays the (hostile) worker on the other. */
function pair() {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const notes: unknown[] = [];
  const channel = openChannel<Api, Events>(port1 as unknown as WorkerEndpoint, {
    name: 'test',
    replies: { add: int(), fail: none, nothing: none, read: bytes(8) },
    events: { note: { check: object({ text: str(100) }), handle: (v) => notes.push(v) } },
  });
  const fromPage: { data: unknown; ports: readonly unknown[] }[] = [];
  port2.addEventListener('message', (e) => fromPage.push({ data: e.data, ports: e.ports }));
  port2.start();
  return { channel, worker: port2, notes, fromPage };
}

const until = (f: () => boolean) => expect.poll(f, { timeout: 5000 }).toBe(true);
const call = (fromPage: { data: unknown }[], i: number) => fromPage[i]!.data as { id: string; type: string; path: string[]; argumentList: { type: string; value: unknown }[] };

describe('openChannel against a hostile peer', () => {
  it('answers no comlink request from the worker and runs no page function', async () => {
    let ran = false;
    g.__l0Canary = () => {
      ran = true;
    };
    const { channel, worker, fromPage } = pair();
    const body = { type: 'RAW', value: 'globalThis.__pwned = 1' };
    for (const path of [[], ['__proto__'], ['constructor', 'constructor'], ['__l0Canary'], ['remote']]) {
      for (const type of ['GET', 'SET', 'APPLY', 'CONSTRUCT', 'ENDPOINT', 'RELEASE']) {
        worker.postMessage({ id: `evil-${type}-${path.join('.')}`, type, path, value: body, argumentList: [body] });
      }
    }
    worker.postMessage({ id: 'x', type: 'SET', path: ['__proto__', 'polluted'], value: { type: 'RAW', value: 1 } });
    await until(() => channel.stats().received >= 31);
    expect(fromPage).toEqual([]);
    expect(ran).toBe(false);
    expect(g.__pwned).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(channel.stats().dropped).toBe(31);
  });

  it('checks each reply against the method it answers, once; replays and strangers are dropped', async () => {
    const { channel, worker, fromPage } = pair();
    const sum = channel.remote.add(2, 3);
    await until(() => fromPage.length === 1);
    const req = call(fromPage, 0);
    expect(req).toMatchObject({ type: 'APPLY', path: ['add'], argumentList: [{ type: 'RAW', value: 2 }, { type: 'RAW', value: 3 }] });
    expect(fromPage[0]!.ports).toHaveLength(0);
    worker.postMessage({ id: 'not-ours', type: 'RAW', value: 99 });
    worker.postMessage({ id: req.id, type: 'RAW', value: 5 });
    worker.postMessage({ id: req.id, type: 'RAW', value: 6 });
    expect(await sum).toBe(5);
    await until(() => channel.stats().reasons['reply to no pending call'] === 2);

    const wrong = channel.remote.add(1, 1);
    await until(() => fromPage.length === 2);
    worker.postMessage({ id: call(fromPage, 1).id, type: 'RAW', value: { valueOf: 'x' } });
    await expect(wrong).rejects.toThrow(/invalid reply to add/);
  });

  it("rebuilds errors from their strings: no Object.assign of worker data, no 'proxy' handler", async () => {
    const { channel, worker, fromPage } = pair();
    const failing = channel.remote.fail();
    await until(() => fromPage.length === 1);
    const value = JSON.parse('{"message": "boom", "name": "DeviceLostError", "stack": "s", "__proto__": {"polluted": 1}}');
    worker.postMessage({ id: call(fromPage, 0).id, type: 'HANDLER', name: 'throw', value: { isError: true, value } });
    const e = (await failing.then(() => null, (x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(e)).toBe(Error.prototype);
    expect([e.name, e.message]).toEqual(['DeviceLostError', 'boom']);
    expect((e as unknown as Record<string, unknown>).polluted).toBeUndefined();

    const proxied = channel.remote.nothing();
    await until(() => fromPage.length === 2);
    const { port1: theirs, port2: kept } = new MessageChannel();
    ports.push(theirs, kept);
    const seen: unknown[] = [];
    kept.addEventListener('message', (ev) => seen.push(ev.data));
    kept.start();
    worker.postMessage({ id: call(fromPage, 1).id, type: 'HANDLER', name: 'proxy', value: theirs }, [theirs]);
    await expect(proxied).rejects.toThrow(ChannelRejection);
    expect(seen).toEqual([]);
  });

  it('delivers checked events as fresh objects and drops unknown, invalid or port-carrying ones', async () => {
    const { channel, worker, notes } = pair();
    worker.postMessage(JSON.parse('{"event": "note", "text": "hi", "__proto__": {"polluted": 1}}'));
    worker.postMessage({ event: 'note', text: 'x'.repeat(101) });
    worker.postMessage({ event: 'toString' });
    worker.postMessage({ event: '__proto__', text: 'x' });
    const { port1 } = new MessageChannel();
    ports.push(port1);
    worker.postMessage({ event: 'note', text: 'with port' }, [port1]);
    worker.postMessage({ event: 'note', text: 'buffer', b: new ArrayBuffer(1) });
    worker.postMessage({ event: 'note', text: 'shared', b: new SharedArrayBuffer(1) });
    await until(() => channel.stats().received === 7);
    expect(notes).toEqual([{ text: 'hi' }]);
    expect(Object.getPrototypeOf(notes[0])).toBe(Object.prototype);
    expect(channel.stats().reasons).toMatchObject({ 'invalid note event': 1, 'unknown event': 2, 'carries ports': 1, 'not plain data': 2 });
  });

  it('takes bytes in a reply whose schema wants them, as a fresh copy; shared memory and oversized bytes fail the call', async () => {
    const { channel, worker, fromPage } = pair();
    const read = channel.remote.read();
    await until(() => fromPage.length === 1);
    worker.postMessage({ id: call(fromPage, 0).id, type: 'RAW', value: Uint8Array.from([7, 8]) });
    expect(await read).toEqual(Uint8Array.from([7, 8]));
    const shared = channel.remote.read();
    await until(() => fromPage.length === 2);
    worker.postMessage({ id: call(fromPage, 1).id, type: 'RAW', value: new Uint8Array(new SharedArrayBuffer(2)) });
    await expect(shared).rejects.toThrow(/invalid reply to read/);
    const big = channel.remote.read();
    await until(() => fromPage.length === 3);
    worker.postMessage({ id: call(fromPage, 2).id, type: 'RAW', value: new Uint8Array(9) });
    await expect(big).rejects.toThrow(/more than 8 bytes/);
    const stray = channel.remote.add(1, 1);
    await until(() => fromPage.length === 4);
    worker.postMessage({ id: call(fromPage, 3).id, type: 'RAW', value: 2, extra: new Uint8Array(1) });
    await expect(stray).rejects.toThrow(/no schema reads/);
  });

  it('sends only calls of the API, with plain arguments and nothing transferred', async () => {
    const { channel, fromPage } = pair();
    const remote = channel.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & { set: unknown };
    await expect(remote.evalSomething!()).rejects.toThrow(/only calls of the test worker's own methods/);
    await expect((channel.remote as unknown as { add: { x: Promise<unknown> } }).add.x).rejects.toThrow(ChannelRejection);
    await expect(channel.remote.add(Comlink.proxy({ f: () => 1 }) as unknown as number, 1)).rejects.toThrow(/plain values/);
    const buf = new ArrayBuffer(8);
    await expect(channel.remote.add(Comlink.transfer(buf, [buf]) as unknown as number, 1)).rejects.toThrow(/nothing is transferred/);
    expect(fromPage).toEqual([]);
  });

  it('close() rejects the calls still waiting', async () => {
    const { channel } = pair();
    const waiting = channel.remote.add(1, 2);
    channel.close('the worker was stopped');
    await expect(waiting).rejects.toThrow(/the worker was stopped/);
    await expect(channel.remote.add(1, 2)).rejects.toThrow(/gone/);
  });
});

describe('the worker side of tool-call ids (core.ts, real Pyodide)', () => {
  it('takes a JSPI tool reply only for the call that waits for it: forged and replayed replies are ignored', async () => {
    const py = await loadPyodide();
    const posted: { event: string; fields: unknown }[] = [];
    const post = ((event, fields) => void posted.push({ event, fields })) as PostEvent;
    const { api } = await installRuntime(py, { tools: [{ name: 'echo', params: ['value'], doc: '' }], notepad: { todos: [], facts: [], draft: '' }, preferJspi: false }, post, () => undefined);
    const code = 'import _l0_host\nr1 = await _l0_host.call_tool_async("echo", \'{"value": 1}\')\nr2 = await _l0_host.call_tool_async("echo", \'{"value": 2}\')\n(r1, r2)';
    const cell = api.runCell(1, code, 10_000);
    const calls = () => posted.filter((p) => p.event === 'tool-call').map((p) => p.fields as WorkerEvents['tool-call']);
    await until(() => calls().length === 1);
    expect(calls()[0]).toMatchObject({ cellId: 1, callId: 1, name: 'echo', viaAtomics: false });
    await api.toolReply(2, '"forged for a call not made yet"');
    await api.toolReply(0, '"forged"');
    await api.toolReply(1, '"first"');
    await until(() => calls().length === 2);
    await api.toolReply(1, '"replayed"');
    await api.toolReply(2, '"second"');
    const r = await cell;
    expect(r.error).toBeUndefined();
    expect(r.result).toBe(`('"first"', '"second"')`);
  });
});
