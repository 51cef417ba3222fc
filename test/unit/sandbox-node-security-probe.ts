// Worker entry for test/unit/sandbox-node-security.test.ts: the worst case, arbitrary JS already
// running in the sandbox thread (as if the FFI were fully escaped). Loads Pyodide like
// node.worker.ts, hardens like it (unless workerData.harden is false: the control), then tries to
// reach the host with code that is already JS and reports what worked. Bundled and started by the
// test with node-host.ts's bundleWorkerEntry + sandboxWorkerOptions, like the real worker.
import { parentPort, workerData } from 'node:worker_threads';
import { loadPyodide } from 'pyodide';
import { minimalJsGlobals } from '../../src/sandbox/harden';
import { hardenNodeWorker, prepareNodeWorkerForPyodide } from '../../src/sandbox/harden-node';

interface ProbeData {
  harden: boolean;
  /** Started under Node's permission model (then Pyodide needs the process.binding shim). */
  permission: boolean;
  dir: string;
  token: string;
  canaryPort: number;
}

const data = workerData as ProbeData;
type Probe = [finding: string, run: (py: any) => unknown];

// Dynamic specifiers so the bundler leaves the imports to run time, after hardening.
const load = (name: string) => import(/* @vite-ignore */ ['node', name].join(':')) as Promise<Record<string, any>>;
const within = <T>(p: Promise<T>, ms = 1500) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);

const probes: Probe[] = [
  ['global process', () => typeof (globalThis as any).process === 'object' || undefined],
  ['global require', () => typeof (globalThis as any).require === 'function' || undefined],
  ['global Buffer', () => typeof (globalThis as any).Buffer === 'function' || undefined],
  ['global fetch', () => typeof (globalThis as any).fetch === 'function' || undefined],
  ['global module', () => typeof (globalThis as any).module === 'object' || undefined],
  ['eval evaluated code', () => (0, eval)('1 + 1') === 2 || undefined],
  ['new Function evaluated code', () => new Function('return 7')() === 7 || undefined],
  ['fs read the secret', async () => (await load('fs')).readFileSync(`${data.dir}/secret.txt`, 'utf8') === data.token || undefined],
  ['fs/promises read the secret', async () => (await (await load('fs/promises')).readFile(`${data.dir}/secret.txt`, 'utf8')) === data.token || undefined],
  ['fs wrote a file', async () => ((await load('fs')).writeFileSync(`${data.dir}/probe-fs`, 'x'), true)],
  ['child_process ran a command', async () => ((await load('child_process')).execFileSync('touch', [`${data.dir}/probe-exec`]), true)],
  ['spawnSync ran a command', async () => (await load('child_process')).spawnSync('touch', [`${data.dir}/probe-spawn`]).status === 0 || undefined],
  ['net connected to the canary', async () => {
    const net = await load('net');
    await within(new Promise<void>((res, rej) => {
      const s = net.connect(data.canaryPort, '127.0.0.1', () => (s.end(), res()));
      s.on('error', rej);
    }));
    return true;
  }],
  ['http reached the canary', async () => {
    const http = await load('http');
    await within(new Promise<void>((res, rej) => http.get(`http://127.0.0.1:${data.canaryPort}/probe-http`, (r: any) => (r.resume(), res())).on('error', rej)));
    return true;
  }],
  ['dns lookup ran', async () => {
    const dns = await load('dns');
    await within(new Promise<void>((res, rej) => dns.lookup('localhost', (e: unknown) => (e ? rej(e) : res()))));
    return true;
  }],
  ['udp socket sent', async () => {
    const dgram = await load('dgram');
    const s = dgram.createSocket('udp4');
    await within(new Promise<void>((res, rej) => s.send('x', data.canaryPort, '127.0.0.1', (e: unknown) => (s.close(), e ? rej(e) : res()))));
    return true;
  }],
  ['vm evaluated code', async () => (await load('vm')).runInThisContext('6 * 7') === 42 || undefined],
  ['new Worker started', async () => {
    const { Worker } = await load('worker_threads');
    const w = new Worker('0', { eval: true });
    await w.terminate();
    return true;
  }],
  ['createRequire loaded child_process', async () => typeof (await load('module')).createRequire(`${data.dir}/x.js`)('child_process').execSync === 'function' || undefined],
  ['process.env holds the canary', async () => (await load('process')).default.env.L0_CANARY_ENV === data.token || undefined],
  ['process.getBuiltinModule', async () => typeof (await load('process')).default.getBuiltinModule('child_process').execSync === 'function' || undefined],
  ['process.binding', async () => (await load('process')).default.binding('spawn_sync') !== undefined || undefined],
  ['process.dlopen reached the loader', async () => {
    try {
      (await load('process')).default.dlopen({ exports: {} }, `${data.dir}/none.node`);
    } catch (e) {
      if (/cannot open shared object|No such file/i.test(String(e))) return true;
      throw e;
    }
    return true;
  }],
  ['v8.setFlagsFromString', async () => ((await load('v8')).setFlagsFromString('--no-lazy'), true)],
  ['inspector opened', async () => ((await load('inspector')).url(), true)],
  // Pyodide's own API, as JS holding the real object would use it.
  ['pyodide.mountNodeFS read the secret', (py) => {
    py.mountNodeFS('/host', data.dir);
    return py.FS.readFile('/host/secret.txt', { encoding: 'utf8' }) === data.token || undefined;
  }],
  ['NODEFS mount read the secret', (py) => {
    const FS = py._module.FS;
    FS.mkdirTree('/host2');
    FS.mount(FS.filesystems.NODEFS ?? py._module.NODEFS, { root: data.dir }, '/host2');
    return FS.readFile('/host2/secret.txt', { encoding: 'utf8' }) === data.token || undefined;
  }],
  ['_api.loadBinaryFile read the secret', async (py) => new TextDecoder().decode(await py._api.loadBinaryFile(`${data.dir}/secret.txt`)) === data.token || undefined],
  ['_module.asyncLoad read the secret', async (py) => new TextDecoder().decode(await py._module.asyncLoad(`${data.dir}/secret.txt`)) === data.token || undefined],
  ['useNodeSockFS enabled node sockets', async (py) => (await within(py.useNodeSockFS()), true)],
  ['os.system ran a command', (py) => py.runPython(`import os; os.system("touch ${data.dir}/probe-os-system")`) === undefined && undefined],
  // The realm's lockdown (lockdown.ts): shared prototypes, the global and WebAssembly compilation.
  ['planted a property on Object.prototype', () => Reflect.defineProperty(Object.prototype, '__l0Probe', { value: 1, configurable: true }) && (delete (Object.prototype as any).__l0Probe, true)],
  ['replaced FinalizationRegistry.prototype.register', () => {
    const orig = FinalizationRegistry.prototype.register;
    const stand = () => undefined;
    if (!Reflect.set(FinalizationRegistry.prototype, 'register', stand) || FinalizationRegistry.prototype.register !== stand) return undefined;
    FinalizationRegistry.prototype.register = orig;
    return true;
  }],
  ['added a global', () => Reflect.defineProperty(globalThis, '__l0NewGlobal', { value: 1, configurable: true }) || undefined],
  ['compiled a WebAssembly module', () => new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) instanceof WebAssembly.Module || undefined],
];

async function main(): Promise<void> {
  if (data.harden || data.permission) prepareNodeWorkerForPyodide();
  const py = await loadPyodide({ jsglobals: minimalJsGlobals(), stdout: () => undefined, stderr: () => undefined });
  const report = data.harden ? hardenNodeWorker(py) : undefined;
  const findings: string[] = [];
  const errors: Record<string, string> = {};
  for (const [finding, run] of probes) {
    try {
      if (await run(py)) findings.push(finding);
    } catch (e) {
      errors[finding] = String((e as Error)?.message ?? e).slice(0, 200);
    }
  }
  // Python still works after hardening (under the permission model alone, os.system's denied
  // spawnSync is a fatal interpreter error: the JS layer's stand-in is what avoids that).
  let sum = -1;
  try {
    sum = py.runPython('sum(range(10))') as number;
  } catch {
    /* reported as sum -1 */
  }
  parentPort!.postMessage({ findings, errors, sum, failed: report?.overwritten.filter((x) => x.includes('FAILED')) ?? [] });
}

main().catch((e) => parentPort!.postMessage({ fatal: String(e?.message ?? e).slice(0, 500) }));
