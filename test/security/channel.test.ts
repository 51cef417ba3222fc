// Red team of the page <-> worker channels, in Chromium against the built app (harness.html,
// window.l0): the real page-side code (createPyodideSandbox, WebLLMEngine.create) with the worker
// replaced by attacker JavaScript (support/hostile-sandbox-worker.ts, support/hostile-webllm-worker.ts)
// — the worst case docs/security.md assumes. Nothing the worker sends may run a page function, write
// a page prototype, get more tool requests out than the caps allow, or leave the page unusable.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { plantCanaries, readCanaries, startCanaryServer, type CanaryServer } from './support/canaries';
import { DIST } from './support/targets';

const bundled = new Map<string, Promise<string>>();
function bundle(name: string): Promise<string> {
  let p = bundled.get(name);
  if (!p) {
    p = build({
      entryPoints: [fileURLToPath(new URL(`./support/${name}.ts`, import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      external: ['node:*'],
      write: false,
    }).then((r) => r.outputFiles[0]!.text);
    bundled.set(name, p);
  }
  return p;
}

async function serve(isolation: boolean): Promise<StaticServer> {
  const [sandboxJs, webllmJs] = await Promise.all([bundle('hostile-sandbox-worker'), bundle('hostile-webllm-worker')]);
  const headers: Record<string, string> = isolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
  return startStaticServer({
    root: DIST,
    isolation,
    handle: (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = path === '/__hostile/sandbox.js' ? sandboxJs : path === '/__hostile/webllm.js' ? webllmJs : undefined;
      if (body === undefined) return false;
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-cache', ...headers }).end(body);
      return true;
    },
  });
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const tried: string[] = [];

interface CellOutcome {
  status: string;
  stdout: string;
  result?: string;
  error?: string;
  restarted: boolean;
  streamed: string[];
  toolCalls: number;
}

async function openPage(server: StaticServer, canary: CanaryServer): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + 'harness.html');
  await page.waitForFunction(() => (window as any).l0Ready === true);
  await plantCanaries(page);
  await page.evaluate((canaryUrl) => {
    const w = window as any;
    w.__canaryCalls = 0;
    // A page function an RPC server would let the worker call by name.
    w.__l0Canary = () => {
      w.__canaryCalls++;
    };
    w.__toolStats = { runs: 0, running: 0, max: 0 };
    w.__tools = [
      {
        name: 'slow_echo',
        params: ['value'],
        signature: 'slow_echo(value)',
        description: 'fetches the canary server, then echoes',
        example: 'slow_echo(1)',
        run: async (args: { value: unknown }) => {
          const s = w.__toolStats;
          s.runs++;
          s.running++;
          s.max = Math.max(s.max, s.running);
          try {
            await fetch(`${canaryUrl}/tool?v=${encodeURIComponent(String(args.value))}`);
            await new Promise((r) => setTimeout(r, 30));
          } finally {
            s.running--;
          }
          return args.value;
        },
      },
    ];
  }, canary.url);
  return { page, errors };
}

async function pageIntact(page: Page): Promise<string[]> {
  const bad = await page.evaluate(() => {
    const w = window as any;
    const out: string[] = [];
    if (w.__canaryCalls !== 0) out.push('__l0Canary ran');
    if (({} as any).polluted !== undefined) out.push('({}).polluted');
    for (const [name, proto] of [['Error', Error.prototype]] as const) for (const k of Object.getOwnPropertyNames(proto)) if (/pwned|polluted/i.test(k)) out.push(`${name}.prototype.${k}`);
    return out;
  });
  const canaries = await readCanaries(page);
  return [...bad, ...canaries.appGlobalsPolluted, ...(canaries.idb === 'intact' && canaries.localStorage === 'intact' && canaries.dom === 'intact' ? [] : ['storage or DOM canary changed'])];
}

describe.each([false, true])('a hostile sandbox worker against the page (COOP/COEP: %s)', (isolation) => {
  let server: StaticServer;
  let canary: CanaryServer;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await serve(isolation);
    canary = await startCanaryServer();
    ({ page, errors } = await openPage(server, canary));
    const info = await page.evaluate(async () => {
      const w = window as any;
      w.__sb = await w.l0.createPyodideSandbox({
        tools: w.__tools,
        timeoutMs: 20_000,
        createWorker: () => new Worker('/__hostile/sandbox.js', { type: 'module', name: 'hostile' }),
      });
      return w.__sb.info;
    });
    expect(info.pyodideVersion).toBe('hostile');
  });
  afterAll(async () => {
    await page?.context().close();
    await Promise.all([server?.close(), canary?.close()]);
  });

  const run = (code: string): Promise<CellOutcome> => {
    tried.push(`sandbox ${isolation ? 'isolated' : 'plain'}: ${code}`);
    return page.evaluate(async (c) => {
      const streamed: string[] = [];
      const r = await (window as any).__sb.runCell(c, { onStream: (ch: { text: unknown }) => streamed.push(typeof ch.text === 'string' ? ch.text : `NOT TEXT: ${typeof ch.text}`) });
      return { status: r.status, stdout: r.stdout, result: r.result, error: r.error ? `${r.error.ename}: ${r.error.evalue}` : undefined, restarted: r.restarted, streamed, toolCalls: r.toolCalls.length };
    }, code);
  };
  const stats = () => page.evaluate(() => (window as any).__sb.channelStats()) as Promise<{ dropped: number; reasons: Record<string, number>; refusedToolCalls: number }>;
  const toolRequests = () => canary.requests.filter((r) => r.startsWith('GET /tool')).length;

  it('comlink GET/SET/APPLY/CONSTRUCT/ENDPOINT on the worker port and on a port it hands over: no answer, nothing runs', async () => {
    const r = await run('attack:comlink');
    const rep = JSON.parse(r.stdout) as { answers: string[]; portsFromPage: number; nonRawArgs: number };
    expect(rep.answers).toEqual([]);
    expect(rep.portsFromPage).toBe(0);
    expect(rep.nonRawArgs).toBe(0);
    expect(r.streamed).not.toContain('with a port');
    expect((await stats()).reasons['reply to no pending call']).toBeGreaterThan(80);
    expect(await pageIntact(page)).toEqual([]);
  });

  it('__proto__/constructor keys in events and results are inert', async () => {
    const r = await run('attack:pollute');
    expect(r.stdout).toBe('polluted result\n');
    expect(r.streamed).toEqual(['polluted stream\n']);
    expect(await pageIntact(page)).toEqual([]);
  });

  it("an error reply with own __proto__ keys is rebuilt; a 'proxy' reply with a port is refused", async () => {
    const thrown = await run('attack:throw-proto');
    expect(thrown).toMatchObject({ status: 'error', restarted: true });
    expect(thrown.error).toMatch(/crashed \(boom\)/);
    const proxied = await run('attack:proxy-reply');
    expect(proxied.error).toMatch(/invalid reply to runCell/);
    const rep = JSON.parse((await run('attack:comlink')).stdout) as { answers: string[] };
    expect(rep.answers).toEqual([]);
    expect(await pageIntact(page)).toEqual([]);
  });

  it('ports, non-plain values, oversized and deeply nested messages are dropped', async () => {
    const ports = await run('attack:ports');
    expect(ports.streamed.filter((t) => /port|buffer|array|NOT TEXT/.test(t))).toEqual([]);
    const huge = await run('attack:huge');
    expect(huge.streamed).toEqual([]);
    expect(huge.error).toMatch(/invalid reply to runCell: stdout: string longer than/);
    const s = await stats();
    expect(s.reasons['carries ports']).toBeGreaterThanOrEqual(2);
    expect(s.reasons['not plain data']).toBeGreaterThanOrEqual(3);
    expect(s.reasons['not a plain object']).toBeGreaterThanOrEqual(2);
    expect(await pageIntact(page)).toEqual([]);
  });

  it('replayed replies and replies to calls never made are dropped', async () => {
    const r = await run('attack:replay');
    expect(r.stdout).toBe('first answer\n');
  });

  it('60 concurrent tool calls reach the network at most 30 times, 4 at once; replayed and skipped ids are refused', async () => {
    const before = toolRequests();
    await page.evaluate(() => Object.assign((window as any).__toolStats, { runs: 0, max: 0 }));
    const r = await run('attack:flood');
    const replies = (JSON.parse(r.stdout) as { replies: { callId: number; reply: string }[] }).replies;
    expect(replies).toHaveLength(60);
    expect(replies.filter((x) => JSON.parse(x.reply).ok === true)).toHaveLength(30);
    await expect.poll(() => toolRequests() - before).toBe(30);
    const s = await page.evaluate(() => (window as any).__toolStats);
    expect(s.runs).toBe(30);
    expect(s.max).toBeLessThanOrEqual(4);
    expect((await stats()).refusedToolCalls).toBeGreaterThanOrEqual(2);
  });

  it('40 blocking (Atomics) tool calls sent at once reach the network at most 30 times', async () => {
    const before = toolRequests();
    await run('attack:flood-atomics');
    const s = await page.evaluate(() => (window as any).__toolStats);
    expect(toolRequests() - before).toBeLessThanOrEqual(30);
    expect(s.max).toBeLessThanOrEqual(4);
  });

  it('the sandbox still works afterwards and every page canary is intact', async () => {
    expect(await run('print("hi")')).toMatchObject({ status: 'ok', result: "'hostile ok'" });
    expect(await pageIntact(page)).toEqual([]);
    expect(canary.requests.filter((r) => !r.startsWith('GET /tool'))).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('a hostile WebLLM worker against the page', () => {
  let server: StaticServer;
  let canary: CanaryServer;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await serve(false);
    canary = await startCanaryServer();
    ({ page, errors } = await openPage(server, canary));
  });
  afterAll(async () => {
    await page?.context().close();
    await Promise.all([server?.close(), canary?.close()]);
  });

  it('loads with only the checked progress reports, streams rebuilt chunks, rebuilds errors, and runs nothing on the page', async () => {
    tried.push('webllm: comlink requests + ports + __proto__/huge/non-numeric progress during load', 'webllm: chunks with __proto__ keys + replayed done', 'webllm: throw with __proto__', 'webllm: proxy reply with a port', 'webllm: chunk with non-text content');
    const out = await page.evaluate(async () => {
      const l0 = (window as any).l0;
      const progress: string[] = [];
      const engine = await l0.WebLLMEngine.create({
        modelId: l0.listModels()[0].id,
        detect: false,
        // No weights are served here: the worker is the attacker, not the model.
        checkWeights: false,
        createWorker: () => new Worker('/__hostile/webllm.js', { type: 'module', name: 'hostile-webllm' }),
        onProgress: (p: { phase: string; message: string }) => progress.push(`${p.phase}: ${p.message}`),
      });
      const tokens: string[] = [];
      const first = await engine.generate([{ role: 'user', content: 'hi' }], { onToken: (t: string) => tokens.push(t) });
      const fail = (p: Promise<unknown>) =>
        p.then(
          () => ({ name: 'resolved', kind: undefined, message: '', proto: false }),
          (e: any) => ({ name: e?.name, kind: e?.kind, message: String(e?.message), proto: Object.getPrototypeOf(e) === Object.getPrototypeOf(new l0.L0Error({ kind: 'internal', message: 'x' })) }),
        );
      const thrown = await fail(engine.generate([{ role: 'user', content: 'again' }]));
      const proxied = await fail(engine.generate([{ role: 'user', content: 'again' }]));
      const notText = await fail(engine.generate([{ role: 'user', content: 'again' }]));
      const report = JSON.parse(await engine.runtimeStats());
      await engine.dispose();
      return { progress, text: first.text, tokens, usage: first.usage, thrown, proxied, notText, report };
    });
    expect(out.text).toBe('Hello world');
    expect(out.tokens.join('')).toBe('Hello world');
    // WebLLM's completion count leaves out the first token; the engine adds it back (webllm.ts).
    expect(out.usage).toMatchObject({ promptTokens: 3, completionTokens: 3 });
    // The two well-formed reports (one carried __proto__ keys), then ready; the malformed ones were dropped.
    expect(out.progress.filter((p) => p.startsWith('download'))).toHaveLength(2);
    expect(out.progress.join('\n')).not.toMatch(/xxxxx|with a port|not a number/);
    expect(out.thrown).toMatchObject({ name: 'L0Error', kind: 'internal', proto: true });
    expect(out.thrown.message).toMatch(/boom from the worker/);
    expect(out.proxied).toMatchObject({ name: 'L0Error' });
    expect(out.proxied.message).toMatch(/invalid reply to nextChunk/);
    expect(out.notText.message).toMatch(/invalid reply to nextChunk: value\.choices\[0\]\.delta\.content/);
    expect(out.report).toEqual({ answers: [], portsFromPage: 0, nonRawArgs: 0 });
    expect(await pageIntact(page)).toEqual([]);
    expect(canary.requests).toEqual([]);
    expect(errors).toEqual([]);
  });
});

afterAll(() => {
  // For the security docs' count (each test above fails unless its attacks were blocked).
  console.info(`channel red team: ${tried.length} attack runs tried`);
});
