// Public API of src/sandbox (re-exported by src/index.ts).
import type { Sandbox } from '../protocols';
import { browserPlatform } from './browser-host';
import { PyodideSandbox, type PyodideSandboxOptions, type SandboxPlatform } from './host';

export { FakeSandbox, type FakeCellScript, type FakeSandboxOptions } from './fake';
export { RESTART_MESSAGE, type PyodideSandboxOptions } from './host';
export { readSnapshotInfo, clearSnapshot, type SnapshotInfo } from './snapshot';
export {
  OFFICIAL_PACKAGE_SOURCE,
  PYODIDE_VERSION,
  clearPackageCache,
  listCachedPackages,
  packageBaseUrl,
  type CachedPackageFile,
  type PackageCache,
} from './package-source';

function runningInNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown; WorkerGlobalScope?: unknown };
  return typeof g.process?.versions?.node === 'string' && g.document === undefined && g.WorkerGlobalScope === undefined;
}

async function nodePlatform(): Promise<SandboxPlatform> {
  // An opaque specifier: Vite must not follow it into the browser bundle (it pulls node: modules).
  const spec = './node-host' + '.js';
  const mod = (await import(/* @vite-ignore */ spec)) as typeof import('./node-host');
  return mod.nodePlatform();
}

/**
 * A Python REPL with notebook semantics: Pyodide in a module Web Worker (browser) or a worker thread
 * (Node). Resolves once the interpreter is ready; `options.onProgress` reports loading.
 */
export async function createPyodideSandbox(options: PyodideSandboxOptions = {}): Promise<Sandbox> {
  const platform = runningInNode() ? await nodePlatform() : browserPlatform(options.indexURL, options.preferToolBridge !== 'atomics', options.createWorker);
  return PyodideSandbox.start(platform, options);
}
