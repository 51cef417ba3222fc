// Packages from a package source in the real Node sandbox (worker thread, real Pyodide), against
// wheels built by the tests and served from a local server (test/support/packages.ts): loading
// triggered by an import, with progress; dependencies first; sha256 mismatches refused; nothing
// but the lock's files fetched; a compiled extension compiled only from the verified wheel; the
// cache used offline; rich outputs through the display protocol and the figure hook (with a
// stand-in matplotlib); the lock, URL and wrapper-module checks as pure functions.
import { readFileSync, rmSync, mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPyodideSandbox } from '../../src/sandbox/index';
import type { PackageProgress, Sandbox } from '../../src/protocols';
import { canonicalName, installOrder, readLock } from '../../src/sandbox/package-lock';
import { isFunctionWrapperModule } from '../../src/sandbox/package-install';
import { OFFICIAL_PACKAGE_SOURCE, packageBaseUrl, PYODIDE_VERSION, type PackageCache } from '../../src/sandbox/package-source';
import { importableLibraries } from '../../src/agent/prompt';
import { fixtureSource, PNG_PY, startPackageServer, type PackageServer } from '../support/packages';

const require = createRequire(import.meta.url);

function memoryCache(): PackageCache & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    get: async (url) => files.get(url),
    put: async (url, bytes) => void files.set(url, bytes),
    delete: async (url) => void files.delete(url),
  };
}

describe('the lock file, package URLs and the compile gate (pure functions)', () => {
  it('reads only entries with a plain file name and a sha256; names are canonical', () => {
    const sha = 'a'.repeat(64);
    const { lock, skipped } = readLock({
      info: { abi_version: '2026_0', python: '3.14.2' },
      packages: {
        Good_Pkg: { name: 'Good_Pkg', version: '1', file_name: 'good_pkg-1-py3-none-any.whl', sha256: sha.toUpperCase(), depends: ['dep', 42], imports: ['good', 'bad name'] },
        traversal: { name: 'traversal', file_name: '../../etc/passwd.whl', sha256: sha },
        absolute: { name: 'absolute', file_name: 'https://evil.example/x.whl', sha256: sha },
        query: { name: 'query', file_name: 'x.whl?steal=1', sha256: sha },
        notwheel: { name: 'notwheel', file_name: 'x.js', sha256: sha },
        nohash: { name: 'nohash', file_name: 'x.whl', sha256: 'abc' },
        __proto__: { name: '__proto__', file_name: 'p.whl', sha256: sha },
      },
    });
    expect(Object.keys(lock.packages)).toEqual(['good-pkg']);
    expect(lock.packages['good-pkg']).toMatchObject({ fileName: 'good_pkg-1-py3-none-any.whl', sha256: sha, depends: ['dep'], imports: ['good'] });
    expect(skipped).toBe(5);
    expect(lock.abiVersion).toBe('2026_0');
  });

  it('orders dependencies first, each once, skipping installed ones; unknown names apart; a cycle ends', () => {
    const sha = 'b'.repeat(64);
    const entry = (name: string, depends: string[]) => ({ name, version: '1', file_name: `${name}-1.whl`, sha256: sha, depends, imports: [name] });
    const { lock } = readLock({ packages: { a: entry('a', ['b', 'c']), b: entry('b', ['c']), c: entry('c', []), d: entry('d', ['e', 'a']), x: entry('x', ['y']), y: entry('y', ['x']) } });
    expect(installOrder(lock, ['a']).order.map((p) => p.name)).toEqual(['c', 'b', 'a']);
    expect(installOrder(lock, ['d'], new Set(['c'])).order.map((p) => p.name)).toEqual(['b', 'a', 'd']);
    expect(installOrder(lock, ['d']).unknown).toEqual(['e']);
    expect(installOrder(lock, ['x']).order.map((p) => p.name)).toEqual(['y', 'x']);
    expect(canonicalName('Python_Dateutil.x')).toBe('python-dateutil-x');
  });

  it('a package source is an http(s) folder without query or fragment', () => {
    expect(packageBaseUrl('https://cdn.example/pyodide/full')).toBe('https://cdn.example/pyodide/full/');
    expect(packageBaseUrl('packages/', 'http://site.example/app/index.html')).toBe('http://site.example/app/packages/');
    for (const bad of ['javascript:alert(1)', 'data:text/plain,x', 'file:///etc/', 'https://x/?a=1', 'https://x/#f', 'not a url']) {
      expect(() => packageBaseUrl(bad), bad).toThrow();
    }
    expect(OFFICIAL_PACKAGE_SOURCE).toBe(`https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`);
    expect(PYODIDE_VERSION).toBe((JSON.parse(readFileSync(require.resolve('pyodide/package.json'), 'utf8')) as { version: string }).version);
  });

  it("lets through Emscripten's import-only function wrappers and nothing else", () => {
    // What convertJsFunctionToWasm builds for a JS function of signature 'vi' and 'iij'.
    const wrapper = (params: number[], results: number[]) => {
      const type = [1, 0x60, params.length, ...params, results.length, ...results];
      return Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, type.length, ...type, 2, 7, 1, 1, 101, 1, 102, 0, 0, 7, 5, 1, 1, 102, 0, 0);
    };
    expect(isFunctionWrapperModule(wrapper([0x7f], []))).toBe(true);
    expect(isFunctionWrapperModule(wrapper([0x7f, 0x7e], [0x7f]))).toBe(true);
    expect(isFunctionWrapperModule(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0))).toBe(false);
    const withCode = wrapper([0x7f], []);
    expect(isFunctionWrapperModule(Uint8Array.of(...withCode, 10, 4, 1, 2, 0, 11))).toBe(false); // a code section after it
    const otherImport = wrapper([0x7f], []);
    otherImport[otherImport.length - 12] = 103; // imports 'g' instead of 'f'
    expect(isFunctionWrapperModule(otherImport)).toBe(false);
  });
});

describe('packages from a package source, in the Node sandbox', () => {
  let server: PackageServer;
  let sb: Sandbox;
  const cache = memoryCache();
  const progress: PackageProgress[] = [];
  const run = (code: string) => sb.runCell(code, { onPackage: (p) => progress.push(p) });

  beforeAll(async () => {
    server = await startPackageServer(fixtureSource().files);
    sb = await createPyodideSandbox({ packageBaseUrl: server.url, packageCache: cache });
  });
  afterAll(async () => {
    await sb?.dispose();
    await server?.close();
  });

  it('imports nothing from the package source for a cell that needs only the standard library', async () => {
    const r = await run('import json, math\nprint(math.floor(2.5))');
    expect(r.stdout).toBe('2\n');
    expect(progress).toEqual([]);
    expect(server.requests).toEqual(['/pkgs/pyodide-lock.json']);
  });

  it('an import loads the package and its dependency (first), with progress', async () => {
    const r = await run('import l0demo\nprint(l0demo.ANSWER)');
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('42\n');
    const phases = progress.map((p) => `${p.name}:${p.phase}`);
    expect(phases.filter((p) => !p.endsWith(':download'))).toEqual(['l0demo-base:install', 'l0demo:install', 'l0demo-base:ready', 'l0demo:ready']);
    expect(progress.some((p) => p.phase === 'download' && p.loadedBytes! > 0 && /^loading l0demo 2\.0\.0 \d+ kB of \d+ kB…$/.test(p.message))).toBe(true);
    expect(server.requests).toEqual(['/pkgs/pyodide-lock.json', '/pkgs/l0demo_base-1.0.0-py3-none-any.whl', '/pkgs/l0demo-2.0.0-py3-none-any.whl']);
    // Installed like pip would: importlib.metadata sees the distribution.
    const meta = await run('import importlib.metadata as m\nprint(m.version("l0demo"), m.version("l0demo-base"))');
    expect(meta.stdout).toBe('2.0.0 1.0.0\n');
  });

  it('a package that is already installed is not fetched again; a wheel with the wrong sha256 is refused', async () => {
    progress.length = 0;
    server.requests.length = 0;
    await run('import l0demo');
    expect(server.requests).toEqual([]);
    const r = await run('import l0badhash');
    expect(r.error?.ename).toBe('ModuleNotFoundError');
    expect(r.error?.evalue).toMatch(/^No module named 'l0badhash': package l0badhash could not be loaded \(package l0badhash was refused: the file's sha256 does not match the lock file/);
    expect(progress.at(-1)).toMatchObject({ name: 'l0badhash', phase: 'failed' });
    expect(cache.files.has(server.url + 'l0badhash-1.0.0-py3-none-any.whl')).toBe(false);
  });

  it('a module no package provides fetches nothing and says where packages come from; Python cannot name a URL', async () => {
    server.requests.length = 0;
    const r = await run('import surely_not_a_package_xyz');
    expect(r.error?.evalue).toMatch(/neither in the Python standard library nor in the package source/);
    const attempts = await run(`
import importlib
out = []
for name in ("micropip", "pyodide.http", "js"):
    try:
        m = importlib.import_module(name)
        out.append(f"{name}: {sorted(x for x in dir(m) if 'fetch' in x.lower() or 'load' in x.lower())}")
    except Exception as e:
        out.append(f"{name}: {type(e).__name__}")
import pyodide_js
out.append(f"loadPackage: {hasattr(pyodide_js, 'loadPackage')}")
try:
    importlib.import_module("${server.url}l0demo")
except Exception as e:
    out.append(type(e).__name__)
print(out)`);
    expect(attempts.stdout).toContain("'micropip: ModuleNotFoundError'");
    expect(attempts.stdout).toContain("'pyodide.http: ModuleNotFoundError'");
    expect(attempts.stdout).toContain("'js: []'");
    expect(attempts.stdout).toContain("'loadPackage: False'");
    expect(server.requests).toEqual([]);
  });

  it('a compiled extension (a .so in a verified wheel) compiles; the same bytes from anywhere else do not', async () => {
    const r = await run(`import l0ext, os, sys, shutil
print(l0ext.answer, l0ext.__file__.endswith(".so"))
src = l0ext.__file__
os.makedirs("/tmp/copies", exist_ok=True)
shutil.copy(src, "/tmp/copies/l0same.cpython-314-wasm32-emscripten.so")
data = bytearray(open(src, "rb").read())
i = data.index(b"answer")
data[i:i + 6] = b"ANSWER"
open("/tmp/copies/l0evil.cpython-314-wasm32-emscripten.so", "wb").write(bytes(data))
sys.path.insert(0, "/tmp/copies")
for name in ("l0same", "l0evil"):
    try:
        __import__(name)
        print(name, "imported")
    except ImportError as e:
        print(name, "refused:", "CompileError" in str(e))`);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('42 True\nl0same refused: True\nl0evil refused: True\n');
  });

  it('the package source and its packages are listed (for the prompt), cached ones marked', async () => {
    const info = (await sb.packages!())!;
    expect(info.baseUrl).toBe(server.url);
    expect(info.packages.find((p) => p.name === 'l0demo')).toEqual({ name: 'l0demo', version: '2.0.0', imports: ['l0demo'], cached: true });
    expect(info.packages.find((p) => p.name === 'matplotlib')?.cached).toBe(false);
    expect(importableLibraries(info, true)).toEqual(expect.arrayContaining(["Python's standard library", 'l0demo', 'matplotlib (figures are shown to the user)']));
  });

  it('rich outputs: display() through the display protocol, a rich last value, a real PNG made with zlib, SVG', async () => {
    const r = await run(`${PNG_PY}
class Img:
    def _repr_png_(self):
        return make_png(20, 10)
    def __repr__(self):
        return "Img(20x10)"
class Svg:
    def _repr_svg_(self):
        return '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="15"><rect width="30" height="15" fill="teal"/></svg>'
import l0demo
display(Img(), Svg())
l0demo.Table([("a", 1), ("b", 2)])`);
    expect(r.error).toBeUndefined();
    expect(r.result).toBe('a  1\nb  2');
    const [img, svg, table] = r.outputs!;
    expect(img).toMatchObject({ type: 'display_data', data: { 'text/plain': 'Img(20x10)' }, metadata: { 'image/png': { width: 20, height: 10 } } });
    expect(Buffer.from(img!.data['image/png']!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(svg).toMatchObject({ type: 'display_data', metadata: { 'image/svg+xml': { width: 30, height: 15 } } });
    expect(svg!.data['image/svg+xml']).toContain('<rect');
    expect(table).toMatchObject({ type: 'execute_result', data: { 'text/plain': 'a  1\nb  2' } });
    expect(table!.data['text/html']).toMatch(/^<table class="dataframe">.*<td>b<\/td><td>2<\/td>/);
  });

  it('script and widget MIME types never leave Python: a bundle keeps only the shown types', async () => {
    const r = await run(`class Js:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"application/javascript": "alert(1)", "text/javascript": "alert(2)", "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/html": "<b>bundle</b>", "text/plain": "Js()"}
    def _repr_javascript_(self):
        return "alert(3)"
display(Js())
display({"application/javascript": "alert(4)", "text/plain": "raw"}, raw=True)`);
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual([
      { type: 'display_data', data: { 'text/html': '<b>bundle</b>', 'text/plain': 'Js()' } },
      { type: 'display_data', data: { 'text/plain': 'raw' } },
    ]);
  });

  it('matplotlib figures (a stand-in pyplot from the package source) are shown as PNG after the cell and on plt.show(), then closed', async () => {
    const r = await run(`import matplotlib.pyplot as plt
plt.figure(figsize=(3, 2))
plt.plot([1, 2, 3])
plt.show()
plt.figure()
plt.plot([3, 2, 1])
print("open figures:", plt.get_fignums(), "own show ran:", plt.show_calls)`);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('open figures: [1] own show ran: 0\n');
    expect(r.stderr).toBe(''); // no "cannot show" warning: plt.show was the sandbox's
    expect(r.outputs!.map((o) => [o.data['text/plain'], o.metadata?.['image/png']])).toEqual([
      ['<Figure size 300x200 with 1 Axes>', { width: 300, height: 200 }],
      ['<Figure size 640x480 with 1 Axes>', { width: 640, height: 480 }],
    ]);
    const after = await run('import matplotlib.pyplot as plt\nprint(plt.get_fignums())');
    expect(after.stdout).toBe('[]\n');
    expect(after.outputs).toBeUndefined();
  });

  it('model code that breaks the package step cannot wedge the sandbox: the step gets the time limit, then a fresh interpreter', async () => {
    await run('import _l0_packages\ndef stuck(code):\n    while True:\n        pass\n_l0_packages.missing_imports = stuck');
    const r = await sb.runCell('print("never")', { timeoutMs: 1500 });
    expect(r).toMatchObject({ status: 'timeout', restarted: true, stdout: '' });
    const after = await run('import l0demo\nprint(l0demo.ANSWER)');
    expect(after.stdout).toBe('42\n');
  });

  it('offline: a new sandbox with the same cache loads the lock and the wheels without the server', async () => {
    await server.close();
    for (const url of cache.files.keys()) if (url.includes('l0ext')) cache.files.delete(url);
    const offline = await createPyodideSandbox({ packageBaseUrl: server.url, packageCache: cache });
    try {
      const r = await offline.runCell('import l0demo, matplotlib\nprint(l0demo.ANSWER)');
      expect(r.stdout).toBe('42\n');
      const missing = await offline.runCell('import l0ext');
      expect(missing.error?.evalue).toMatch(/^No module named 'l0ext': package l0ext could not be loaded \(package l0ext could not be fetched from the package source/);
    } finally {
      await offline.dispose();
    }
  });
});

describe('a package source that cannot be read', () => {
  it('Python starts anyway and says why packages are not available', async () => {
    const sb = await createPyodideSandbox({ packageBaseUrl: 'http://127.0.0.1:9/none/', packageCache: null });
    try {
      const r = await sb.runCell('import numpy');
      expect(r.error?.evalue).toMatch(/^No module named 'numpy'\. Packages could not be loaded: the package source was not reachable \(the package list \(pyodide-lock\.json\) could not be fetched/);
      expect((await sb.packages!())!.unavailable).toMatch(/could not be fetched/);
      expect((await sb.runCell('1 + 1')).result).toBe('2');
    } finally {
      await sb.dispose();
    }
  });
});

describe('npm run vendor-packages', () => {
  const dir = resolve(import.meta.dirname, '../../test-results/vendor-packages');
  it('copies the named packages with their dependencies and a lock listing only them; refuses unknown or damaged ones', async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/from`, { recursive: true });
    for (const [name, bytes] of Object.entries(fixtureSource().files)) writeFileSync(`${dir}/from/${name}`, bytes);
    const { vendorPackages } = await import('../../scripts/vendor-packages.mjs');
    const r = vendorPackages({ from: `${dir}/from`, out: `${dir}/out`, names: ['l0demo'] });
    expect(r.copied).toEqual(['l0demo-base 1.0.0', 'l0demo 2.0.0']);
    expect(readdirSync(`${dir}/out`).sort()).toEqual(['l0demo-2.0.0-py3-none-any.whl', 'l0demo_base-1.0.0-py3-none-any.whl', 'pyodide-lock.json']);
    expect(Object.keys(JSON.parse(readFileSync(`${dir}/out/pyodide-lock.json`, 'utf8')).packages).sort()).toEqual(['l0demo', 'l0demo-base']);
    expect(() => vendorPackages({ from: `${dir}/from`, out: `${dir}/out`, names: ['nope'] })).toThrow(/not in .*pyodide-lock\.json: nope/);
    expect(() => vendorPackages({ from: `${dir}/from`, out: `${dir}/out`, names: ['l0badhash'] })).toThrow(/does not match the lock's sha256/);
    expect(existsSync(`${dir}/out/l0badhash-1.0.0-py3-none-any.whl`)).toBe(false);
  });
});
