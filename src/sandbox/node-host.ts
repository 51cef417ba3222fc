// Node platform for the sandbox (Vitest, the eval CLI under tsx): the worker is a worker_thread so a
// runaway cell can be terminated. Loaded only through a dynamic import that Vite never follows.
import { MessageChannel, Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SandboxPlatform, SpawnedWorker } from './host';
import type { HostPort, WorkerApi } from './messages';

/**
 * From source (.ts) the worker needs a TypeScript loader: register tsx's ESM hooks inside the
 * worker, then import the entry. (`execArgv: ['--import', 'tsx']` does not reach worker threads on
 * Node 20.) A compiled build (.js) imports the entry directly.
 */
function workerURL(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './node.worker.ts' : './node.worker.js', import.meta.url).href;
  if (!fromSource) return new URL(entry);
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new URL('data:text/javascript,' + encodeURIComponent(boot));
}

export function nodePlatform(): SandboxPlatform {
  return {
    sharedMemory: true,
    preferJspi: false,
    // Host callbacks travel on our own channel whose host end is unref'd, so an idle sandbox never
    // keeps Node alive; keepAlive() holds the process only while the host waits on the worker.
    exposeHost(host: HostPort): HostPort {
      const { port1, port2 } = new MessageChannel();
      Comlink.expose(host, nodeEndpoint(port1 as unknown as Parameters<typeof nodeEndpoint>[0]));
      (port1 as unknown as { unref?: () => void }).unref?.();
      return Comlink.transfer(port2, [port2]) as unknown as HostPort;
    },
    keepAlive() {
      const t = setInterval(() => undefined, 1 << 30);
      return () => clearInterval(t);
    },
    spawn(): SpawnedWorker {
      const worker = new Worker(workerURL(), { stdout: false, stderr: false });
      const api = Comlink.wrap<WorkerApi>(nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]));
      // After wrap(): adding a 'message' listener re-refs the worker's port.
      worker.unref();
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
        api,
        onExit: (cb) => (onExit = cb),
        terminate: () => {
          exited = true;
          void worker.terminate();
        },
      };
    },
  };
}
