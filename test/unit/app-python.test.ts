// The app controller with the real Pyodide sandbox (Node worker thread, interrupt buffer and
// Atomics tool bridge): Stop while a cell is blocked in a host tool, and restarting Python.
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/index';
import { createAppController, type AppController } from '../../src/app/index';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { Sandbox, Tool } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { MemoryStore } from '../../src/store/index';

const turn = (code: string) => `<think>Go.</think>\n<code>\n${code}\n</code><end_code>`;

let toolStarted!: () => void;
const started = new Promise<void>((r) => (toolStarted = r));
let toolCancelled = false;
/** A host tool that answers only when its call is cancelled (a slow fetch, a hung server...). */
const waitForHost: Tool = {
  name: 'wait_for_host',
  params: [],
  signature: 'wait_for_host() -> str',
  description: 'Waits for the host.',
  example: 'wait_for_host()',
  timeoutMs: 120_000,
  run: (_args, ctx) =>
    new Promise((_, reject) => {
      toolStarted();
      ctx.signal.addEventListener('abort', () => {
        toolCancelled = true;
        reject(new Error('cancelled by the host'));
      });
    }),
};

const sandboxes: Sandbox[] = [];
let app: AppController;

afterAll(async () => {
  await app?.dispose();
});

describe('the app over the real Python sandbox', () => {
  it('a tool call after stop(): Stop while a cell is blocked in a tool ends the run, cancels the tool, keeps the variables', async () => {
    app = createAppController({
      services: {
        store: () => new MemoryStore(),
        tools: () => [waitForHost],
        createSandbox: async (tools, onProgress) => {
          const s = await createPyodideSandbox({ tools, onProgress });
          sandboxes.push(s);
          return s;
        },
        createEngine: async () => new ScriptedLLM([turn('x = 41\nprint("before")\nprint(wait_for_host())'), turn('submit_final_answer(str(x))')]),
        runAgent,
      },
      engine: { kind: 'openai', baseUrl: 'http://model.test/v1', model: 'm' },
    });
    const run = app.run('Wait for the host.');
    await started;
    expect(app.state.phase).toBe('running');
    await app.stop(); // resolves once the run has ended: nothing hangs
    const { trajectory } = await run;
    expect(trajectory?.status).toBe('aborted');
    expect(app.state).toMatchObject({ phase: 'idle', status: 'Stopped.', error: undefined });
    expect(toolCancelled).toBe(true);
    const cell = trajectory!.steps[0]!.cell!;
    expect(cell).toMatchObject({ status: 'interrupted', restarted: false });
    expect(cell.stdout).toContain('before');
    // With the interrupt buffer the interpreter kept its state: x is still there.
    const sandbox = sandboxes[0]!;
    expect(sandbox.info.interrupt).toBe('interrupt-buffer');
    const after = await sandbox.runCell('print(x + 1)');
    expect(after.stdout).toBe('42\n');
  });

  it('restartPython() disposes the interpreter and starts a new one', async () => {
    const old = sandboxes[0]!;
    await app.restartPython();
    expect(app.state.python.state).toBe('ready');
    expect(sandboxes).toHaveLength(2);
    await expect(old.runCell('1')).rejects.toMatchObject({ kind: 'sandbox' });
    const fresh = await sandboxes[1]!.runCell("print('x' in globals())");
    expect(fresh.stdout).toBe('False\n');
  });
});
