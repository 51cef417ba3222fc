// The worker's half of package loading: installing wheels the host fetched from the package
// source. The worker never fetches (it has no network at all, docs/security.md); it receives a
// wheel's bytes, checks them against the lock it was given before any model code ran, and hands
// them to Pyodide's own installer (unpack into site-packages, load the .so files).
//
// Why the check is here and not only on the page: a package with compiled extensions needs new
// WebAssembly modules, and the lockdown refuses to compile anything after start-up except the
// .so files of a wheel that is being installed now and matched its lock entry's sha256
// (`compileAllowed`, given to lockdown.ts). Model code may run arbitrary JS in this worker and can
// forge a call to install(), so the lock (taken once, before the first cell) and the digest function
// are captured in this closure, every wheel is copied before it is hashed, and the .so bytes the
// gate compares against are decompressed here from that verified copy.
import { unzipSync } from 'fflate';
import type { PyodideAPI } from 'pyodide';
import { canonicalName, hex, importIndex, type PackageLock } from './package-lock';
import type { PackageFailure, PackageInstallResult, PostEvent, WheelBytes } from './messages';
import type { PyPackages } from './python/runtime-module';

/** Pyodide 314's internals the installer uses (captured before hardening replaces what it can). */
interface PyodideInternals {
  install(buffer: Uint8Array, filename: string, installDir: string, metadata?: ReadonlyMap<string, string>): Promise<void>;
  package_loader: { get_install_dir(target: string): string };
  importlib: { invalidate_caches(): void };
}

const SO_FILE = /\.so(?:\.\d+)*$/;

/** The Emscripten stand-in module `convertJsFunctionToWasm` compiles: it imports one JS function and exports it, no code of its own. */
export function isFunctionWrapperModule(b: Uint8Array): boolean {
  const header = [0, 97, 115, 109, 1, 0, 0, 0, 1];
  const tail = [2, 7, 1, 1, 101, 1, 102, 0, 0, 7, 5, 1, 1, 102, 0, 0];
  if (b.length < header.length + 6 || b.length > 128) return false;
  for (let i = 0; i < header.length; i++) if (b[i] !== header[i]) return false;
  const size = b[9]!;
  const type = b.subarray(10, 10 + size);
  // one type: form 0x60, params, results (at most one), each a value type Emscripten uses
  if (size < 4 || type[0] !== 1 || type[1] !== 0x60) return false;
  const params = type[2]!;
  const results = type[3 + params];
  if (results === undefined || results > 1 || size !== 4 + params + results) return false;
  for (let i = 3; i < size; i++) if (i !== 3 + params && ![0x7f, 0x7e, 0x7d, 0x7c, 0x6f].includes(type[i]!)) return false;
  const rest = b.subarray(10 + size);
  return rest.length === tail.length && tail.every((x, i) => rest[i] === x);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface PackageInstaller {
  /** Takes the package source's lock once, before the first cell; later calls are refused. */
  setLock(lock: PackageLock | undefined, unavailable?: string): void;
  /** The lock's import names are known to Python (for its ModuleNotFoundError messages). */
  readonly hasLock: boolean;
  /** Called when the first cell starts: no lock is taken after it. */
  sealLock(): void;
  /** Verifies and installs wheels in the given order (dependencies first). */
  install(cellId: number, wheels: WheelBytes[], failures: PackageFailure[]): Promise<PackageInstallResult[]>;
  /** For lockdown.ts: may these bytes be compiled? (a .so of a verified wheel being installed, or Emscripten's function wrapper) */
  compileAllowed(bytes: Uint8Array): boolean;
}

export function createPackageInstaller(py: PyodideAPI, pyPackages: PyPackages, post: PostEvent): PackageInstaller {
  const internals = (py as unknown as { _api: PyodideInternals })._api;
  // Captured now, before model code can shadow anything on the objects they hang off.
  const install = internals.install;
  const getInstallDir = internals.package_loader.get_install_dir.bind(internals.package_loader);
  const invalidateCaches = () => internals.importlib.invalidate_caches();
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  const digest = subtle && typeof SubtleCrypto === 'function' ? SubtleCrypto.prototype.digest : undefined;
  let lock: PackageLock | undefined;
  let sealed = false;
  const installed = new Set<string>();
  /** The .so files of the wheels being installed right now (the only bytes the gate lets compile). */
  const pending = new Set<Uint8Array>();

  async function sha256(bytes: Uint8Array): Promise<string> {
    if (!subtle || !digest) throw new Error('no SHA-256 here (the page is not a secure context: use https or localhost)');
    return hex((await Reflect.apply(digest, subtle, ['SHA-256', bytes])) as ArrayBuffer);
  }

  async function installOne(cellId: number, wheel: WheelBytes): Promise<void> {
    const key = canonicalName(String(wheel.name));
    const entry = lock && Object.prototype.hasOwnProperty.call(lock.packages, key) ? lock.packages[key] : undefined;
    if (!entry) throw new Error(`${wheel.name} is not in the package source's lock file`);
    const source = wheel.bytes;
    if (!(source instanceof Uint8Array)) throw new Error('the wheel arrived without its bytes');
    // Our own copy (made with our own, fresh array: nothing of the sender's runs in it), so whoever
    // sent the bytes cannot change them once they are hashed.
    const bytes = new Uint8Array(source.length);
    bytes.set(source);
    const actual = await sha256(bytes);
    if (actual !== entry.sha256) throw new Error(`refused: its sha256 ${actual.slice(0, 12)}… does not match the lock file's ${entry.sha256.slice(0, 12)}…`);
    post('package', { cellId, name: entry.name, phase: 'install', message: `installing ${entry.name} ${entry.version}` });
    // The .so files as copies of their own: Pyodide's installer (Python) gets another copy, so
    // nothing it touches can change what the gate compares against.
    const libs = Object.values(unzipSync(bytes, { filter: (f) => SO_FILE.test(f.name) })).map((lib) => new Uint8Array(lib));
    for (const lib of libs) pending.add(lib);
    try {
      const metadata = new Map([['INSTALLER', 'l0-browser'], ['PYODIDE_SOURCE', 'package source']]);
      await install(new Uint8Array(bytes), entry.fileName, getInstallDir(entry.installDir), metadata);
    } finally {
      for (const lib of libs) pending.delete(lib);
    }
    installed.add(key);
  }

  return {
    get hasLock() {
      return lock !== undefined;
    },
    setLock(next, unavailable) {
      if (sealed || lock) throw new Error('the package lock is taken once, before the first cell');
      lock = next;
      pyPackages.set_index(JSON.stringify(next ? Object.fromEntries(importIndex(next)) : {}), unavailable ?? '');
    },
    sealLock() {
      sealed = true;
    },
    async install(cellId, wheels, failures) {
      const results: PackageInstallResult[] = [];
      const failed: Record<string, string> = {};
      for (const f of failures) failed[canonicalName(String(f.name))] = String(f.reason).slice(0, 500);
      for (const wheel of wheels) {
        const key = canonicalName(String(wheel.name));
        if (installed.has(key)) {
          results.push({ name: key, ok: true });
          continue;
        }
        try {
          await installOne(cellId, wheel);
          results.push({ name: key, ok: true });
        } catch (e) {
          const reason = (e instanceof Error ? e.message : String(e)).slice(0, 500);
          failed[key] = reason;
          results.push({ name: key, ok: false, error: reason });
          post('package', { cellId, name: key, phase: 'failed', message: `${key}: ${reason}` });
        }
      }
      invalidateCaches();
      pyPackages.note_failures(JSON.stringify(failed));
      return results;
    },
    compileAllowed(bytes) {
      for (const lib of pending) if (sameBytes(lib, bytes)) return true;
      return isFunctionWrapperModule(bytes);
    },
  };
}
