// Hardening of the Node sandbox worker (a worker_thread, node.worker.ts). Node-only: imported by
// that entry alone, never by the browser bundle.
//
// Same threat model as the browser (harden.ts, docs/security.md): after the first cell, assume the
// model controls everything in this thread's realm that Pyodide's FFI reaches. Layers:
//   1. Node's permission model, set by the host in the worker's execArgv (node-host.ts): the thread
//      may read only Pyodide's own files; no writes, child processes, workers, addons, WASI,
//      inspector. Enforced by Node, not by this file.
//   2. Built-in modules lose their capabilities in this thread. A worker thread has its own
//      instance of every built-in module, shared by `require`, `import` and Node's internals, so
//      replacing a function on that instance (and on class prototypes such as net.Socket) reaches
//      every holder: Pyodide's captured `fs`, Emscripten's lazy `require("node:child_process")` for
//      os.system, `import("node:net")` from a JS function reached through the FFI. Network (TCP,
//      UDP, DNS, HTTP, fetch) is not covered by Node 20's permission model: this layer is what
//      stops it.
//   3. Pyodide's Node-only entry points (mountNodeFS, NODEFS, node sockets, loadScript, file
//      loaders) refuse.
//   4. The realm-level hardening shared with the browser (harden.ts, platform 'node'): globals
//      allowlist (deletes `process`, `require`, `Buffer`, `fetch`, `module`...), no eval/Function,
//      safe timers, Python guard.
// This is defence for the eval CLI and tests on a developer's machine; the thread shares the
// process, so it is not a VM boundary (docs/security.md, "Node sandbox").

import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import childProcess from 'node:child_process';
import vm from 'node:vm';
import net from 'node:net';
import tls from 'node:tls';
import dgram from 'node:dgram';
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import workerThreads from 'node:worker_threads';
import inspector from 'node:inspector';
import v8 from 'node:v8';
import wasi from 'node:wasi';
import nodeModule, { syncBuiltinESMExports } from 'node:module';
import type { PyodideAPI } from 'pyodide';
import { hardenWorkerScope, type HardenReport } from './harden';

type AnyFn = (...args: unknown[]) => unknown;
type Obj = Record<string | symbol, unknown>;

const disabledError = (what: string) => Object.assign(new Error(`${what} is disabled in the l0 sandbox`), { code: 'ERR_L0_SANDBOX' });

function standIn(what: string): AnyFn {
  const fn = function () {
    throw disabledError(what);
  };
  Object.defineProperty(fn, 'name', { value: what });
  return fn;
}

/** Replaces one property with `value` (data property, read-only). Reports what it could not. */
function replace(target: object, key: string, value: unknown, report: HardenReport, where: string): void {
  const d = Reflect.getOwnPropertyDescriptor(target, key);
  if (!d) return;
  try {
    Object.defineProperty(target, key, { value, writable: false, configurable: false, enumerable: d.enumerable });
    report.removed.push(`${where}.${key}`);
  } catch {
    report.overwritten.push(`${where}.${key} (FAILED)`);
  }
}

/** Every function-valued export of a built-in module becomes a throwing stand-in. */
function neuterExports(mod: object, where: string, report: HardenReport, except: Record<string, unknown> = {}): void {
  for (const key of Reflect.ownKeys(mod)) {
    if (typeof key !== 'string') continue;
    if (key in except) {
      replace(mod, key, except[key], report, where);
      continue;
    }
    const d = Reflect.getOwnPropertyDescriptor(mod, key)!;
    // Accessors go too (fs.promises) where they can; the non-configurable ones are data
    // (tls.rootCertificates) or only matter with _compile, which goes (module.wrap).
    const isFn = 'value' in d ? typeof d.value === 'function' : d.configurable === true;
    if (isFn) replace(mod, key, standIn(`${where}.${key}`), report, where);
  }
}

function neuterMethods(proto: object | undefined, names: string[], where: string, report: HardenReport): void {
  if (!proto) return;
  for (const name of names) replace(proto, name, standIn(`${where}.${name}`), report, where);
}

/**
 * Emscripten's system() (Python's os.system) calls child_process.spawnSync from a Wasm import, where
 * a throw is a fatal interpreter error: this stand-in answers "command not found" (exit 127).
 */
function failedSpawnSync(): unknown {
  const error = disabledError('child_process.spawnSync');
  return { pid: 0, status: 127, signal: null, output: [null, '', ''], stdout: '', stderr: '', error };
}

/**
 * Takes the capabilities out of this thread's built-in modules. Call after Pyodide is loaded (it
 * reads its files through `fs` while loading) and before any model code.
 */
function neuterNodeModules(report: HardenReport, errno: (code: number) => Error): void {
  neuterExports(childProcess, 'child_process', report, { spawnSync: failedSpawnSync });
  neuterExports(fs, 'fs', report);
  neuterExports(fsPromises, 'fs/promises', report);
  neuterExports(vm, 'vm', report);
  neuterExports(workerThreads, 'worker_threads', report, {
    // comlink's channel to the host keeps working: it holds parentPort / MessagePorts already made.
    parentPort: workerThreads.parentPort,
    isMainThread: workerThreads.isMainThread,
    threadId: workerThreads.threadId,
  });
  neuterExports(inspector, 'inspector', report);
  neuterExports(wasi, 'wasi', report);
  neuterExports(v8, 'v8', report);
  // Network: every TCP/TLS/HTTP/fetch connection goes through net.Socket#connect; servers through
  // listen; UDP through dgram; name lookups (a DNS query carries data too) through dns.
  neuterMethods(net.Socket.prototype, ['connect'], 'net.Socket.prototype', report);
  neuterMethods(net.Server.prototype, ['listen'], 'net.Server.prototype', report);
  neuterExports(net, 'net', report, { isIP: net.isIP, isIPv4: net.isIPv4, isIPv6: net.isIPv6, Socket: net.Socket, Server: net.Server });
  neuterExports(tls, 'tls', report, { TLSSocket: tls.TLSSocket, Server: tls.Server });
  neuterMethods(dgram.Socket.prototype, ['bind', 'connect', 'send'], 'dgram.Socket.prototype', report);
  neuterExports(dgram, 'dgram', report, { Socket: dgram.Socket });
  neuterExports(dns, 'dns', report);
  neuterExports(dnsPromises, 'dns/promises', report);
  neuterMethods(dns.Resolver?.prototype, Object.getOwnPropertyNames(dns.Resolver?.prototype ?? {}).filter((k) => k !== 'constructor'), 'dns.Resolver.prototype', report);
  for (const [mod, where] of [[http, 'http'], [https, 'https'], [http2, 'http2']] as const) {
    for (const k of ['request', 'get', 'connect', 'createServer', 'createSecureServer']) {
      if (typeof (mod as unknown as Obj)[k] === 'function') replace(mod, k, standIn(`${where}.${k}`), report, where);
    }
  }
  // CommonJS loading: require() after this point gets only what the runtime still asks for.
  // Emscripten requires lazily: child_process in system() (the neutered module), ws for Python
  // sockets (a stand-in that refuses with EPERM so the syscall fails as an OSError, not a crash).
  const M = nodeModule as unknown as { _load: AnyFn; prototype: Obj };
  const originalLoad = M._load;
  const refusingWs = function () {
    throw errno(63);
  };
  Object.assign(refusingWs, { Server: refusingWs, WebSocket: refusingWs, WebSocketServer: refusingWs });
  const allowed = new Set(['node:child_process', 'child_process', 'node:crypto', 'crypto', 'node:path', 'path', 'node:url', 'url']);
  replace(M, '_load', function (this: unknown, request: unknown, ...rest: unknown[]) {
    if (request === 'ws') return refusingWs;
    if (typeof request === 'string' && allowed.has(request)) return Reflect.apply(originalLoad, this, [request, ...rest]);
    throw disabledError(`require(${JSON.stringify(request)})`);
  }, report, 'module');
  neuterMethods(M.prototype, ['_compile'], 'module.Module.prototype', report);
  neuterExports(nodeModule, 'module', report, { _load: M._load, syncBuiltinESMExports, builtinModules: nodeModule.builtinModules });
  // The ESM namespaces (`import * as fs`, what pyodide.mjs captured) follow the CommonJS objects.
  syncBuiltinESMExports();
}

/** This thread's process object: the global name goes (harden.ts); these go from the object too. */
function neuterProcess(report: HardenReport): void {
  const p = process as unknown as Obj;
  for (const k of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'kill', 'chdir', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups', 'abort', '_kill', '_debugProcess', '_startProfilerIdleNotifier']) {
    if (typeof p[k] === 'function') replace(p, k, standIn(`process.${k}`), report, 'process');
  }
  // The host starts the thread with an empty environment; this empties it if it did not.
  for (const k of Object.keys(process.env)) delete process.env[k];
}

/** Pyodide's entry points that exist only in Node: host directories, real sockets, script loading. */
function neuterPyodideNode(py: PyodideAPI, report: HardenReport): void {
  const pub = py as unknown as Obj;
  const api = pub._api as Obj | undefined;
  const mod = pub._module as Obj | undefined;
  const refuse = (what: string) => {
    const fn = () => {
      throw disabledError(what);
    };
    return fn;
  };
  for (const k of ['mountNodeFS', 'useNodeSockFS', 'mountNativeFS']) {
    try {
      Object.defineProperty(pub, k, { value: refuse(`pyodide.${k}`), writable: false, configurable: false });
      report.removed.push(`pyodide.${k}`);
    } catch {
      report.overwritten.push(`pyodide.${k} (FAILED)`);
    }
  }
  if (api) for (const k of ['initializeNodeSockFS', 'loadScript']) if (k in api) replace(api, k, refuse(`pyodide._api.${k}`), report, 'pyodide._api');
  if (mod) for (const k of ['asyncLoad', 'loadDynamicLibrary', 'loadWebAssemblyModule', '__emscripten_system', '_emscripten_run_script', '_emscripten_run_script_int', '_emscripten_run_script_string']) {
    if (typeof mod[k] === 'function') replace(mod, k, refuse(`pyodide._module.${k}`), report, 'pyodide._module');
  }
  // NODEFS maps a host directory into Python's file system: unmountable, and gone from the list.
  const FS = (mod?.FS ?? pub.FS) as { filesystems?: Obj } | undefined;
  const nodefs = (FS?.filesystems?.NODEFS ?? mod?.NODEFS) as Obj | undefined;
  if (nodefs) replace(nodefs, 'mount', refuse('NODEFS.mount'), report, 'NODEFS');
  if (FS?.filesystems && Reflect.deleteProperty(FS.filesystems, 'NODEFS')) report.removed.push('FS.filesystems.NODEFS');
}

/**
 * Call before loadPyodide: under Node's permission model `process.binding` throws, and Emscripten's
 * NODEFS reads its open-flag constants from `process.binding("constants")` while the module is
 * created. This hands it `fs.constants` and nothing else.
 */
export function prepareNodeWorkerForPyodide(): void {
  const constants = { fs: fs.constants, os: {} };
  Object.defineProperty(process, 'binding', {
    value: (name: string) => {
      if (name === 'constants') return constants;
      throw disabledError(`process.binding(${JSON.stringify(name)})`);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * Hardens the Node worker thread this runs in. Call once, after Pyodide and the runtime are loaded
 * and before any model code runs (node.worker.ts passes it to createWorkerApi as afterInstall).
 */
export function hardenNodeWorker(py: PyodideAPI): HardenReport {
  const report: HardenReport = { removed: [], overwritten: [], kept: [], pythonGuard: false, builtinsRemoved: [], emscriptenStubbed: [] };
  const ErrnoError = (py.FS as unknown as { ErrnoError?: new (code: number) => Error }).ErrnoError;
  const errno = (code: number) => (ErrnoError ? new ErrnoError(code) : Object.assign(new Error('EPERM'), { name: 'ErrnoError', errno: code }));
  neuterNodeModules(report, errno);
  neuterProcess(report);
  neuterPyodideNode(py, report);
  // Last: it deletes the globals (process, require...) the steps above still use.
  const shared = hardenWorkerScope(py, { platform: 'node' });
  return {
    removed: [...report.removed, ...shared.removed],
    overwritten: [...report.overwritten, ...shared.overwritten],
    kept: shared.kept,
    pythonGuard: shared.pythonGuard,
    builtinsRemoved: shared.builtinsRemoved,
    emscriptenStubbed: shared.emscriptenStubbed,
    lockdown: shared.lockdown,
  };
}
