// The page's wiring: the real store, sandbox, tools, agent and model engines behind PageServices.
// WebLLM is only ever reached through a dynamic import (see createEngine and llm/cache.ts), so its
// code is not part of the first load.
import type { EngineChoice } from '../llm/engine-spec';
import { runAgent } from '../agent/index';
import { clearSnapshot, createPyodideSandbox, readSnapshotInfo } from '../sandbox/index';
import { createResilientStore, requestPersistentStorage, storageEstimate } from '../store/index';
import { createCorpus, defaultTools, parseCorpusFile, type CorpusDocument } from '../tools/index';
import { createEngine, parseEngineSpec } from '../llm/engine-spec';
import { listModels } from '../llm/models';
import { listServerModels } from '../llm/openai';
import { detectWebGPU } from '../llm/webgpu';
import type { CachedModel, GpuStatus, ModelCard, PageServices } from './types';

const CORPUS_KEY = 'ui.corpus';
const RUNNING_KEY = 'l0.running-session';
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

  return {
    store: () => store,
    onStoreWarning: (listener) => void store.onWarning(listener),
    tools: () => defaultTools({ corpus: corpus.size ? corpus : undefined, web: {} }),
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
      await corpusReady;
      return createPyodideSandbox({ tools, onProgress, indexURL: absolute('pyodide/') });
    },
    runAgent,
    // Replay scripts are named relative to the page.
    createEngine: (choice, opts) => createEngine(choice.kind === 'replay' && choice.scriptUrl ? { ...choice, scriptUrl: absolute(choice.scriptUrl) } : choice, opts),
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
      return choice.kind === 'webllm' && (await cachedModels()).some((m) => m.id === choice.model);
    },
    engineFromUrl: () => engineChoiceFromUrl(new URL(location.href)),
    listCachedModels: cachedModels,
    async deleteCachedModel(id) {
      const { deleteCachedModel } = await import('../llm/cache');
      await deleteCachedModel(id);
    },
    models: () => modelCards(),
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
      const f = await store.exportSessionAs(id, format);
      return { filename: f.filename, mime: f.mimeType, text: f.text };
    },
  };
}

function modelCards(): ModelCard[] {
  return listModels().map((m) => ({
    id: m.id,
    label: m.label,
    downloadBytes: m.downloadMB * MiB,
    vramBytes: m.vramMB * MiB,
    note: m.isL0 ? 'L0 checkpoint (RL-trained for this agent)' : `${m.family} (not RL-trained for the notebook)`,
  }));
}

/** The page URL's engine (`?engine=webllm&model=ID`, `?engine=openai&baseUrl=URL&model=NAME`, `?engine=replay&script=URL`). */
export function engineChoiceFromUrl(url: URL): { choice?: EngineChoice; warning?: string } {
  const parsed = parseEngineSpec(url.searchParams);
  if (!parsed) return {};
  return parsed.ok ? { choice: parsed.spec } : { warning: `The link's engine settings were ignored: ${parsed.error.message}` };
}

/** Lists cached WebLLM models without loading WebLLM's code when nothing was ever downloaded. */
async function cachedModels(): Promise<CachedModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has('webllm/model'))) return [];
  const { listCachedModels } = await import('../llm/cache');
  return (await listCachedModels()).map((m) => ({ id: m.id, bytes: m.sizeBytes }));
}
