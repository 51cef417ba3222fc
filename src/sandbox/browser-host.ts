// Browser platform for the sandbox: a dedicated module worker bundled by Vite, reached with comlink.
import * as Comlink from 'comlink';
import type { SandboxPlatform, SpawnedWorker } from './host';
import type { WorkerApi } from './messages';

export function defaultIndexURL(): string {
  // Relative to the page, so the site works from any sub-path (e.g. /docs/agent/).
  return new URL('pyodide/', document.baseURI).href;
}

export function browserPlatform(indexURL?: string, preferJspi = true): SandboxPlatform {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const base = indexURL ?? defaultIndexURL();
  return {
    sharedMemory: isolated,
    preferJspi,
    indexURL: new URL(base.endsWith('/') ? base : base + '/', globalThis.location?.href).href,
    spawn(): SpawnedWorker {
      const worker = new Worker(new URL('./pyodide.worker.ts', import.meta.url), { type: 'module', name: 'l0-python' });
      const api = Comlink.wrap<WorkerApi>(worker);
      let done = false;
      let onExit: ((reason: string) => void) | undefined;
      worker.addEventListener('error', (e) => {
        if (done) return;
        done = true;
        onExit?.(e.message || 'the Python worker failed');
      });
      return {
        api,
        onExit: (cb) => (onExit = cb),
        terminate: () => {
          done = true;
          worker.terminate();
        },
      };
    },
  };
}
