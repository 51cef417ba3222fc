// Node platform for the sandbox (Vitest, the eval CLI under tsx): the worker is a worker_thread so a
// runaway cell can be terminated, started bundled and under Node's permission model, and hardened
// from inside (harden-node.ts), and restored from the process's warm-start snapshot after the first
// (snapshot-handoff.ts). Loaded only through a dynamic import that Vite never follows.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerEndpoint } from '../channel/channel';
import type { SandboxPlatform, SpawnedWorker } from './worker-lifecycle';
import { processSnapshotKeeper } from './snapshot-handoff';

const require = createRequire(import.meta.url);
/** Pyodide's own files: the only thing the worker thread may read. */
const pyodideDir = (): string => dirname(require.resolve('pyodide'));

const bundles = new Map<string, URL>();
/** This process's Pyodide snapshot, made by its first worker and handed to the next ones. */
const snapshots = processSnapshotKeeper();

/**
 * The worker as one self-contained ES module (a data: URL), bundled with esbuild from source (.ts)
 * or a compiled build (.js). Bundled, the thread reads no source file and needs no TypeScript
 * loader (tsx would need to start a worker of its own, which the permission model refuses); only
 * Pyodide stays outside, imported by absolute URL because it finds its Wasm and stdlib next to itself.
 */
export function bundleWorkerEntry(entryPath: string): URL {
  const hit = bundles.get(entryPath);
  if (hit) return hit;
  const esbuild = require('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pyodide'],
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const pyodideURL = JSON.stringify(pathToFileURL(join(pyodideDir(), 'pyodide.mjs')).href);
  const code = out.outputFiles[0]!.text.replace(/(from\s*|import\(\s*)"pyodide"/g, `$1${pyodideURL}`);
  const url = new URL('data:text/javascript,' + encodeURIComponent(code));
  bundles.set(entryPath, url);
  return url;
}

/**
 * How the sandbox thread is started. Node's permission model applies per thread when given in a
 * Worker's execArgv (checked on Node 20.20: the thread is restricted, the parent is not): the thread
 * may read Pyodide's directory and nothing else, and may not write files, spawn processes or
 * workers, load addons, use WASI or the inspector. It does not cover the network in Node 20
 * (harden-node.ts does). The environment is empty: API keys in the parent's env stay there.
 */
export function sandboxWorkerOptions(): WorkerOptions {
  const flags = process.allowedNodeEnvironmentFlags;
  const permission = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : undefined;
  const execArgv = permission ? [permission, `--allow-fs-read=${pyodideDir()}${sep}*`] : [];
  if (permission && flags.has('--disable-warning')) execArgv.push('--disable-warning=ExperimentalWarning');
  return { execArgv, env: {}, argv: [], stdout: false, stderr: false };
}

/** True when sandboxWorkerOptions() puts the thread under Node's permission model. */
export function permissionModelAvailable(): boolean {
  return (sandboxWorkerOptions().execArgv ?? []).length > 0;
}

function workerURL(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return bundleWorkerEntry(fileURLToPath(new URL(fromSource ? './node.worker.ts' : './node.worker.js', import.meta.url)));
}

/**
 * `workerUrl` replaces the worker module (tests start hostile ones; it runs with the same options);
 * the default is node.worker.ts, bundled.
 */
export function nodePlatform(workerUrl?: () => URL): SandboxPlatform {
  return {
    sharedMemory: true,
    preferJspi: false,
    // The worker is unref'd, so an idle sandbox never keeps Node alive; keepAlive() holds the
    // process only while the host waits on the worker.
    keepAlive() {
      const t = setInterval(() => undefined, 1 << 30);
      return () => clearInterval(t);
    },
    spawn(): SpawnedWorker {
      const { handoff, transfer } = snapshots.handoff();
      const worker = new Worker((workerUrl ?? workerURL)(), { ...sandboxWorkerOptions(), workerData: { snapshotHandoff: handoff }, transferList: transfer });
      const port = nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]) as unknown as WorkerEndpoint;
      const endpoint: WorkerEndpoint = {
        postMessage: (m) => port.postMessage(m),
        addEventListener: (type, listener) => {
          port.addEventListener(type, listener);
          // Adding a 'message' listener re-refs the worker.
          worker.unref();
        },
        removeEventListener: (type, listener) => port.removeEventListener(type, listener),
      };
      let exited = false;
      let onExit: ((reason: string) => void) | undefined;
      const report = (reason: string) => {
        if (exited) return;
        exited = true;
        onExit?.(reason);
      };
      worker.on('error', (e) => report(e instanceof Error ? e.message : String(e)));
      worker.on('exit', (code) => report(`worker exited with code ${code}`));
      return {
        endpoint,
        onExit: (cb) => (onExit = cb),
        terminate: () => {
          exited = true;
          void worker.terminate();
        },
      };
    },
  };
}
