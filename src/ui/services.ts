// The page's wiring: the real store, sandbox, tools, agent and model engines behind PageServices.
// WebLLM is only ever reached through a dynamic import (see createEngine and llm/cache.ts), so its
// code is not part of the first load.
import type { EngineChoice } from '../llm/engine-spec';
import { runAgent } from '../agent/index';
import { clearPackageCache, clearSnapshot, createPyodideSandbox, listCachedPackages, OFFICIAL_PACKAGE_SOURCE, packageBaseUrl, readSnapshotInfo } from '../sandbox/index';
import { createResilientStore, requestPersistentStorage, storageEstimate } from '../store/index';
import { createCorpus, defaultTools, parseCorpusFile, type CorpusDocument } from '../tools/index';
import { createEngine, parseEngineSpec } from '../llm/engine-spec';
import { findModel, listModels, type RegistryOptions } from '../llm/models';
import { listServerModels } from '../llm/openai';
import { checkWeights } from '../llm/weights-check';
import { detectWebGPU } from '../llm/webgpu';
import type { CachedModel, GpuStatus, ModelCard, PackageSourceChoice, PageServices } from './types';

const CORPUS_KEY = 'ui.corpus';
const RUNNING_KEY = 'l0.running-session';
/** Weights folders the user set for L0 records, by model id, as typed (relative to the page or absolute). */
const WEIGHTS_KEY = 'ui.weightsUrls';
/** The package source set in Settings (a URL as typed; absent: the default). */
const PACKAGE_SOURCE_KEY = 'ui.packageBaseUrl';
/** Set by vite.config.ts: true when `npm run vendor-packages` put packages into this build (`packages/`). */
declare const __L0_VENDORED_PACKAGES__: boolean | undefined;
const MiB = 2 ** 20;

export function createPageServices(): PageServices {
  const store = createResilientStore();
  const corpus = createCorpus();
  const corpusReady = store
    .getSetting<CorpusDocument[]>(CORPUS_KEY)
    .then((docs) => {
      if (docs?.length) corpus.add(docs);
    })
    .catch(() => undefined);
  const absolute = (url: string) => new URL(url, document.baseURI).href;

  // Where each L0 record's weights come from: the saved Weights URLs (a link's `weights=` base
  // travels in the engine choice itself). Every WebLLM call (load, cache listing, delete) gets the
  // same registry.
  const savedWeights: Record<string, string> = {};
  const weightsReady = store
    .getSetting<Record<string, unknown>>(WEIGHTS_KEY)
    .then((saved) => {
      for (const [id, url] of Object.entries(saved ?? {})) if (typeof url === 'string' && url) savedWeights[id] = url;
    })
    .catch(() => undefined);
  let savedPackageSource: string | undefined;
  const packageSourceReady = store
    .getSetting<unknown>(PACKAGE_SOURCE_KEY)
    .then((v) => void (savedPackageSource = typeof v === 'string' && v ? v : undefined))
    .catch(() => undefined);
  const packageSource = (): PackageSourceChoice => packageSourceFor(new URL(location.href), savedPackageSource);

  const registry = (): RegistryOptions => {
    const l0WeightsUrls: Record<string, string> = {};
    for (const [id, url] of Object.entries(savedWeights)) {
      try {
        l0WeightsUrls[id] = absolute(url);
      } catch {
        // not a URL: the record keeps its default folder (Check says what is wrong)
      }
    }
    return { l0WeightsUrls };
  };

  return {
    store: () => store,
    onStoreWarning: (listener) => void store.onWarning(listener),
    tools: (settings) => defaultTools({ corpus: corpus.size ? corpus : undefined, web: { ...(settings?.jinaReaderUrl && { jina: { baseUrl: settings.jinaReaderUrl } }) } }),
    async addCorpusFiles(files) {
      await corpusReady;
      const docs: CorpusDocument[] = [];
      for (const f of files) docs.push(...parseCorpusFile(f.name, await f.text()));
      corpus.add(docs);
      const saved = (await store.getSetting<CorpusDocument[]>(CORPUS_KEY).catch(() => undefined)) ?? [];
      await store.setSetting(CORPUS_KEY, [...saved, ...docs]).catch(() => undefined);
      return corpus.size;
    },
    async createSandbox(tools, onProgress) {
      await Promise.all([corpusReady, packageSourceReady]);
      return createPyodideSandbox({ tools, onProgress, indexURL: absolute('pyodide/'), packageBaseUrl: packageSource().url });
    },
    packageSource,
    async setPackageSource(url) {
      await packageSourceReady;
      if (url.trim()) packageBaseUrl(url, document.baseURI); // throws when it is not an http(s) folder URL
      savedPackageSource = url.trim() || undefined;
      await store.setSetting(PACKAGE_SOURCE_KEY, savedPackageSource ?? '');
    },
    async listCachedPackages() {
      return (await listCachedPackages()).map((f) => ({ name: f.name, version: f.version, bytes: f.bytes }));
    },
    clearPackageCache: () => clearPackageCache(),
    runAgent,
    // Replay scripts are named relative to the page.
    async createEngine(choice, opts) {
      await weightsReady;
      return createEngine(choice.kind === 'replay' && choice.scriptUrl ? { ...choice, scriptUrl: absolute(choice.scriptUrl) } : choice, { ...opts, registry: registry() });
    },
    listEndpointModels: (endpoint) => listServerModels(endpoint),
    tabRun: {
      // sessionStorage: kept by a reload of this tab, not shared with other tabs. Blocked storage costs only this.
      get: () => {
        try {
          return sessionStorage.getItem(RUNNING_KEY) ?? undefined;
        } catch {
          return undefined;
        }
      },
      set: (id) => {
        try {
          if (id) sessionStorage.setItem(RUNNING_KEY, id);
          else sessionStorage.removeItem(RUNNING_KEY);
        } catch {
          // the session is still listed as interrupted
        }
      },
    },
    async isCached(choice) {
      return choice.kind === 'webllm' && (await cachedModels(registry())).some((m) => m.id === choice.model);
    },
    engineFromUrl: () => engineChoiceFromUrl(new URL(location.href)),
    listCachedModels: () => cachedModels(registry()),
    async deleteCachedModel(id) {
      const { deleteCachedModel } = await import('../llm/cache');
      await deleteCachedModel(id, registry());
    },
    models: () => modelCards(registry(), savedWeights),
    async checkWeights(id, url) {
      await weightsReady;
      if (url) savedWeights[id] = url;
      else delete savedWeights[id];
      await store.setSetting(WEIGHTS_KEY, { ...savedWeights }).catch(() => undefined);
      const record = findModel(id, registry());
      if (!record) return { ok: false, error: { kind: 'internal', message: `Unknown model "${id}".`, detail: { id } } };
      return checkWeights(url ? absolute(url) : record.weightsUrl, record);
    },
    async detectGpu() {
      const r = await detectWebGPU();
      const fits: NonNullable<GpuStatus['fits']> = {};
      for (const f of r.models) fits[f.model.id] = { status: f.status, reasons: f.reasons };
      // Models the report leaves out (q4f16 without shader-f16) cannot run here at all.
      for (const m of listModels()) fits[m.id] ??= { status: 'no', reasons: ['needs the shader-f16 GPU feature'] };
      return { available: r.supported, message: r.supported ? `${r.adapterName ?? 'adapter found'}${r.software ? ' (software: very slow)' : ''}` : r.message, shaderF16: r.shaderF16, fits };
    },
    async storageInfo() {
      const e = await storageEstimate();
      return { usage: e.usage, quota: e.quota, persisted: e.persisted };
    },
    async requestPersistence() {
      return (await requestPersistentStorage()).persisted;
    },
    async pythonSnapshot() {
      const info = await readSnapshotInfo();
      return info && { storedBytes: info.storedBytes, heapBytes: info.heapBytes, savedAt: info.savedAt };
    },
    clearPythonSnapshot: () => clearSnapshot(),
    async acquireSession(id) {
      const lease = await store.acquireSession(id);
      if (!lease.owned) return undefined;
      return () => void lease.release();
    },
    async exportSession(id, format) {
      if (format === 'zip') {
        const z = await store.exportSessionZip(id);
        return { filename: z.filename, mime: z.mimeType, bytes: z.bytes, skipped: z.skipped };
      }
      const f = await store.exportSessionAs(id, format);
      return { filename: f.filename, mime: f.mimeType, text: f.text };
    },
  };
}

function modelCards(registry: RegistryOptions, saved: Record<string, string>): ModelCard[] {
  const defaults = new Map(listModels().map((m) => [m.id, m.weightsUrl]));
  return listModels(registry).map((m) => ({
    id: m.id,
    label: m.label,
    downloadBytes: m.downloadMB * MiB,
    vramBytes: m.vramMB * MiB,
    note: m.isL0 ? 'L0 checkpoint (RL-trained for this agent)' : `${m.family} (not RL-trained for the notebook)`,
    weightsUrl: m.weightsUrl,
    ...(m.isL0 ? { customWeights: { savedUrl: saved[m.id], defaultUrl: defaults.get(m.id)! } } : {}),
  }));
}

/**
 * The package source: the page URL's `?packageBaseUrl=`, else the one saved in Settings, else the
 * packages vendored into this build (`packages/`), else the official Pyodide distribution of the
 * bundled version. A URL that is not an http(s) folder is skipped with a warning.
 */
function packageSourceFor(page: URL, saved: string | undefined, vendored = typeof __L0_VENDORED_PACKAGES__ !== 'undefined' && __L0_VENDORED_PACKAGES__ === true): PackageSourceChoice {
  const warnings: string[] = [];
  const candidates: [string | null | undefined, PackageSourceChoice['origin']][] = [
    [page.searchParams.get('packageBaseUrl'), 'link'],
    [saved, 'setting'],
  ];
  for (const [raw, origin] of candidates) {
    if (!raw) continue;
    try {
      return { url: packageBaseUrl(raw, page.href), origin, ...(warnings.length && { warning: warnings.join(' ') }) };
    } catch (e) {
      warnings.push(`The ${origin === 'link' ? "link's" : 'saved'} package source was ignored: ${(e as Error).message}.`);
    }
  }
  const fallback: PackageSourceChoice = vendored ? { url: new URL('packages/', page).href, origin: 'build' } : { url: OFFICIAL_PACKAGE_SOURCE, origin: 'default' };
  return warnings.length ? { ...fallback, warning: warnings.join(' ') } : fallback;
}

/** The page URL's engine (`?engine=webllm&model=ID`, `?engine=openai&baseUrl=URL&model=NAME`, `?engine=replay&script=URL`). */
function engineChoiceFromUrl(url: URL): { choice?: EngineChoice; warning?: string } {
  const parsed = parseEngineSpec(url.searchParams);
  if (!parsed) return {};
  return parsed.ok ? { choice: parsed.spec } : { warning: `The link's engine settings were ignored: ${parsed.error.message}` };
}

/** Lists cached WebLLM models without loading WebLLM's code when nothing was ever downloaded. */
async function cachedModels(registry: RegistryOptions): Promise<CachedModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has('webllm/model'))) return [];
  const { listCachedModels } = await import('../llm/cache');
  return (await listCachedModels(registry)).map((m) => ({ id: m.id, bytes: m.sizeBytes }));
}
