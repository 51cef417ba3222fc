// Browser platform for the sandbox: a dedicated module worker bundled by Vite. The host reads it
// through the checking channel (src/channel/); nothing else listens to the worker.
import type { SandboxPlatform, SpawnedWorker } from './worker-lifecycle';

/**
 * True when the page declares a CSP in a <meta> tag that lets workers load from blob: URLs (ours
 * does: index.html, harness.html). Only then is a blob worker useful (it inherits that CSP) and
 * safe to start (a CSP refusing blob: workers fails them asynchronously, past any fallback).
 */
function metaCspAllowsBlobWorkers(): boolean {
  const metas = [...document.querySelectorAll<HTMLMetaElement>('meta[http-equiv="Content-Security-Policy" i]')];
  if (metas.length === 0) return false;
  return metas.every((m) => {
    const directives = new Map(
      m.content.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0]!.toLowerCase(), d.slice(1)] as const),
    );
    const sources = directives.get('worker-src') ?? directives.get('script-src') ?? directives.get('default-src');
    return !sources || sources.includes('blob:');
  });
}

/**
 * Starts the module worker from a blob URL that imports the real worker script, so the worker
 * inherits the page's CSP (no 'unsafe-eval', see docs/security.md): a worker loaded from its own
 * URL would only get a CSP from HTTP headers, which static hosts do not send. Pages without such a
 * meta CSP (embedders) get the plain worker; the in-worker hardening holds either way.
 */
const BlobModuleWorker = function (url: URL | string, options?: WorkerOptions): Worker {
  if (!metaCspAllowsBlobWorkers()) return new globalThis.Worker(url, options);
  const blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(String(url))};`], { type: 'text/javascript' }));
  try {
    return new globalThis.Worker(blobUrl, { ...options, type: 'module' });
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
} as unknown as typeof Worker;

function defaultIndexURL(): string {
  // Relative to the page, so the site works from any sub-path (e.g. /docs/agent/).
  return new URL('pyodide/', document.baseURI).href;
}

/**
 * `createWorker` replaces the worker (tests start hostile ones); the default is our pyodide.worker.
 */
export function browserPlatform(indexURL?: string, preferJspi = true, createWorker?: () => Worker): SandboxPlatform {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const base = indexURL ?? defaultIndexURL();
  return {
    sharedMemory: isolated,
    preferJspi,
    indexURL: new URL(base.endsWith('/') ? base : base + '/', globalThis.location?.href).href,
    spawn(): SpawnedWorker {
      // Shadowed so Vite still bundles the worker (it rewrites `new Worker(new URL(..))`).
      const Worker = BlobModuleWorker;
      const worker = createWorker ? createWorker() : new Worker(new URL('./pyodide.worker.ts', import.meta.url), { type: 'module', name: 'l0-python' });
      let done = false;
      let onExit: ((reason: string) => void) | undefined;
      worker.addEventListener('error', (e) => {
        if (done) return;
        done = true;
        onExit?.(e.message || 'the Python worker failed');
      });
      return {
        endpoint: worker,
        onExit: (cb) => (onExit = cb),
        terminate: () => {
          done = true;
          worker.terminate();
        },
      };
    },
  };
}
