// The host's half of package loading: the package source (a folder with `pyodide-lock.json` and the
// wheels it names), read by the page (or the Node parent), never by the sandbox worker.
//
// What may be fetched is fixed here: the lock file, and `baseUrl + file_name` for a file name the
// lock lists (package-lock.ts checks each is a plain name). Nothing Python or the worker says is
// ever part of a URL: the worker only names modules, which are looked up in the lock. Every wheel
// is checked against the lock's sha256 here, and again by the worker before it installs it.
// Wheels (and the lock) are kept in Cache Storage, so a second visit and offline use need no
// network; the lock is read from the network first (a self-hosted folder may change), the wheels
// from the cache first (a file name with a known sha256 does not).
import { canonicalName, hex, readLock, type LockPackage, type PackageLock } from './package-lock';

/** The bundled Pyodide's version (test/unit/sandbox-packages.test.ts checks it against node_modules/pyodide). */
export const PYODIDE_VERSION = '314.0.7';
/**
 * The official Pyodide package distribution of exactly the bundled version: the app's default
 * package source when online (the pattern is `https://cdn.jsdelivr.net/pyodide/v<version>/full/`).
 */
export const OFFICIAL_PACKAGE_SOURCE = `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;

/** The Cache Storage cache of package files (Settings lists and clears it). */
const PACKAGE_CACHE_NAME = 'l0-packages';
const LOCK_FILE = 'pyodide-lock.json';
/** How long the lock's network read may take before the cached copy is used. */
const LOCK_NETWORK_TIMEOUT_MS = 5_000;
/** A download that sends nothing for this long is abandoned. */
const STALL_TIMEOUT_MS = 30_000;
/** Progress reports per download, at most one per this many ms. */
const PROGRESS_EVERY_MS = 150;

/** Where package files are kept between visits (Cache Storage in browsers; tests pass their own). */
export interface PackageCache {
  get(url: string): Promise<Uint8Array | undefined>;
  put(url: string, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<void>;
}

/** Cache Storage, when this realm has it (pages and workers; not Node). */
function cacheStoragePackageCache(name: string = PACKAGE_CACHE_NAME): PackageCache | undefined {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return undefined;
  const open = () => storage.open(name);
  return {
    async get(url) {
      const res = await (await open()).match(url);
      return res ? new Uint8Array(await res.arrayBuffer()) : undefined;
    },
    async put(url, bytes) {
      const headers = { 'Content-Type': url.endsWith('.json') ? 'application/json' : 'application/octet-stream', 'Content-Length': String(bytes.byteLength) };
      await (await open()).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    },
    async delete(url) {
      await (await open()).delete(url);
    },
  };
}

/** A cached package file, for Settings. */
export interface CachedPackageFile {
  url: string;
  fileName: string;
  /** The distribution name and version read from a wheel's file name (empty for other files). */
  name: string;
  version: string;
  bytes: number;
}

/** The package files kept in this browser (Cache Storage), with their sizes. */
export async function listCachedPackages(name: string = PACKAGE_CACHE_NAME): Promise<CachedPackageFile[]> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage || !(await storage.has(name))) return [];
  const cache = await storage.open(name);
  const out: CachedPackageFile[] = [];
  for (const req of await cache.keys()) {
    const fileName = decodeURIComponent(new URL(req.url).pathname.split('/').pop() ?? '');
    if (fileName === LOCK_FILE) continue;
    const res = await cache.match(req);
    const length = Number(res?.headers.get('Content-Length'));
    const bytes = Number.isFinite(length) && length > 0 ? length : ((await res?.blob())?.size ?? 0);
    const [dist = fileName, version = ''] = fileName.replace(/\.(whl|zip)$/, '').split('-');
    out.push({ url: req.url, fileName, name: dist, version, bytes });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Deletes every cached package file (the next import downloads again). */
export async function clearPackageCache(name: string = PACKAGE_CACHE_NAME): Promise<void> {
  await (globalThis as { caches?: CacheStorage }).caches?.delete(name);
}

interface DownloadProgress {
  loadedBytes: number;
  totalBytes?: number;
}

export interface PackageSourceOptions {
  /** Default: Cache Storage where there is one, else none. `null`: no cache. */
  cache?: PackageCache | null;
  fetch?: typeof fetch;
}

/** Why a package's file could not be had, in words for the model and the user. */
export class PackageUnavailable extends Error {
  override name = 'PackageUnavailable';
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) throw new PackageUnavailable('packages need a secure context (https or localhost) to verify their sha256');
  return hex(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function describeFetchError(e: unknown, what: string, baseUrl: string): PackageUnavailable {
  if (e instanceof PackageUnavailable) return e;
  if ((e as Error)?.name === 'AbortError') return new PackageUnavailable(`${what}: stopped`);
  const offline = (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;
  return new PackageUnavailable(offline ? `${what} is not available offline (not in this browser's cache)` : `${what} could not be fetched from the package source ${baseUrl} (${(e as Error)?.message ?? String(e)})`);
}

/** Reads a response body with progress, giving up when it stalls. */
async function readBody(res: Response, onProgress: ((p: DownloadProgress) => void) | undefined, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const total = Number(res.headers.get('Content-Length')) || undefined;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let reported = 0;
  let reportedBytes = -1;
  for (;;) {
    if (signal?.aborted) {
      void reader.cancel().catch(() => undefined);
      throw new DOMException('Stopped', 'AbortError');
    }
    let stall: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => (stall = setTimeout(() => reject(new Error(`no data for ${STALL_TIMEOUT_MS / 1000} s`)), STALL_TIMEOUT_MS)));
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await Promise.race([reader.read(), stalled]);
    } catch (e) {
      void reader.cancel().catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(stall);
    }
    if (step.done) break;
    chunks.push(step.value);
    loaded += step.value.byteLength;
    const now = performance.now();
    if (onProgress && now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      reportedBytes = loaded;
      onProgress({ loadedBytes: loaded, totalBytes: total });
    }
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  if (reportedBytes !== loaded) onProgress?.({ loadedBytes: loaded, totalBytes: total ?? loaded });
  return out;
}

export interface PackageSource {
  readonly baseUrl: string;
  /** The lock file (network first, then the cached copy). Rejects with PackageUnavailable. */
  lock(): Promise<PackageLock>;
  /** A package's verified file (cache first). Rejects with PackageUnavailable. */
  wheel(pkg: LockPackage, options?: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal }): Promise<Uint8Array>;
  /** Canonical names of the packages whose file is in the cache now. */
  cachedPackages(lock: PackageLock): Promise<Set<string>>;
}

/** `baseUrl` normalised to an absolute folder URL (http or https), or an error saying why not. */
export function packageBaseUrl(raw: string, base?: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim(), base);
  } catch {
    throw new PackageUnavailable(`"${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PackageUnavailable(`the package source must be an http(s) URL, not ${url.protocol}`);
  if (url.search || url.hash) throw new PackageUnavailable('the package source URL must not have a query or a fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

export function createPackageSource(baseUrl: string, options: PackageSourceOptions = {}): PackageSource {
  const base = packageBaseUrl(baseUrl);
  const cache = options.cache === null ? undefined : (options.cache ?? cacheStoragePackageCache());
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const get = (url: string, signal?: AbortSignal) => doFetch(url, { method: 'GET', credentials: 'omit', redirect: 'follow', signal });
  const lockUrl = base + LOCK_FILE;

  async function lockFromNetwork(): Promise<Uint8Array> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), LOCK_NETWORK_TIMEOUT_MS);
    try {
      const res = await get(lockUrl, abort.signal);
      if (!res.ok) throw new PackageUnavailable(`the package source answered ${res.status} for ${LOCK_FILE}`);
      return new Uint8Array(await res.arrayBuffer());
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    baseUrl: base,
    async lock() {
      let bytes: Uint8Array | undefined;
      let networkError: unknown;
      try {
        bytes = await lockFromNetwork();
        void cache?.put(lockUrl, bytes).catch(() => undefined);
      } catch (e) {
        networkError = e;
        bytes = await cache?.get(lockUrl).catch(() => undefined);
      }
      if (!bytes) throw describeFetchError(networkError, `the package list (${LOCK_FILE})`, base);
      try {
        return readLock(JSON.parse(new TextDecoder().decode(bytes))).lock;
      } catch (e) {
        throw new PackageUnavailable(`the package source's ${LOCK_FILE} could not be read: ${(e as Error).message}`);
      }
    },
    async wheel(pkg, opts = {}) {
      const url = base + pkg.fileName;
      const cached = await cache?.get(url).catch(() => undefined);
      if (cached) {
        if ((await sha256Hex(cached)) === pkg.sha256) return cached;
        await cache?.delete(url).catch(() => undefined); // a stale or damaged copy: fetch it again
      }
      let bytes: Uint8Array;
      try {
        const res = await get(url, opts.signal);
        if (!res.ok) throw new PackageUnavailable(`the package source answered ${res.status} for ${pkg.fileName}`);
        bytes = await readBody(res, opts.onProgress, opts.signal);
      } catch (e) {
        throw describeFetchError(e, `package ${pkg.name}`, base);
      }
      const actual = await sha256Hex(bytes);
      if (actual !== pkg.sha256) throw new PackageUnavailable(`package ${pkg.name} was refused: the file's sha256 does not match the lock file (${actual.slice(0, 12)}… instead of ${pkg.sha256.slice(0, 12)}…)`);
      await cache?.put(url, bytes).catch(() => undefined); // a full quota only costs the next download
      return bytes;
    },
    async cachedPackages(lock) {
      const out = new Set<string>();
      if (!cache) return out;
      const storage = (globalThis as { caches?: CacheStorage }).caches;
      const files = storage && options.cache === undefined ? new Set((await listCachedPackages()).map((f) => f.url)) : undefined;
      for (const [key, pkg] of Object.entries(lock.packages)) {
        const url = base + pkg.fileName;
        if (files ? files.has(url) : await cache.get(url).then((b) => b !== undefined, () => false)) out.add(canonicalName(key));
      }
      return out;
    },
  };
}
