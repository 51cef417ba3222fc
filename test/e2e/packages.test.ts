// Packages from a package source in the built site (harness page) in Chromium: the real browser
// worker (blob worker under the page CSP, hardened and locked down, JSPI), wheels built by the
// tests and served from another origin with CORS (test/support/packages.ts). Import-triggered
// loading with progress, dependencies first, a sha256 mismatch refused, a compiled extension
// compiled only from its verified wheel, Cache Storage, the red-team attempts with a package source
// set (the canary server gets nothing, the package server nothing but the lock's files), and rich
// outputs of a real Python cell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { fixtureSource, PNG_PY, startPackageServer, type PackageServer } from '../support/packages';
import { startStaticServer, type StaticServer } from '../support/static-server';
import { ATTEMPTS, prelude } from '../security/attempts';
import { startCanaryServer, type CanaryServer } from '../security/support/canaries';

let browser: Browser;
let site: StaticServer;
let packages: PackageServer;
let canary: CanaryServer;

beforeAll(async () => {
  browser = await launchChromium();
  site = await startStaticServer({ root: 'dist', isolation: true });
  packages = await startPackageServer(fixtureSource().files);
  canary = await startCanaryServer();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), packages?.close(), canary?.close()]);
});

interface Cell {
  status: string;
  stdout: string;
  stderr: string;
  result?: string;
  error?: { ename: string; evalue: string };
  outputs?: { type: string; data: Record<string, string>; metadata?: Record<string, { width: number; height: number }> }[];
  progress: { name: string; phase: string; message: string }[];
}

async function openSandbox(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.url + 'harness.html');
  await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
  await page.evaluate(async (packageBaseUrl) => {
    const w = window as unknown as Record<string, any>;
    w.sb = await w.l0.createPyodideSandbox({ packageBaseUrl, timeoutMs: 20_000 });
  }, packages.url);
  return page;
}

function run(page: Page, code: string): Promise<Cell> {
  return page.evaluate(async (c) => {
    const w = window as unknown as Record<string, any>;
    const progress: unknown[] = [];
    const r = await w.sb.runCell(c, { onPackage: (p: unknown) => progress.push(p) });
    return { ...r, progress };
  }, code);
}

describe('packages in the browser sandbox', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext();
    page = await openSandbox(context);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('an import loads the package and its dependency first, with progress; the wheels land in Cache Storage', async () => {
    const r = await run(page, 'import l0demo\nprint(l0demo.ANSWER)');
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('42\n');
    expect(r.progress.filter((p) => p.phase !== 'download').map((p) => `${p.name}:${p.phase}`)).toEqual(['l0demo-base:install', 'l0demo:install', 'l0demo-base:ready', 'l0demo:ready']);
    expect(r.progress.some((p) => p.phase === 'download' && /^loading l0demo 2\.0\.0 \d+ kB of \d+ kB…$/.test(p.message))).toBe(true);
    expect(packages.requests).toEqual(['/pkgs/pyodide-lock.json', '/pkgs/l0demo_base-1.0.0-py3-none-any.whl', '/pkgs/l0demo-2.0.0-py3-none-any.whl']);
    const cached = await page.evaluate(() => (window as unknown as Record<string, any>).l0.listCachedPackages());
    expect(cached.map((f: { name: string; bytes: number }) => [f.name, f.bytes > 500])).toEqual([['l0demo', true], ['l0demo_base', true]]);
  });

  it('a wheel whose sha256 does not match the lock is refused, and the model is told so', async () => {
    const r = await run(page, 'import l0badhash');
    expect(r.error?.evalue).toMatch(/^No module named 'l0badhash': package l0badhash could not be loaded \(package l0badhash was refused: the file's sha256 does not match the lock file/);
  });

  it('a compiled extension compiles from its verified wheel only (the lockdown gate, JSPI build)', async () => {
    const r = await run(page, `import l0ext, os, sys, shutil
print(l0ext.answer)
os.makedirs("/tmp/copies", exist_ok=True)
shutil.copy(l0ext.__file__, "/tmp/copies/l0same.cpython-314-wasm32-emscripten.so")
sys.path.insert(0, "/tmp/copies")
try:
    import l0same
    print("copy imported")
except ImportError as e:
    print("copy refused:", "CompileError" in str(e))`);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('42\ncopy refused: True\n');
  });

  it('rich outputs and a figure from the stand-in matplotlib come back from the real worker', async () => {
    const r = await run(page, `${PNG_PY}
import matplotlib.pyplot as plt
class Img:
    def _repr_png_(self): return make_png(16, 8)
display(Img())
plt.plot([1, 2])
import l0demo
l0demo.Table([("x", 1)])`);
    expect(r.error).toBeUndefined();
    expect(r.outputs!.map((o) => [o.type, Object.keys(o.data).sort().join(',')])).toEqual([
      ['display_data', 'image/png,text/plain'],
      ['execute_result', 'text/html,text/plain'],
      ['display_data', 'image/png,text/plain'],
    ]);
    expect(r.outputs![0]!.metadata).toEqual({ 'image/png': { width: 16, height: 8 } });
    expect(r.outputs![2]!.data['text/plain']).toBe('<Figure size 640x480 with 1 Axes>');
  });
});

describe('the red-team attempts with a package source set (WebAssembly compilation gated, not off)', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext();
    page = await openSandbox(context);
    await run(page, 'import l0demo');
    packages.requests.length = 0;
  });
  afterAll(async () => {
    await context?.close();
  });

  it('blocks every attempt: the canary server gets nothing, the package server nothing at all', async () => {
    const escaped: string[] = [];
    for (const at of ATTEMPTS) {
      const out = await run(page, prelude(canary.url) + '\n' + at.code);
      if (out.stdout.includes('ESCAPED')) escaped.push(at.id);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(escaped).toEqual([]);
    expect(canary.requests).toEqual([]);
    expect(packages.requests).toEqual([]);
    expect((await run(page, 'import l0demo\nprint(l0demo.ANSWER)')).stdout).toBe('42\n');
  });
});
