// The page's wiring: real store, sandbox, tools, agent and model engines behind UiServices.
// WebLLM is only ever reached through a dynamic import (see createEngine), so its code is not part
// of the first load.
import { L0Error, type Tool } from '../protocols';

import { runAgent } from '../agent/index';
import { clearSnapshot, createPyodideSandbox, readSnapshotInfo } from '../sandbox/index';
import { createResilientStore, requestPersistentStorage, storageEstimate } from '../store/index';
import { createCorpus, defaultTools, parseCorpusFile, type CorpusDocument } from '../tools/index';
import { createEngine, parseEngineSpec, type EngineSpec } from '../llm/engine-spec';
import { findModel, listModels, type RegistryOptions } from '../llm/models';
import { checkWeights } from '../llm/weights-check';
import { detectWebGPU } from '../llm/webgpu';
import type { CachedModel, EngineChoice, GpuStatus, ModelCard, UiServices } from './types';

const CORPUS_KEY = 'ui.corpus';
/** Weights folders the user set for L0 records, by model id, as typed (relative to the page or absolute). */
const WEIGHTS_KEY = 'ui.weightsUrls';
const MiB = 2 ** 20;

export function createPageServices(): UiServices {
  const store = createResilientStore();
  const warnings: string[] = [];
  store.onWarning((w) => warnings.push(`${w.message} Sessions are kept in memory for now: export them before closing the tab.`));

  const corpus = createCorpus();
  const corpusReady = store
    .getSetting<CorpusDocument[]>(CORPUS_KEY)
    .then((docs) => {
      if (docs?.length) corpus.add(docs);
    })
    .catch(() => undefined);

  const availableTools = (): Tool[] => defaultTools({ corpus: corpus.size ? corpus : undefined, web: {} });

  // Where each L0 record's weights come from: the saved Weights URLs, over a link's `weights=` base
  // (this tab only). Every WebLLM call (load, cache listing, delete) gets the same registry.
  const savedWeights: Record<string, string> = {};
  const linkWeights: Record<string, string> = {};
  const weightsReady = store
    .getSetting<Record<string, unknown>>(WEIGHTS_KEY)
    .then((saved) => {
      for (const [id, url] of Object.entries(saved ?? {})) if (typeof url === 'string' && url) savedWeights[id] = url;
    })
    .catch(() => undefined);
  const registry = (): RegistryOptions => {
    const l0WeightsUrls: Record<string, string> = {};
    for (const [id, url] of Object.entries({ ...linkWeights, ...savedWeights })) {
      try {
        l0WeightsUrls[id] = new URL(url, document.baseURI).href;
      } catch {
        // not a URL: the record keeps its default folder (Check says what is wrong)
      }
    }
    return { l0WeightsUrls };
  };

  return {
    store,
    storeWarnings: () => [...warnings],
    availableTools,
    async addCorpusFiles(files) {
      await corpusReady;
      const docs: CorpusDocument[] = [];
      for (const f of files) docs.push(...parseCorpusFile(f.name, await f.text()));
      corpus.add(docs);
      const saved = (await store.getSetting<CorpusDocument[]>(CORPUS_KEY).catch(() => undefined)) ?? [];
      await store.setSetting(CORPUS_KEY, [...saved, ...docs]).catch(() => undefined);
      return corpus.size;
    },
    async createSandbox(tools, notepad, onProgress) {
      await corpusReady;
      return createPyodideSandbox({ tools, notepad, onProgress, indexURL: new URL('pyodide/', document.baseURI).href });
    },
    runAgent(req) {
      return runAgent({
        task: req.task,
        llm: req.llm,
        sandbox: req.sandbox,
        notepadStore: store,
        tools: req.tools,
        maxSteps: req.settings.maxSteps,
        memoryTokens: req.settings.memoryTokens > 0 ? req.settings.memoryTokens : undefined,
        temperature: req.settings.temperature,
        signal: req.signal,
        sessionId: req.sessionId,
        resumeFrom: req.resumeFrom,
        restoreCells: req.restoreCells,
      });
    },
    createEngine: (choice, onProgress, signal) => createEngine(engineSpecFor(choice), { onProgress, signal, registry: registry() }),
    engineFromUrl: () => {
      const url = new URL(location.href);
      const parsed = parseEngineSpec(url.searchParams);
      if (parsed?.ok && parsed.spec.engine === 'webllm' && parsed.spec.weightsBase) {
        const folder = findModel(parsed.spec.model, { l0WeightsBase: parsed.spec.weightsBase })?.weightsUrl;
        if (folder) linkWeights[parsed.spec.model] = folder;
      }
      return engineChoiceFromUrl(url, (m) => warnings.push(m));
    },
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
      return checkWeights(url ? new URL(url, document.baseURI).href : record.weightsUrl, record);
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
      const f = await store.exportSessionAs(id, format);
      return { filename: f.filename, mime: f.mimeType, text: f.text };
    },
    importSession: (text) => store.importSession(text),
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

/** The page URL's engine (`?engine=webllm&model=ID`, `?engine=openai&baseUrl=URL&model=NAME`, `?engine=replay&script=URL`). */
export function engineChoiceFromUrl(url: URL, warn: (message: string) => void = () => undefined): EngineChoice | undefined {
  const parsed = parseEngineSpec(url.searchParams);
  if (!parsed) return undefined;
  if (!parsed.ok) {
    warn(`The link's engine settings were ignored: ${parsed.error.message}`);
    return undefined;
  }
  const spec = parsed.spec;
  switch (spec.engine) {
    case 'webllm':
      return { kind: 'webllm', modelId: spec.model };
    case 'openai':
      return { kind: 'openai', baseUrl: spec.baseUrl, model: spec.model };
    case 'replay':
      return { kind: 'replay', scriptUrl: spec.script };
  }
}

/** Replays play at a readable pace: fast enough to finish in seconds, slow enough to watch. */
const REPLAY_TOKEN_DELAY_MS = 6;

export function engineSpecFor(choice: EngineChoice): EngineSpec {
  switch (choice.kind) {
    case 'demo':
      throw new L0Error({ kind: 'internal', message: 'The demo is resolved to its replay script by the app.' });
    case 'replay':
      return { engine: 'replay', script: new URL(choice.scriptUrl, document.baseURI).href, tokenDelayMs: REPLAY_TOKEN_DELAY_MS };
    case 'openai':
      return { engine: 'openai', baseUrl: choice.baseUrl, model: choice.model, apiKey: choice.apiKey };
    case 'webllm':
      // createEngine reaches @mlc-ai/web-llm only through a dynamic import inside WebLLMEngine.create.
      return { engine: 'webllm', model: choice.modelId };
  }
}

/** Lists cached WebLLM models without loading WebLLM's code when nothing was ever downloaded. */
async function cachedModels(registry: RegistryOptions): Promise<CachedModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has('webllm/model'))) return [];
  const { listCachedModels } = await import('../llm/cache');
  return (await listCachedModels(registry)).map((m) => ({ id: m.id, bytes: m.sizeBytes }));
}
