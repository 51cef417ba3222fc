// What a stopped cell keeps (issue 22, item 6), in Node against the real Pyodide: the output it
// printed before Stop stays in the result, with the interruption after it, whether the interrupt
// buffer stopped it (namespace kept) or the worker had to be replaced (a restart).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPyodideSandbox } from '../../src/sandbox/index';
import type { CellResult, Sandbox } from '../../src/protocols';

const TICKS = 'import time\ni = 0\nwhile True:\n    print("tick", i)\n    i += 1\n    time.sleep(0.02)';
// Prints ticks 0-9 at a steady pace, then sits in C code that never checks for KeyboardInterrupt.
const BUSY_TICKS = 'import time\nfor i in range(10):\n    print("tick", i)\n    time.sleep(0.05)\nsum(range(10**12))';

let sb: Sandbox;
beforeAll(async () => {
  sb = await createPyodideSandbox({ interruptGraceMs: 500 } as Parameters<typeof createPyodideSandbox>[0]);
});
afterAll(async () => sb?.dispose());

/** Runs `code`, interrupts it once `tick 7` was streamed, and returns the result and what streamed. */
async function stopAfterTick7(code: string): Promise<{ result: CellResult; streamed: string }> {
  let streamed = '';
  let asked = false;
  const result = await sb.runCell(code, {
    timeoutMs: 60_000,
    onStream: (c) => {
      streamed += c.text;
      if (!asked && /tick 7\n/.test(streamed)) {
        asked = true;
        void sb.interrupt();
      }
    },
  });
  return { result, streamed };
}

describe('a stopped cell keeps its output', () => {
  it('interrupt buffer: stdout has every tick printed, the KeyboardInterrupt is the error, once', async () => {
    const { result, streamed } = await stopAfterTick7(TICKS);
    expect(result.status).toBe('interrupted');
    expect(result.restarted).toBe(false);
    for (let i = 0; i <= 7; i++) expect(result.stdout).toContain(`tick ${i}\n`);
    expect(streamed.startsWith(result.stdout.slice(0, streamed.length)) || result.stdout.startsWith(streamed)).toBe(true);
    expect(result.error?.ename).toBe('KeyboardInterrupt');
  });

  it('a cell that ignores the interrupt (restart): the streamed ticks stay in stdout, the restart note after them', async () => {
    const result = await sb.runCell(BUSY_TICKS, { timeoutMs: 2000 });
    expect(result).toMatchObject({ status: 'timeout', restarted: true });
    for (let i = 0; i <= 7; i++) expect(result.stdout).toContain(`tick ${i}\n`);
    expect(result.stderr).toMatch(/restarted; variables were lost/);
  });
});
