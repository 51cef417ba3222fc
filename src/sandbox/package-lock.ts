// The package source's lock file (Pyodide's `pyodide-lock.json`): reading it, which package an
// import needs, and the order to install a package's dependencies in. Pure functions, shared by the
// host (which fetches wheels) and the worker (which verifies and installs them).
//
// A lock file is data from the package source: every entry is checked here before anything uses
// it. A file name is a plain name (no path, no query), so a wheel's URL is always
// `packageBaseUrl + file_name`; a sha256 is 64 hex digits.

/** One package of the lock, as the sandbox uses it. */
export interface LockPackage {
  name: string;
  version: string;
  /** The wheel's (or shared library zip's) file name, relative to the package source. */
  fileName: string;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  /** Names of the packages it needs, as written in the lock. */
  depends: string[];
  /** Top-level modules it provides. */
  imports: string[];
  /** Where it is unpacked: site-packages, or the shared library folder. */
  installDir: 'site' | 'dynlib';
  /** 'package' or 'shared_library' (a zip of .so files other packages link against). */
  packageType: string;
}

export interface PackageLock {
  /** Pyodide's ABI of the wheels (`info.abi_version`), when the lock says. */
  abiVersion?: string;
  /** Python version of the wheels (`info.python`), when the lock says. */
  python?: string;
  /** By canonical name (PEP 503: lower case, runs of `-_.` as `-`). */
  packages: Record<string, LockPackage>;
}

/** PEP 503 normalised name, as Pyodide keys its lock. */
export function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,250}\.(?:whl|zip)$/;
const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const IMPORT = /^[A-Za-z_][A-Za-z0-9_]{0,199}$/;

const strings = (v: unknown, ok: RegExp): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && ok.test(x)) : []);

/** The usable entries of a parsed `pyodide-lock.json`; `skipped` counts the others. */
export function readLock(json: unknown): { lock: PackageLock; skipped: number } {
  if (!json || typeof json !== 'object') throw new Error('the lock file is not a JSON object');
  const root = json as { info?: Record<string, unknown>; packages?: unknown };
  if (!root.packages || typeof root.packages !== 'object') throw new Error("the lock file has no 'packages'");
  const packages: Record<string, LockPackage> = Object.create(null) as Record<string, LockPackage>;
  let skipped = 0;
  for (const [key, raw] of Object.entries(root.packages as Record<string, unknown>)) {
    const e = (raw ?? {}) as Record<string, unknown>;
    const name = typeof e.name === 'string' ? e.name : key;
    const fileName = e.file_name;
    const sha256 = typeof e.sha256 === 'string' ? e.sha256.toLowerCase() : '';
    if (!NAME.test(name) || typeof fileName !== 'string' || !FILE_NAME.test(fileName) || fileName.includes('..') || !SHA256.test(sha256)) {
      skipped++;
      continue;
    }
    packages[canonicalName(name)] = {
      name,
      version: typeof e.version === 'string' ? e.version.slice(0, 100) : '',
      fileName,
      sha256,
      depends: strings(e.depends, NAME),
      imports: strings(e.imports, IMPORT),
      installDir: e.install_dir === 'dynlib' ? 'dynlib' : 'site',
      packageType: typeof e.package_type === 'string' ? e.package_type.slice(0, 40) : 'package',
    };
  }
  const info = root.info ?? {};
  return {
    lock: {
      packages,
      ...(typeof info.abi_version === 'string' && { abiVersion: info.abi_version }),
      ...(typeof info.python === 'string' && { python: info.python }),
    },
    skipped,
  };
}

/** Import name -> canonical package name. */
export function importIndex(lock: PackageLock): Map<string, string> {
  const index = new Map<string, string>();
  for (const [key, pkg] of Object.entries(lock.packages)) for (const name of pkg.imports) if (!index.has(name)) index.set(name, key);
  return index;
}

/**
 * The packages to install for `names` (canonical or as written), dependencies first, each once,
 * skipping those in `installed`. Unknown names (and unknown dependencies) are returned apart.
 */
export function installOrder(lock: PackageLock, names: Iterable<string>, installed: ReadonlySet<string> = new Set()): { order: LockPackage[]; unknown: string[] } {
  const order: LockPackage[] = [];
  const unknown: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (raw: string) => {
    const key = canonicalName(raw);
    if (installed.has(key) || state.has(key)) return; // a cycle in the lock is cut at its second visit
    const pkg = Object.prototype.hasOwnProperty.call(lock.packages, key) ? lock.packages[key] : undefined;
    if (!pkg) {
      if (!unknown.includes(raw)) unknown.push(raw);
      return;
    }
    state.set(key, 'visiting');
    for (const dep of pkg.depends) visit(dep);
    state.set(key, 'done');
    order.push(pkg);
  };
  for (const n of names) visit(n);
  return { order, unknown };
}

/** The packages the imports `modules` need (canonical names; modules no package provides are left out). */
export function packagesForImports(lock: PackageLock, modules: Iterable<string>, index: Map<string, string> = importIndex(lock)): string[] {
  const out: string[] = [];
  for (const m of modules) {
    const key = index.get(m);
    if (key && !out.includes(key)) out.push(key);
  }
  return out;
}

/** Lower-case hex of a digest. */
export function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
