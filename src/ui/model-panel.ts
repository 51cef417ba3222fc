// Model panel: WebGPU status, WebLLM model picker (download size, VRAM), load progress with bytes
// and ETA, cached models with delete, storage use, the OpenAI-compatible endpoint form, replay.
import type { LoadProgress } from '../protocols';
import { DEMO_ENGINE, describeChoice } from '../app/index';
import type { EngineChoice } from '../llm/engine-spec';
import { h, setChildren, formatBytes, formatMs, uid } from './dom';
import type { CachedModel, GpuStatus, ModelCard, StorageInfo } from './types';

export interface ModelPanel {
  readonly el: HTMLElement;
  setGpu(status: GpuStatus): void;
  setModels(models: ModelCard[], current: EngineChoice | undefined): void;
  setCache(list: CachedModel[] | undefined): void;
  setStorage(info: StorageInfo | undefined): void;
  /** Shows load progress; `undefined` hides the bar. */
  setProgress(p: LoadProgress | undefined): void;
  setError(message: string | undefined): void;
}

export interface ModelPanelActions {
  choose(choice: EngineChoice): void;
  deleteCached?(id: string): Promise<void>;
  persist?(): Promise<void>;
}

/** ETA from bytes seen so far; undefined until there is enough signal. */
export function estimateEta(startedAt: number, now: number, loaded?: number, total?: number): number | undefined {
  if (!loaded || !total || loaded >= total) return undefined;
  const elapsed = now - startedAt;
  if (elapsed < 500) return undefined;
  return ((total - loaded) / loaded) * elapsed;
}

export function createModelPanel(actions: ModelPanelActions): ModelPanel {
  const gpu = h('p', { class: 'gpu-status', role: 'status' }, 'Checking WebGPU…');
  const current = h('p', { class: 'current-engine' });
  const webllmList = h('div', { class: 'model-list', role: 'radiogroup', 'aria-label': 'In-browser models (WebLLM)' });
  const progressBar = h('progress', { max: 1, value: 0, 'aria-label': 'Model loading progress' });
  const progressText = h('span', { class: 'progress-text' });
  const progress = h('div', { class: 'progress', hidden: true }, progressBar, progressText);
  const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
  const cache = h('ul', { class: 'cache-list' });
  const storage = h('p', { class: 'storage' });

  const baseId = uid('base-url');
  const modelId = uid('oa-model');
  const keyId = uid('oa-key');
  const openaiForm = h(
    'form',
    { class: 'openai-form' },
    h('div', { class: 'field' }, h('label', { for: baseId }, 'Base URL'), h('input', { id: baseId, name: 'baseUrl', type: 'url', required: true, placeholder: 'http://localhost:8000/v1' })),
    h('div', { class: 'field' }, h('label', { for: modelId }, 'Model name'), h('input', { id: modelId, name: 'model', required: true, placeholder: 'L0-4B' })),
    h('div', { class: 'field' }, h('label', { for: keyId }, 'API key (optional, kept in this tab only)'), h('input', { id: keyId, name: 'apiKey', type: 'password', autocomplete: 'off' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Use this endpoint')),
  );
  openaiForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(openaiForm);
    const apiKey = String(d.get('apiKey') ?? '');
    actions.choose({ kind: 'openai', baseUrl: String(d.get('baseUrl')).trim(), model: String(d.get('model')).trim(), apiKey: apiKey || undefined });
  });

  const replayId = uid('replay-url');
  const replayForm = h(
    'form',
    { class: 'replay-form' },
    h('div', { class: 'field' }, h('label', { for: replayId }, 'Replay script URL (JSON)'), h('input', { id: replayId, name: 'scriptUrl', required: true, placeholder: 'demo/primes.json' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', onclick: () => actions.choose(DEMO_ENGINE) }, 'Use the bundled demo'), h('button', { type: 'submit' }, 'Use script')),
  );
  replayForm.addEventListener('submit', (e) => {
    e.preventDefault();
    actions.choose({ kind: 'replay', scriptUrl: String(new FormData(replayForm).get('scriptUrl')).trim() });
  });

  const el = h(
    'section',
    { class: 'model-panel', 'aria-labelledby': 'model-heading' },
    h('h2', { id: 'model-heading' }, 'Model'),
    // Kept in view while the list scrolls: picking a model shows its progress or error here.
    h('div', { class: 'model-status' }, current, progress, error),
    h('h3', {}, 'In this browser (WebGPU)'),
    gpu,
    webllmList,
    h('h3', {}, 'OpenAI-compatible endpoint'),
    h('p', { class: 'hint' }, 'Any server with /v1/chat/completions and CORS enabled, e.g. vLLM or llama.cpp serving L0.'),
    openaiForm,
    h('h3', {}, 'Replay'),
    replayForm,
    h('h3', {}, 'Downloaded models'),
    cache,
    storage,
  );

  let gpu_: GpuStatus | undefined;
  let gpuOk = false;
  let lastModels: { models: ModelCard[]; choice: EngineChoice | undefined } | undefined;
  let loadStartedAt = 0;

  return {
    el,
    setGpu(status) {
      gpu_ = status;
      gpuOk = status.available;
      gpu.textContent = status.available ? `WebGPU available: ${status.message}${status.shaderF16 === false ? ' (no shader-f16: f32 models only)' : ''}` : `WebGPU unavailable: ${status.message}`;
      gpu.classList.toggle('bad', !status.available);
      if (lastModels) this.setModels(lastModels.models, lastModels.choice);
    },
    setModels(models, choice) {
      lastModels = { models, choice };
      current.textContent = choice ? `Using: ${describeChoice(choice)}` : 'No model chosen.';
      setChildren(
        webllmList,
        models.map((m) => {
          const fit = gpu_?.fits?.[m.id];
          return h(
            'button',
            { type: 'button', role: 'radio', class: 'model-card', 'aria-checked': String(choice?.kind === 'webllm' && choice.model === m.id), disabled: !gpuOk || fit?.status === 'no', onclick: () => actions.choose({ kind: 'webllm', model: m.id }) },
            h('span', { class: 'model-name' }, m.label),
            h('span', { class: 'model-size' }, `download ${formatBytes(m.downloadBytes)} · needs ${formatBytes(m.vramBytes)} GPU memory`),
            m.note ? h('span', { class: 'hint' }, m.note) : null,
            gpuOk && fit && fit.status !== 'ok' && fit.reasons.length ? h('span', { class: fit.status === 'no' ? 'hint fit-no' : 'hint fit-warn' }, fit.reasons.join('; ')) : null,
          );
        }),
      );
      const fields = openaiForm.elements;
      if (choice?.kind === 'openai') {
        (fields.namedItem('baseUrl') as HTMLInputElement).value = choice.baseUrl;
        (fields.namedItem('model') as HTMLInputElement).value = choice.model;
      }
      if (choice?.kind === 'replay' && choice.scriptUrl) (replayForm.elements.namedItem('scriptUrl') as HTMLInputElement).value = choice.scriptUrl;
    },
    setCache(list) {
      if (!list) {
        setChildren(cache, h('li', { class: 'muted' }, 'Cache listing unavailable.'));
        return;
      }
      setChildren(
        cache,
        list.length
          ? list.map((c) => h('li', {}, h('span', {}, `${c.id} · ${formatBytes(c.bytes)}`), actions.deleteCached ? h('button', { type: 'button', class: 'small-button danger', 'aria-label': `Delete ${c.id} from the cache`, onclick: () => actions.deleteCached!(c.id) }, 'Delete') : null))
          : [h('li', { class: 'muted' }, 'No model weights downloaded.')],
      );
    },
    setStorage(info) {
      if (!info || info.usage === undefined) {
        storage.textContent = 'Storage use unknown.';
        return;
      }
      storage.replaceChildren(
        `Storage used: ${formatBytes(info.usage)} of ${formatBytes(info.quota)}${info.persisted ? ' (persistent)' : ''}. `,
        !info.persisted && actions.persist ? h('button', { type: 'button', class: 'link-button', onclick: () => actions.persist!() }, 'Keep data persistent') : '',
      );
    },
    setProgress(p) {
      if (!p) {
        progress.hidden = true;
        loadStartedAt = 0;
        return;
      }
      if (!loadStartedAt) loadStartedAt = performance.now();
      progress.hidden = false;
      if (p.fraction !== undefined) progressBar.value = p.fraction;
      else progressBar.removeAttribute('value');
      const bytes = p.totalBytes ? ` · ${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}` : '';
      const eta = estimateEta(loadStartedAt, performance.now(), p.loadedBytes, p.totalBytes);
      progressText.textContent = `${p.message}${bytes}${eta !== undefined ? ` · about ${formatMs(eta)} left` : ''}`;
    },
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
    },
  };
}
