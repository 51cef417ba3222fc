// The page's wiring: real store, sandbox, tools, agent and model engines behind UiServices.
// WebLLM is only ever reached through a dynamic import (see createEngine), so its code is not part
// of the first load.
import { L0Error, type LLM, type LoadProgress, type Tool } from '../protocols';

import { runAgent } from '../agent/index';
import { clearSnapshot, createPyodideSandbox, readSnapshotInfo } from '../sandbox/index';
import { createResilientStore, requestPersistentStorage, storageEstimate } from '../store/index';
import { createCorpus, defaultTools, parseCorpusFile, type CorpusDocument } from '../tools/index';
import { createEngine, parseEngineSpec, type EngineSpec } from '../llm/engine-spec';
import { listModels } from '../llm/models';
import { detectWebGPU } from '../llm/webgpu';
import type { CachedModel, EngineChoice, GpuStatus, ModelCard, UiServices } from './types';

const CORPUS_KEY = 'ui.corpus';
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
    createEngine: (choice, onProgress, signal) => createEngineFor(choice, onProgress, signal),
    engineFromUrl: () => engineChoiceFromUrl(new URL(location.href), (m) => warnings.push(m)),
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
    importSession: (text) => store.importSession(text),
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

function createEngineFor(choice: EngineChoice, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<LLM> {
  return createEngine(engineSpecFor(choice), { onProgress, signal });
}

/** Lists cached WebLLM models without loading WebLLM's code when nothing was ever downloaded. */
async function cachedModels(): Promise<CachedModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has('webllm/model'))) return [];
  const { listCachedModels } = await import('../llm/cache');
  return (await listCachedModels()).map((m) => ({ id: m.id, bytes: m.sizeBytes }));
}
