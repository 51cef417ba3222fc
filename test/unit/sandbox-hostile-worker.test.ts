// The Node sandbox host (real host code: host.ts, worker-lifecycle.ts, tool-channel.ts, the checking
// channel) against a hostile worker thread: arbitrary JavaScript where the Pyodide worker should be
// (test/security/support/hostile-sandbox-worker.ts). Nothing it sends may run a host function, write
// a host prototype, get a tool run past the caps, or leave the sandbox unusable.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyodideSandbox } from '../../src/sandbox/host';
import { bundleWorkerEntry, nodePlatform } from '../../src/sandbox/node-host';
import type { CellResult, StreamChunk, Tool } from '../../src/protocols';

const hostileUrl = () => bundleWorkerEntry(fileURLToPath(new URL('../security/support/hostile-sandbox-worker.ts', import.meta.url)));

const g = globalThis as Record<string, unknown>;
let canaryRan = false;
g.__l0Canary = () => {
  canaryRan = true;
};

const toolStats = { runs: 0, running: 0, maxRunning: 0 };
const slowEcho: Tool = {
  name: 'slow_echo',
  params: ['value'],
  signature: 'slow_echo(value)',
  description: 'echoes after 40 ms',
  example: 'slow_echo(1)',
  run: async (args) => {
    toolStats.runs++;
    toolStats.running++;
    toolStats.maxRunning = Math.max(toolStats.maxRunning, toolStats.running);
    await new Promise((r) => setTimeout(r, 40));
    toolStats.running--;
    return args.value;
  },
};

function hostIntact(): string[] {
  const bad: string[] = [];
  for (const [name, proto] of [['Object', Object.prototype], ['Function', Function.prototype], ['Array', Array.prototype], ['Error', Error.prototype]] as const) {
    for (const k of Object.getOwnPropertyNames(proto)) if (/pwned|polluted/i.test(k)) bad.push(`${name}.prototype.${k}`);
  }
  for (const k of Object.getOwnPropertyNames(globalThis)) if (/pwned|polluted/i.test(k)) bad.push(`globalThis.${k}`);
  if (({} as Record<string, unknown>).polluted !== undefined) bad.push('({}).polluted');
  if (canaryRan) bad.push('__l0Canary ran');
  return bad;
}

const report = (r: CellResult) => JSON.parse(r.stdout) as { answers: string[]; portsFromPage: number; nonRawArgs: number; replies?: { callId: number; reply: string }[]; atomicRepliesFor?: number[] };

let sb: PyodideSandbox;
beforeAll(async () => {
  sb = await PyodideSandbox.start(nodePlatform(hostileUrl), { tools: [slowEcho], timeoutMs: 20_000 });
});
afterAll(async () => {
  await sb?.dispose();
  delete g.__l0Canary;
});

describe('a hostile worker thread against the Node host', () => {
  it('starts, although it sent comlink requests before answering init', () => {
    expect(sb.info.pyodideVersion).toBe('hostile');
    expect(hostIntact()).toEqual([]);
    expect(sb.channelStats().dropped).toBeGreaterThan(40);
  });

  it('comlink GET/SET/APPLY/CONSTRUCT/ENDPOINT on its port and on a port it hands over get no answer and run nothing', async () => {
    const r = await sb.runCell('attack:comlink');
    const rep = report(r);
    expect(rep.answers).toEqual([]);
    // The page never hands the worker a port or a proxy.
    expect(rep.portsFromPage).toBe(0);
    expect(rep.nonRawArgs).toBe(0);
    expect(hostIntact()).toEqual([]);
    expect(sb.channelStats().reasons['reply to no pending call']).toBeGreaterThan(40);
  });

  it('__proto__ and constructor keys in events and replies are inert: fresh objects from the checked fields', async () => {
    const chunks: StreamChunk[] = [];
    const r = await sb.runCell('attack:pollute', { onStream: (c) => chunks.push(c) });
    expect(r.stdout).toBe('polluted result\n');
    expect(chunks.map((c) => c.text)).toEqual(['polluted stream\n']);
    for (const o of [r.notepad!, r.notepad!.todos[0]!, r.error!, chunks[0]!]) {
      expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(o)).not.toContain('__proto__');
      expect((o as unknown as Record<string, unknown>).polluted).toBeUndefined();
    }
    expect(r.notepad).toEqual({ todos: [{ text: 't', done: false }], facts: ['f'], draft: 'd' });
    expect(sb.channelStats().reasons['unknown event']).toBeGreaterThanOrEqual(3);
    expect(hostIntact()).toEqual([]);
  });

  it("an error reply with own __proto__ keys (comlink's 'throw' handler) is rebuilt from its strings", async () => {
    const r = await sb.runCell('attack:throw-proto');
    expect(r.status).toBe('error');
    expect(r.restarted).toBe(true);
    expect(r.error!.evalue).toMatch(/the Python worker crashed \(boom\)/);
    expect(hostIntact()).toEqual([]);
    expect((await sb.runCell('1')).result).toBe("'hostile ok'");
  });

  it("a 'proxy' reply carrying its port is refused (the page never wraps a worker port)", async () => {
    const r = await sb.runCell('attack:proxy-reply');
    expect(r.error!.evalue).toMatch(/invalid reply to runCell/);
    const next = report(await sb.runCell('attack:comlink'));
    expect(next.answers).toEqual([]);
    expect(hostIntact()).toEqual([]);
  });

  it('ports, Dates, buffers, Maps and arrays are dropped', async () => {
    const chunks: StreamChunk[] = [];
    const before = sb.channelStats().reasons['not plain data'] ?? 0;
    await sb.runCell('attack:ports', { onStream: (c) => chunks.push(c) });
    const texts = chunks.map((c) => c.text);
    expect(texts).not.toContain('port in a field\n');
    expect(texts).not.toContain('buffer\n');
    expect(texts).not.toContain('array\n');
    expect(texts.every((t) => typeof t === 'string')).toBe(true);
    expect((sb.channelStats().reasons['not plain data'] ?? 0) - before).toBeGreaterThanOrEqual(2);
    expect(hostIntact()).toEqual([]);
  });

  it('oversized and deeply nested messages are dropped; an oversized cell result fails the cell clearly', async () => {
    const chunks: StreamChunk[] = [];
    const runsBefore = toolStats.runs;
    const r = await sb.runCell('attack:huge', { onStream: (c) => chunks.push(c) });
    expect(chunks).toEqual([]);
    expect(toolStats.runs).toBe(runsBefore);
    expect(r.status).toBe('error');
    expect(r.error!.evalue).toMatch(/invalid reply to runCell: stdout: string longer than/);
    expect(r.restarted).toBe(true);
    expect((await sb.runCell('1')).result).toBe("'hostile ok'");
  });

  it('a replayed reply and replies to calls never made are dropped', async () => {
    const before = sb.channelStats().reasons['reply to no pending call'] ?? 0;
    const r = await sb.runCell('attack:replay');
    expect(r.stdout).toBe('first answer\n');
    await expect.poll(() => (sb.channelStats().reasons['reply to no pending call'] ?? 0) - before).toBeGreaterThanOrEqual(3);
  });

  it('60 concurrent tool calls: 30 run (at most 4 at once), 30 are refused at once; replayed and skipped ids are refused', async () => {
    toolStats.runs = 0;
    toolStats.maxRunning = 0;
    const refusedBefore = sb.channelStats().refusedToolCalls;
    const r = await sb.runCell('attack:flood');
    const replies = report(r).replies!;
    expect(toolStats.runs).toBe(30);
    expect(toolStats.maxRunning).toBeLessThanOrEqual(4);
    // Every call is answered once, by its own id, and nothing else is.
    expect(replies.map((x) => x.callId).sort((a, b) => a - b)).toEqual([...new Set(replies.map((x) => x.callId))].sort((a, b) => a - b));
    expect(replies).toHaveLength(60);
    const ok = replies.filter((x) => JSON.parse(x.reply).ok === true);
    expect(ok).toHaveLength(30);
    expect(replies.filter((x) => /too many tool calls in one cell/.test(x.reply))).toHaveLength(30);
    expect(sb.channelStats().refusedToolCalls - refusedBefore).toBeGreaterThanOrEqual(2);
    // The records of the cell stay bounded: the calls that ran plus the first refusal.
    expect(r.toolCalls).toHaveLength(31);
  });

  it('40 blocking (Atomics) tool calls at once: at most 30 run, one reply is written per blocked call', async () => {
    toolStats.runs = 0;
    toolStats.maxRunning = 0;
    const r = await sb.runCell('attack:flood-atomics');
    expect(toolStats.runs).toBeLessThanOrEqual(30);
    expect(toolStats.maxRunning).toBeLessThanOrEqual(4);
    expect(report(r).atomicRepliesFor!.length).toBeGreaterThan(0);
    expect(hostIntact()).toEqual([]);
  });

  it('still runs ordinary cells afterwards, with every host canary intact', async () => {
    expect(await sb.runCell('anything')).toMatchObject({ status: 'ok', result: "'hostile ok'" });
    expect(hostIntact()).toEqual([]);
  });
});

describe('the per-run tool cap', () => {
  it('counts calls since the sandbox was created or reset(), across cells', async () => {
    const box = await PyodideSandbox.start(nodePlatform(hostileUrl), { tools: [slowEcho], toolLimits: { maxCallsPerRun: 45 } });
    try {
      toolStats.runs = 0;
      await box.runCell('attack:flood');
      expect(toolStats.runs).toBe(30);
      const second = report(await box.runCell('attack:flood')).replies!;
      expect(toolStats.runs).toBe(45);
      expect(second.filter((x) => /too many tool calls in this run \(limit 45\)/.test(x.reply))).toHaveLength(45);
      await box.reset();
      await box.runCell('attack:flood');
      expect(toolStats.runs).toBe(75);
      // A cell of another run (a follow-up question in the same sandbox) gets a fresh budget; the
      // same run keeps counting.
      await box.runCell('attack:flood', { run: 'session#2' });
      expect(toolStats.runs).toBe(105);
      await box.runCell('attack:flood', { run: 'session#2' });
      expect(toolStats.runs).toBe(120);
      await box.runCell('attack:flood', { run: 'session#3' });
      expect(toolStats.runs).toBe(150);
    } finally {
      await box.dispose();
    }
  });
});
