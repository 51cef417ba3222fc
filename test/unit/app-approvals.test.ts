// "Ask before fetching" through the whole app core in Node: the controller, the real agent loop and
// the real Pyodide sandbox (worker thread, Atomics tool bridge). The model's code calls
// get_webpage_in_markdown on a canary site through a local reader proxy (works like Jina Reader);
// the question shows up in state.approvals and is answered, withdrawn by Stop, or waited for past
// every timeout.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/index';
import { createAppController, type AppController, type PendingApproval } from '../../src/app/index';
import { settingsFromSaved } from '../../src/app/settings';
import { optionsFromAttributes } from '../../src/embed/options';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { ChatMessage, Sandbox, Tool } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { MemoryStore } from '../../src/store/index';
import { jinaReader } from '../../src/tools/jina';
import { getWebpageTool } from '../../src/tools/web';
import { SLOW_MS, SLOW_PATH, startCanarySite, startReaderProxy, type TestServer } from '../support/reader-proxy';

const CELL_TIMEOUT_MS = 3000;
const TOOL_TIMEOUT_MS = 1000;
const turn = (code: string) => `<think>Go.</think>\n<code>\n${code}\n</code><end_code>`;

let canary: TestServer;
let proxy: TestServer;
let app: AppController;
let sandbox: Sandbox | undefined;
/** The code of the model's first turn (set by each test); its second turn answers. */
let firstTurn = '';
/** What the model was shown after its first cell. */
let observation = '';

function lastUserText(messages: ChatMessage[]): string {
  return String([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
}

/** The next question of the fetch gate, as the views get it. */
function nextApproval(): Promise<PendingApproval> {
  return new Promise((resolve) => {
    const check = (s: AppController['state']) => {
      if (!s.approvals.length) return false;
      off();
      resolve(s.approvals[0]!);
      return true;
    };
    const off = app.subscribe((s) => void check(s));
    check(app.state);
  });
}

beforeAll(async () => {
  [canary, proxy] = await Promise.all([startCanarySite(), startReaderProxy()]);
  // A short tool timeout (the shipped tool allows 30 s), so the tests can wait past it.
  const pageTool: Tool = { ...getWebpageTool([jinaReader({ baseUrl: proxy.url })]), timeoutMs: TOOL_TIMEOUT_MS };
  app = createAppController({
    services: {
      store: () => new MemoryStore(),
      tools: () => [pageTool],
      createSandbox: async (tools, onProgress) => (sandbox = await createPyodideSandbox({ tools, onProgress, timeoutMs: CELL_TIMEOUT_MS })),
      createEngine: async () =>
        // One engine serves every run: a run's first turn is the one that has seen no output yet.
        new ScriptedLLM((messages) => {
          if (!messages.some((m) => m.role === 'user' && String(m.content).includes('<output>'))) return turn(firstTurn);
          observation = lastUserText(messages);
          return turn('submit_final_answer("done")');
        }),
      runAgent,
    },
    engine: { kind: 'openai', baseUrl: 'http://model.test/v1', model: 'm' },
    settings: { askBeforeFetch: true },
  });
});
afterAll(async () => {
  await app?.dispose();
  await Promise.all([canary?.close(), proxy?.close()]);
});
beforeEach(() => {
  canary.requests.length = 0;
  proxy.requests.length = 0;
  observation = '';
});

describe('ask before fetching, in the app over the real Python sandbox', () => {
  it('deny: the question is state (tool, URL, host, step); the canary gets nothing; the model reads that it was refused', async () => {
    const url = `${canary.url}/?secret=hunter2`;
    firstTurn = `print(get_webpage_in_markdown("${url}"))`;
    const run = app.run('Read the page.');
    const q = await nextApproval();
    expect(q).toMatchObject({ tool: 'get_webpage_in_markdown', args: { url }, url, host: canary.host, step: 1 });
    app.resolveApproval(q.id, 'deny');
    const { trajectory } = await run;
    expect(trajectory?.status).toBe('answered');
    expect(app.state.approvals).toEqual([]);
    expect(canary.requests).toEqual([]);
    expect(proxy.requests).toEqual([]);
    expect(observation).toContain(`ToolError: get_webpage_in_markdown: the user did not allow fetching ${canary.host}`);
    expect(trajectory!.steps[0]!.cell!.toolCalls).toMatchObject([{ name: 'get_webpage_in_markdown', ok: false, error: { message: `the user did not allow fetching ${canary.host}` } }]);
  });

  it('allow once: exactly one request; a second URL on the host asks again', async () => {
    firstTurn = `print(get_webpage_in_markdown("${canary.url}/one"))\nprint(get_webpage_in_markdown("${canary.url}/two"))`;
    const run = app.run('Read two pages.');
    const first = await nextApproval();
    app.resolveApproval(first.id, 'once');
    const second = await nextApproval();
    expect(second.id).not.toBe(first.id);
    expect(canary.requests).toEqual(['GET /one']);
    app.resolveApproval(second.id, 'deny');
    await run;
    expect(canary.requests).toEqual(['GET /one']);
    expect(observation).toContain('Canary page /one');
    expect(observation).toContain('the user did not allow fetching');
  });

  it('allow the host for this run: later calls to it are not asked about; the next run asks again', async () => {
    firstTurn = `print(get_webpage_in_markdown("${canary.url}/a"))\nprint(get_webpage_in_markdown("${canary.url}/b"))`;
    const asked: number[] = [];
    const off = app.subscribe((s) => s.approvals.forEach((a) => !asked.includes(a.id) && asked.push(a.id)));
    const run = app.run('Read two pages.');
    app.resolveApproval((await nextApproval()).id, 'host');
    await run;
    expect(asked).toHaveLength(1);
    expect(canary.requests).toEqual(['GET /a', 'GET /b']);
    const next = app.run('Read them again.');
    app.resolveApproval((await nextApproval()).id, 'deny');
    await next;
    off();
    expect(asked).toHaveLength(2);
    expect(canary.requests).toEqual(['GET /a', 'GET /b']);
  });

  it('Stop while the question is open withdraws it: the run ends, nothing is fetched, Python keeps its variables', async () => {
    firstTurn = `x = 41\nprint(get_webpage_in_markdown("${canary.url}/?secret=hunter2"))`;
    const run = app.run('Read the page.');
    await nextApproval();
    await app.stop();
    const { trajectory } = await run;
    expect(trajectory?.status).toBe('aborted');
    expect(app.state.approvals).toEqual([]);
    expect(trajectory!.steps[0]!.cell).toMatchObject({ status: 'interrupted', restarted: false });
    expect(canary.requests).toEqual([]);
    expect(proxy.requests).toEqual([]);
    expect((await sandbox!.runCell('print(x + 1)')).stdout).toBe('42\n');
  });

  it('neither the tool timeout nor the cell timeout runs while the question is open; both run again after it', async () => {
    firstTurn = `print(get_webpage_in_markdown("${canary.url}/late"))\nprint(get_webpage_in_markdown("${canary.url}${SLOW_PATH}"))`;
    const run = app.run('Read the page, later.');
    const q = await nextApproval();
    // Longer than the cell's and the tool's timeout together: a clock that ran would have ended the call.
    await new Promise((r) => setTimeout(r, CELL_TIMEOUT_MS + TOOL_TIMEOUT_MS + 500));
    expect(app.state.approvals).toEqual([q]);
    app.resolveApproval(q.id, 'host');
    const { trajectory } = await run;
    const cell = trajectory!.steps[0]!.cell!;
    expect(cell.stdout).toContain('Canary page /late');
    // The second page is slow: the tool timeout, running again, ends that call.
    expect(SLOW_MS).toBeGreaterThan(TOOL_TIMEOUT_MS);
    expect(cell.toolCalls?.map((c) => [c.ok, c.error?.message])).toEqual([
      [true, undefined],
      [false, `timed out after ${TOOL_TIMEOUT_MS} ms`],
    ]);
    expect(cell.status).toBe('error');
  });

  it('with the setting off nothing is asked', async () => {
    await app.saveSettings({ ...app.state.settings, askBeforeFetch: false });
    firstTurn = `print(get_webpage_in_markdown("${canary.url}/free"))`;
    const seen: number[] = [];
    const off = app.subscribe((s) => seen.push(s.approvals.length));
    await app.run('Read the page.');
    off();
    expect(seen.every((n) => n === 0)).toBe(true);
    expect(canary.requests).toEqual(['GET /free']);
  });
});

describe('where the setting comes from', () => {
  it('the page keeps it with its settings (off unless saved on); malformed saved values fall back', () => {
    const defaults = { maxSteps: 12, memoryTokens: 0 };
    expect(settingsFromSaved({ maxSteps: 5 }, defaults)).toEqual({ maxSteps: 5, memoryTokens: 0 });
    expect(settingsFromSaved({ askBeforeFetch: true, allowedHosts: ['a.org', '*.b.org'], jinaReaderUrl: 'https://r.jina.ai' }, defaults)).toMatchObject({
      askBeforeFetch: true,
      allowedHosts: ['a.org', '*.b.org'],
      jinaReaderUrl: 'https://r.jina.ai',
    });
    expect(settingsFromSaved({ askBeforeFetch: 'yes', allowedHosts: [1], jinaReaderUrl: 3 }, defaults)).toEqual(defaults);
  });

  it('the widget: ask-before-fetch and allowed-hosts attributes', () => {
    const attrs = (a: Record<string, string>) => optionsFromAttributes((n) => a[n] ?? null);
    expect(attrs({})).toEqual({}); // mount() then asks by default
    expect(attrs({ 'ask-before-fetch': '' }).askBeforeFetch).toBe(true);
    expect(attrs({ 'ask-before-fetch': 'false' }).askBeforeFetch).toBe(false);
    expect(attrs({ 'allowed-hosts': ' docs.example.org, *.example.org\nlocalhost:8000 ' }).allowedHosts).toEqual(['docs.example.org', '*.example.org', 'localhost:8000']);
  });
});
