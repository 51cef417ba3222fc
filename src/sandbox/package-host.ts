// Packages on the host side of the sandbox: before a cell runs, ask the worker which of its imports
// are missing, look them up in the lock, fetch their wheels (dependencies first) from the package
// source, and hand them to the worker to verify and install. Progress goes to the cell.
import type { PackageProgress, PackageSourceInfo } from '../protocols';
import type * as Comlink from 'comlink';
import { canonicalName, importIndex, installOrder, packagesForImports, type LockPackage, type PackageLock } from './package-lock';
import { PackageUnavailable, type PackageSource } from './package-source';
import type { PackageFailure, WheelBytes, WorkerApi } from './messages';

/** Downloads at once. */
const PARALLEL_DOWNLOADS = 4;

const MB = 2 ** 20;
const size = (bytes: number) => (bytes >= 100 * 1024 ? `${(bytes / MB).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`);

type Lock = { lock: PackageLock; index: Map<string, string> } | { unavailable: string };

/** Runs one call into the worker (Python runs there): the host bounds its time and can interrupt it. */
export type WorkerCall = <T>(call: () => Promise<T>) => Promise<T>;

export class PackageLoader {
  private readonly locked: Promise<Lock>;
  /** Per worker (its API proxy): the packages installed there. A new worker has none, and no lock yet. */
  private readonly workers = new WeakMap<object, Set<string>>();

  /** `source`, or why there is none (a package base URL that is not one). */
  constructor(private readonly source: PackageSource | { baseUrl: string; error: string }) {
    this.locked =
      'error' in source
        ? Promise.resolve({ unavailable: source.error })
        : source.lock().then(
            (lock) => ({ lock, index: importIndex(lock) }),
            (e: unknown) => ({ unavailable: e instanceof PackageUnavailable ? e.message : `the package list could not be read (${(e as Error)?.message ?? String(e)})` }),
          );
  }

  /**
   * Loads what `code` imports from the package source into the worker (failures are told to Python,
   * not thrown). A worker's first cell first hands it the lock: the worker takes it only before its
   * first cell, when no model code has run in it yet.
   */
  async loadFor(api: Comlink.Remote<WorkerApi>, cellId: number, code: string, report: (p: PackageProgress) => void, signal: AbortSignal, inWorker: WorkerCall): Promise<void> {
    const l = await this.locked;
    let installed = this.workers.get(api);
    if (!installed) {
      await inWorker(() => ('lock' in l ? api.setPackageLock(l.lock) : api.setPackageLock(undefined, l.unavailable)));
      installed = new Set();
      this.workers.set(api, installed);
    }
    if (!('lock' in l)) return;
    const missing = await inWorker(() => api.missingImports(code));
    const wanted = packagesForImports(l.lock, missing, l.index);
    if (!wanted.length) return;
    const { order } = installOrder(l.lock, wanted, installed);
    if (!order.length) return;
    const wheels = new Map<LockPackage, Uint8Array>();
    const failures: PackageFailure[] = [];
    const queue = [...order];
    const worker = async () => {
      for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
        const label = `${pkg.name} ${pkg.version}`.trim();
        report({ name: pkg.name, phase: 'download', message: `loading ${label}…` });
        try {
          if ('error' in this.source) throw new PackageUnavailable(this.source.error);
          const bytes = await this.source.wheel(pkg, {
            signal,
            onProgress: (p) => report({ name: pkg!.name, phase: 'download', loadedBytes: p.loadedBytes, totalBytes: p.totalBytes, message: `loading ${label} ${size(p.loadedBytes)}${p.totalBytes ? ` of ${size(p.totalBytes)}` : ''}…` }),
          });
          wheels.set(pkg, bytes);
        } catch (e) {
          if (signal.aborted) throw e;
          const reason = e instanceof PackageUnavailable ? e.message : String((e as Error)?.message ?? e);
          failures.push({ name: pkg.name, reason });
          report({ name: pkg.name, phase: 'failed', message: reason });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, order.length) }, worker));
    if (signal.aborted) throw new DOMException('Stopped', 'AbortError');
    // Installed in dependency order (the lock's), whatever order the downloads finished in.
    const ready: WheelBytes[] = order.filter((p) => wheels.has(p)).map((p) => ({ name: p.name, bytes: wheels.get(p)! }));
    const results = await inWorker(() => api.installPackages(cellId, ready, failures));
    for (const r of results) {
      const pkg = order.find((p) => canonicalName(p.name) === r.name);
      const name = pkg?.name ?? r.name;
      if (r.ok) {
        installed.add(r.name);
        report({ name, phase: 'ready', message: `${name} ${pkg?.version ?? ''} ready`.replace(/ +/g, ' ') });
      } else report({ name, phase: 'failed', message: `${name}: ${r.error ?? 'could not be installed'}` });
    }
  }

  /** The package source and its packages (for the system prompt and Settings). */
  async info(): Promise<PackageSourceInfo> {
    const l = await this.locked;
    if (!('lock' in l)) return { baseUrl: this.source.baseUrl, unavailable: l.unavailable, packages: [] };
    const cached = 'error' in this.source ? new Set<string>() : await this.source.cachedPackages(l.lock).catch(() => new Set<string>());
    const packages = Object.entries(l.lock.packages)
      .filter(([, p]) => p.imports.length > 0)
      .map(([key, p]) => ({ name: p.name, version: p.version, imports: p.imports, cached: cached.has(key) }));
    return { baseUrl: this.source.baseUrl, packages };
  }
}
