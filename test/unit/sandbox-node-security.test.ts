// Red team against the Node sandbox (worker thread; the eval CLI runs model-written Python in it on
// a developer's machine). Every attempt must fail in the real sandbox (createPyodideSandbox), and
// the canaries must be untouched: a secret file, a directory nothing may write to, an env variable,
// a local server that must see zero connections. Controls prove the attempts and probes are real:
// the ones marked escape an unhardened Pyodide in a plain Node worker thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { bundleWorkerEntry, permissionModelAvailable, sandboxWorkerOptions } from '../../src/sandbox/node-host';
import type { Sandbox } from '../../src/protocols';
import { ATTEMPTS, prelude, type Attempt } from '../security/attempts';

const TOKEN = `l0-secret-${randomBytes(8).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'l0-node-sec-'));
writeFileSync(join(dir, 'secret.txt'), TOKEN);
const pyodideMjs = fileURLToPath(new URL('../../node_modules/pyodide/pyodide.mjs', import.meta.url));

/** Anything that connects (TCP, HTTP, WebSocket upgrade) or sends a datagram counts. */
interface Canary {
  url: string;
  port: number;
  hits: string[];
  close(): Promise<void>;
}
async function startCanary(): Promise<Canary> {
  const hits: string[] = [];
  const server: Server = createServer((s) => {
    s.once('data', (d) => hits.push(`tcp ${d.toString('latin1').split('\r\n')[0]}`));
    s.on('error', () => undefined);
    s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  server.on('connection', () => hits.push('connection'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const udp = createSocket('udp4');
  udp.on('message', () => hits.push('udp'));
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () => new Promise<void>((r) => (udp.close(), server.close(() => r()))),
  };
}

/** Finds a JS object with attribute `name` by every route Python has: the Node attempts use it. */
const NODE_PRELUDE = String.raw`
DIR = ${JSON.stringify(dir)}
TOKEN = ${JSON.stringify(TOKEN)}
def _unguard():
    sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
    for k in [k for k in sys.modules if k in ("js", "pyodide_js", "pyodide_js._api")]:
        del sys.modules[k]
def pj():
    _unguard()
    import importlib
    return importlib.import_module("pyodide_js")
def reach(name):
    """Any JS object with attribute name: js, js after the guard is gone, jsglobals, a gc walk."""
    _unguard()
    import importlib, gc
    cands = []
    try:
        js = importlib.import_module("js"); cands += [js, getattr(js, "globalThis", None)]
    except Exception: pass
    try:
        cands.append(pj()._api.config.jsglobals)
    except Exception: pass
    for c in cands:
        try:
            if c is not None and getattr(c, name, None) is not None: return getattr(c, name)
        except Exception: pass
    for o in gc.get_objects():
        if type(o).__name__.startswith("Js"):
            try:
                v = getattr(o, name, None)
                if v is not None: return v
            except Exception: pass
    raise RuntimeError("no " + name)
`;

const n = (id: string, title: string, code: string): Attempt => ({ id, title, control: true, code: code.trim() });

/** Node-specific attempts. Each names its effect; the test checks the effects on the host side. */
const NODE_ATTEMPTS: Attempt[] = [
  n('os-system', 'os.system: Emscripten system() -> child_process.spawnSync (no JS at all)', `
import os
if os.system(f"touch {DIR}/os-system") == 0: escaped()`),
  n('os-popen', 'os.popen / subprocess', `
import os
os.popen(f"touch {DIR}/os-popen").read()
escaped()`),
  n('js-require-child-process', 'js.require("child_process").execSync', `
reach("require")("child_process").exec(f"touch {DIR}/require-cp")
escaped()`),
  n('js-require-fs', 'js.require("fs").readFileSync(secret)', `
if str(reach("require")("fs").readFileSync(f"{DIR}/secret.txt", "utf8")) == TOKEN: escaped()`),
  n('process-getbuiltinmodule', 'js.process.getBuiltinModule("child_process")', `
reach("process").getBuiltinModule("child_process").exec(f"touch {DIR}/getbuiltin")
escaped()`),
  n('process-env', 'js.process.env (API keys live there)', `
if reach("process").env.L0_CANARY_ENV == TOKEN: escaped()`),
  n('process-binding', 'js.process.binding("spawn_sync")', `
if reach("process").binding("spawn_sync") is not None: escaped()`),
  n('process-mainmodule', 'js.process.mainModule.require / js.module.require', `
m = getattr(reach("process"), "mainModule", None)
if m is None: m = reach("module")
m.require("child_process").exec(f"touch {DIR}/mainmodule")
escaped()`),
  n('process-kill', 'js.process.kill (signal any process of the user)', `
p = reach("process")
p.kill(p.pid, 0)
escaped()`),
  n('process-dlopen', 'js.process.dlopen (native addon = arbitrary code)', `
p = reach("process")
try:
    O = reach("Object")
    m = O.new()
    m.exports = O.new()
    p.dlopen(m, f"{DIR}/none.node")
except Exception as e:
    # the OS loader answered: the call went through
    if "shared object" in str(e) or "No such file" in str(e) or "ENOENT" in str(e): escaped(e)
    raise
else:
    escaped()`),
  n('function-return-process', 'Function("return process")() via a proxy constructor', `
import js
F = js.Object.constructor
p = F.new("return process")()
p.getBuiltinModule("child_process").exec(f"touch {DIR}/fn-process")
escaped()`),
  n('constructor-chain-import', 'js.Object.constructor.constructor("return import(\'node:fs\')")()', `
import js
F = js.Object.constructor.constructor
fs = await wait(F.new("return import('node:fs')")())
if str(fs.readFileSync(f"{DIR}/secret.txt", "utf8")) == TOKEN: escaped()`),
  n('mount-node-fs', 'pyodide_js.mountNodeFS: a host directory as Python files', `
pj().mountNodeFS("/host", DIR)
if open("/host/secret.txt").read() == TOKEN: escaped()`),
  n('nodefs-mount', 'FS.mount(FS.filesystems.NODEFS) through pyodide_js._module', `
from pyodide.ffi import to_js
M = pj()._module
FS = M.FS
nodefs = getattr(FS.filesystems, "NODEFS", None) or M.NODEFS
FS.mkdirTree("/host2")
FS.mount(nodefs, to_js({"root": DIR}, dict_converter=reach("Object").fromEntries), "/host2")
if open("/host2/secret.txt").read() == TOKEN: escaped()`),
  n('loadbinaryfile-path', 'pyodide_js._api.loadBinaryFile(a host path)', `
b = await wait(pj()._api.loadBinaryFile(f"{DIR}/secret.txt"))
if TOKEN in bytes(b.to_py()).decode(): escaped()`),
  n('asyncload-path', 'pyodide_js._module.asyncLoad(a host path)', `
b = await wait(pj()._module.asyncLoad(f"{DIR}/secret.txt"))
if TOKEN in bytes(b.to_py()).decode(): escaped()`),
  n('node-sockfs', 'pyodide_js.useNodeSockFS: real TCP sockets (import("node:net"))', `
await wait(pj().useNodeSockFS())
escaped("node sockets enabled")
import socket
s = socket.create_connection(("127.0.0.1", int(CANARY.rsplit(":", 1)[1])), timeout=2)
s.sendall(b"GET /node-sockfs HTTP/1.0\\r\\n\\r\\n")
escaped()`),
  n('emscripten-system-export', 'pyodide_js._module.__emscripten_system', `
M = pj()._module
if M.__emscripten_system(M.stringToNewUTF8(f"touch {DIR}/em-system")) == 0: escaped()`),
];

/** Browser attempts that mean something in Node (the rest use APIs Node does not have). */
const REUSED = [
  'js-fetch', 'from-js-import-fetch', 'pyodide-http-pyfetch', 'urllib', 'socket', 'js-eval', 'js-function',
  'run-js', 'constructor-constructor', 'host-fn-constructor', 'async-function-ctor', 'reflect-construct',
  'string-timer', 'global-via-timer-this', 'descriptor-fetch', 'pyodide-js-api', 'pyodide-js-loadpackage',
  'pyodide-js-loadbinary', 'pyodide-js-loaddynlib', 'pyodide-js-module', 'importhook-jsproxies', 'gc-jsproxy-walk',
  'reimport-after-guard-removed', 'ctypes-run-script', 'wasm-import-fetch', 'module-asyncload', 'prepare-stack-trace',
  'host-bridge-pollution', 'chain-accessor-free-variable', 'prototype-planting', 'ctypes-builtin-routes',
  'side-module-run-script', 'global-via-callback-this',
];
const ALL: Attempt[] = [...ATTEMPTS.filter((a) => REUSED.includes(a.id)), ...NODE_ATTEMPTS];

/**
 * Attempts that escape the control (an unhardened Pyodide in a Node worker thread, default
 * options). Measured; the rest are blocked in Node by nature (no such API) or need the app's host.
 */
const CONTROL_ESCAPES = [
  'js-fetch', 'from-js-import-fetch', 'js-eval', 'js-function', 'constructor-constructor', 'host-fn-constructor',
  'async-function-ctor', 'reflect-construct', 'global-via-timer-this', 'descriptor-fetch', 'pyodide-js-api',
  'pyodide-js-module', 'importhook-jsproxies', 'gc-jsproxy-walk', 'reimport-after-guard-removed', 'ctypes-run-script',
  'wasm-import-fetch', 'chain-accessor-free-variable', 'prototype-planting', 'ctypes-builtin-routes',
  'side-module-run-script',
  'os-system', 'js-require-child-process', 'js-require-fs', 'process-getbuiltinmodule', 'process-env',
  'process-binding', 'process-mainmodule', 'process-kill', 'process-dlopen', 'function-return-process',
  'constructor-chain-import', 'mount-node-fs', 'nodefs-mount', 'loadbinaryfile-path', 'asyncload-path', 'node-sockfs',
  'emscripten-system-export',
];

const cellCode = (canary: Canary, at: Attempt) => `${prelude(canary.url)}\n${NODE_PRELUDE}\n${at.code}`;
const writtenFiles = () => readdirSync(dir).filter((f) => f !== 'secret.txt');

/** An unhardened Pyodide in a plain worker thread: CommonJS eval worker, default jsglobals, parent's env. */
function startControl(): { run(code: string): Promise<{ stdout: string; error?: string }>; close(): Promise<number> } {
  const src = `
const { parentPort } = require('worker_threads');
const ready = import(${JSON.stringify(pathToFileURL(pyodideMjs).href)}).then((m) => m.loadPyodide({ indexURL: ${JSON.stringify(join(pyodideMjs, '..') + '/')} }));
parentPort.on('message', async ({ id, code }) => {
  const py = await ready;
  let out = '';
  py.setStdout({ batched: (s) => (out += s + '\\n') });
  let error;
  try { await py.runPythonAsync(code); } catch (e) { error = String(e).slice(-400); }
  parentPort.postMessage({ id, stdout: out, error });
});`;
  const w = new Worker(src, { eval: true, env: { ...process.env, L0_CANARY_ENV: TOKEN }, stdout: true, stderr: true });
  w.stdout.resume();
  w.stderr.resume();
  let next = 0;
  const pending = new Map<number, (r: { stdout: string; error?: string }) => void>();
  w.on('message', (m: { id: number; stdout: string; error?: string }) => pending.get(m.id)?.(m));
  w.on('exit', () => pending.forEach((resolve) => resolve({ stdout: '', error: 'control worker exited' })));
  return {
    run: (code) =>
      new Promise((resolve) => {
        const id = ++next;
        pending.set(id, (r) => (pending.delete(id), resolve(r)));
        w.postMessage({ id, code });
      }),
    close: () => w.terminate(),
  };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('control: the Node attempts are real (they escape an unhardened Pyodide worker thread)', () => {
  let canary: Canary;
  let control: ReturnType<typeof startControl>;
  beforeAll(async () => {
    canary = await startCanary();
    control = startControl();
  });
  afterAll(async () => {
    await control?.close();
    await canary?.close();
    for (const f of writtenFiles()) rmSync(join(dir, f));
  });

  it('every attempt listed as a control escape escapes', async () => {
    const escapedIds: string[] = [];
    const notes: Record<string, string> = {};
    for (const at of ALL) {
      const out = await control.run(cellCode(canary, at));
      if (out.stdout.includes('ESCAPED')) escapedIds.push(at.id);
      else notes[at.id] = (out.error ?? '').slice(-160);
    }
    await new Promise((res) => setTimeout(res, 500)); // exec() is asynchronous
    const missing = CONTROL_ESCAPES.filter((id) => !escapedIds.includes(id));
    expect(missing, JSON.stringify(Object.fromEntries(missing.map((id) => [id, notes[id]])), null, 1)).toEqual([]);
    // And the host noticed: commands ran (files appeared) and the canary server was reached.
    expect(writtenFiles()).toEqual(expect.arrayContaining(['os-system', 'require-cp', 'getbuiltin', 'fn-process', 'em-system']));
    expect(canary.hits.length).toBeGreaterThan(5);
  }, 180_000);
});

describe('the Node sandbox (createPyodideSandbox, hardened worker thread)', () => {
  let canary: Canary;
  let sb: Sandbox;
  beforeAll(async () => {
    canary = await startCanary();
    process.env.L0_CANARY_ENV = TOKEN; // the sandbox thread must not inherit it
    sb = await createPyodideSandbox({});
  }, 60_000);
  afterAll(async () => {
    delete process.env.L0_CANARY_ENV;
    await sb?.dispose();
    await canary?.close();
  });

  it.each(ALL.map((x) => [x.id, x] as const))('blocks %s', async (_id, at) => {
    const r = await sb.runCell(cellCode(canary, at));
    if (process.env.L0_SHOW_PROBES) console.log(at.id, r.status, r.restarted, r.stdout.slice(-100), r.error?.ename, r.error?.evalue.slice(0, 160));
    await new Promise((res) => setTimeout(res, 50)); // late effects (timers) land before we look
    expect(r.stdout, `${at.title}: ${r.error?.ename}: ${r.error?.evalue}`).not.toContain('ESCAPED');
    expect(writtenFiles()).toEqual([]);
    expect(canary.hits).toEqual([]);
  });

  it('reports a clear error for the commonest ones', async () => {
    expect((await sb.runCell('import os\nos.system("id")')).result).toBe(String(127 << 8));
    const js = await sb.runCell('import js\njs.process');
    expect(js.error?.ename).toBe('AttributeError');
    const sock = await sb.runCell(`import socket\nsocket.create_connection(("127.0.0.1", ${canary.port}), timeout=1)`);
    expect(sock.error?.ename).toMatch(/PermissionError|OSError|ConnectionError|TimeoutError/);
    expect(canary.hits).toEqual([]);
  });

  it('still runs ordinary Python after all attempts: imports, asyncio, files in its own memory, the notepad', async () => {
    const r = await sb.runCell(
      'import json, asyncio, re, math, datetime, random, os\nawait asyncio.sleep(0.01)\n' +
        'open("/tmp/x.txt", "w").write("hi")\n' +
        'notepad.add_facts(["node-sec"])\n' +
        'print(json.dumps({"ok": sum(range(10)), "f": open("/tmp/x.txt").read(), "r": random.random() < 1}))',
    );
    expect(r.status).toBe('ok');
    expect(r.stdout).toContain('{"ok": 45, "f": "hi", "r": true}');
    expect((await sb.getNotepad()).facts).toContain('node-sec');
  });
});

describe('worst case: arbitrary JS already running in the sandbox thread', () => {
  let canary: Canary;
  beforeAll(async () => {
    canary = await startCanary();
  });
  afterAll(async () => {
    await canary?.close();
    for (const f of writtenFiles()) rmSync(join(dir, f));
  });

  type ProbeResult = { findings: string[]; errors: Record<string, string>; sum: number; failed: string[]; fatal?: string };
  const UNPROTECTED = { env: { ...process.env, L0_CANARY_ENV: TOKEN }, execArgv: ['--disable-warning=ExperimentalWarning'] };
  async function probe(harden: boolean, options: WorkerOptions): Promise<ProbeResult> {
    for (const f of writtenFiles()) rmSync(join(dir, f));
    canary.hits.length = 0;
    const entry = fileURLToPath(new URL('./sandbox-node-security-probe.ts', import.meta.url));
    const permission = (options.execArgv ?? []).some((a) => String(a).includes('permission'));
    // The probe's own console (Pyodide's fatal-error report in the permission-only case) stays out of the test log.
    const w = new Worker(bundleWorkerEntry(entry), { ...options, stdout: true, stderr: true, workerData: { harden, permission, dir, token: TOKEN, canaryPort: canary.port } });
    w.stdout.resume();
    w.stderr.resume();
    try {
      return await new Promise<ProbeResult>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    } finally {
      await w.terminate();
    }
  }
  const HOST_FS_AND_PROCESSES = [
    'fs read the secret', 'fs/promises read the secret', 'fs wrote a file', 'child_process ran a command',
    'spawnSync ran a command', 'new Worker started', 'process.env holds the canary', 'process.binding',
    'process.dlopen reached the loader',
  ];
  const NETWORK = ['net connected to the canary', 'http reached the canary', 'dns lookup ran', 'udp socket sent'];

  it('the probes are real: they find every capability in an unhardened thread', async () => {
    const r = await probe(false, UNPROTECTED);
    expect(r.fatal).toBeUndefined();
    expect(r.findings).toEqual(expect.arrayContaining([
      ...HOST_FS_AND_PROCESSES, ...NETWORK, 'global process', 'global Buffer', 'global fetch', 'eval evaluated code',
      'new Function evaluated code', 'vm evaluated code', 'process.getBuiltinModule', 'v8.setFlagsFromString',
      'createRequire loaded child_process', 'pyodide.mountNodeFS read the secret', 'NODEFS mount read the secret',
      '_api.loadBinaryFile read the secret', '_module.asyncLoad read the secret', 'useNodeSockFS enabled node sockets',
      'planted a property on Object.prototype', 'replaced FinalizationRegistry.prototype.register', 'added a global',
      'compiled a WebAssembly module',
    ]));
    expect(writtenFiles()).toContain('probe-os-system');
    expect(writtenFiles().length).toBeGreaterThan(0);
    expect(canary.hits.length).toBeGreaterThan(0);
  }, 60_000);

  it('hardening + the permission model (the real configuration) leave none of them', async () => {
    expect(permissionModelAvailable()).toBe(true);
    const r = await probe(true, sandboxWorkerOptions());
    expect(r.fatal).toBeUndefined();
    expect(r.failed).toEqual([]);
    if (process.env.L0_SHOW_PROBES) console.log(r.errors);
    expect(r.findings, JSON.stringify(r.errors, null, 1)).toEqual([]);
    expect(r.sum).toBe(45);
    expect(writtenFiles()).toEqual([]);
    expect(canary.hits).toEqual([]);
  }, 60_000);

  it('each layer alone: hardening without the permission model also leaves none', async () => {
    const r = await probe(true, UNPROTECTED);
    expect(r.fatal).toBeUndefined();
    expect(r.findings, JSON.stringify(r.errors, null, 1)).toEqual([]);
    expect(writtenFiles()).toEqual([]);
    expect(canary.hits).toEqual([]);
  }, 60_000);

  it('each layer alone: the permission model without hardening stops files, processes, workers, addons and env, not the network', async () => {
    const r = await probe(false, sandboxWorkerOptions());
    expect(r.fatal).toBeUndefined();
    expect(r.findings.filter((f) => HOST_FS_AND_PROCESSES.includes(f))).toEqual([]);
    expect(writtenFiles()).toEqual([]);
    // Node 20's permission model has no network scope: that is harden-node.ts's job (test above).
    expect(r.findings).toEqual(expect.arrayContaining(NETWORK));
  }, 60_000);
});
