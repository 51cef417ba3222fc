// The tool gateway's slots (at most N calls running at once, the others queued), without Python:
// a stopped cell's queued calls must leave the queue, or the next cell's calls wait forever.
import { describe, expect, it } from 'vitest';
import type { Tool } from '../../src/protocols';
import { ToolGateway } from '../../src/sandbox/tool-gateway';

/** A tool whose calls end when the test says (or when their call is told to stop). */
function heldTool() {
  const running: { name: string; finish: () => void }[] = [];
  const tool: Tool = {
    name: 'held',
    signature: 'held(name: str) -> str',
    params: ['name'],
    description: 'Ends when the test says.',
    example: 'held("a")',
    run: (args, ctx) =>
      new Promise((resolve, reject) => {
        running.push({ name: String(args.name), finish: () => resolve(`done ${String(args.name)}`) });
        ctx.signal?.addEventListener('abort', () => reject(new Error('stopped')));
      }),
  };
  return { tool, running };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('tool call slots', () => {
  it("a stopped cell's queued calls leave the queue: the next cell's calls take the free slots", async () => {
    const { tool, running } = heldTool();
    const gateway = new ToolGateway(new Map([[tool.name, tool]]), { maxConcurrent: 2, timeoutMs: 60_000 });
    const first = gateway.forCell();
    const stopped = Array.from({ length: 12 }, (_, i) => first.call('held', JSON.stringify({ name: `a${i}` })));
    await flush();
    expect(running.map((r) => r.name)).toEqual(['a0', 'a1']); // two run, ten wait
    first.cancel(); // the cell is stopped: every one of its calls ends
    const replies = (await Promise.all(stopped)).map((r) => JSON.parse(r) as { ok?: boolean });
    expect(replies.every((r) => r.ok === false)).toBe(true);

    const next = gateway.forCell();
    const calls = ['b0', 'b1', 'b2', 'b3'].map((name) => next.call('held', JSON.stringify({ name })));
    await flush();
    expect(running.slice(2).map((r) => r.name)).toEqual(['b0', 'b1']);
    running[2]!.finish();
    running[3]!.finish();
    await flush();
    // Each release woke a waiting call of this cell (not a stale one of the stopped cell).
    expect(running.slice(2).map((r) => r.name)).toEqual(['b0', 'b1', 'b2', 'b3']);
    running[4]!.finish();
    running[5]!.finish();
    const results = (await Promise.all(calls)).map((r) => JSON.parse(r) as { ok: boolean; result: string });
    expect(results).toEqual(['b0', 'b1', 'b2', 'b3'].map((n) => ({ ok: true, result: `done ${n}` })));
  });
});

describe('listeners on a cell signal', () => {
  it('are not left behind by finished calls (Node warns past 10 on one signal)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { tool, running } = heldTool();
      const gateway = new ToolGateway(new Map([[tool.name, tool]]), { maxConcurrent: 4, maxCallsPerCell: 30 });
      const cell = gateway.forCell();
      for (let i = 0; i < 25; i++) {
        const call = cell.call('held', JSON.stringify({ name: `c${i}` }));
        await flush();
        running.at(-1)!.finish();
        expect(JSON.parse(await call)).toEqual({ ok: true, result: `done c${i}` });
      }
      await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
