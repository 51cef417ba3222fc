// Model panel: WebGPU status, WebLLM model picker (download size, VRAM, where the weights come
// from), a Weights URL field with Check for L0 records, load progress with bytes and a download
// time estimate, cached models with delete, storage use, the OpenAI-compatible endpoint form,
// replay.
import type { LoadProgress } from '../protocols';
import { DEMO_ENGINE, describeChoice } from '../app/index';
import type { EngineChoice } from '../llm/engine-spec';
import type { WeightsCheck } from '../llm/weights-check';
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
  /** Saves a record's weights URL ('' = the default) and checks the folder (see UiServices.checkWeights). */
  checkWeights?(modelId: string, url: string): Promise<WeightsCheck>;
  deleteCached?(id: string): Promise<void>;
  persist?(): Promise<void>;
}

/** Where a download stands, from its first progress report on. */
export interface DownloadStart {
  at: number;
  fraction: number;
}

/**
 * How long the whole download takes at the speed seen since it started, and what is left; undefined
 * until a share of it has arrived. Uses WebLLM's exact fraction (bytes may be rounded).
 */
export function estimateDownload(start: DownloadStart, now: number, fraction: number | undefined): { totalMs: number; leftMs: number } | undefined {
  if (fraction === undefined || fraction <= start.fraction || fraction >= 1 || now <= start.at) return undefined;
  const msPerFraction = (now - start.at) / (fraction - start.fraction);
  return { totalMs: msPerFraction, leftMs: msPerFraction * (1 - fraction) };
}

/** "This may take about 4 minutes on your connection (about 3 min 10 s left)." */
export function describeDownloadTime(e: { totalMs: number; leftMs: number }): string {
  const minutes = Math.round(e.totalMs / 60_000);
  const total = minutes < 1 ? 'less than a minute' : `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `This may take ${total} on your connection (about ${formatMs(e.leftMs)} left).`;
}

function describeCheck(r: WeightsCheck): string {
  if (!r.ok) return `Saved, but these weights cannot be used: ${r.error.message}`;
  const found = `Weights found at ${r.folder} (${r.modelType}, ${r.quantization}): ${formatBytes(r.downloadBytes)} to download, needs ${formatBytes(r.vramMB * 2 ** 20)} of GPU memory.`;
  return r.source === 'network' ? `Saved. ${found}` : `Saved. The host cannot be read now (${r.hostError?.message ?? 'unreachable'}), but this browser has the model in its cache. ${found}`;
}

export function createModelPanel(actions: ModelPanelActions): ModelPanel {
  const gpu = h('p', { class: 'gpu-status', role: 'status' }, 'Checking WebGPU…');
  const current = h('p', { class: 'current-engine' });
  const webllmList = h('div', { class: 'model-list', role: 'radiogroup', 'aria-label': 'In-browser models (WebLLM)' });
  const progressBar = h('progress', { max: 1, value: 0, 'aria-label': 'Model loading progress' });
  const progressText = h('span', { class: 'progress-text' });
  const progress = h('div', { class: 'progress', hidden: true }, progressBar, progressText);
  const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
  const weightsList = h('div', { class: 'weights-list' });
  // Shown once WebGPU is known to run at least one L0 model.
  const weightsSection = h(
    'div',
    { class: 'weights-section', hidden: true },
    h('h3', {}, 'L0 weights'),
    h('p', { class: 'hint' }, 'L0 publishes no WebLLM weights: convert a checkpoint with MLC-LLM and host the folder (docs/models.md). Enter the folder that holds mlc-chat-config.json (a relative URL is read from this page); Check looks at it before anything is downloaded.'),
    weightsList,
  );
  const weightsForms = new Map<string, { el: HTMLFormElement; input: HTMLInputElement }>();
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
    // Above the cards: an L0 model needs its weights URL before it can be picked.
    weightsSection,
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
  let download: DownloadStart | undefined;

  /** One form per record with customWeights, kept across re-renders (a check's answer stays). */
  function weightsForm(m: ModelCard & { customWeights: NonNullable<ModelCard['customWeights']> }) {
    const id = uid('weights-url');
    const input = h('input', { id, name: 'weightsUrl', type: 'text', inputmode: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: m.customWeights.defaultUrl });
    input.value = m.customWeights.savedUrl ?? '';
    const result = h('p', { class: 'hint weights-result', role: 'status' });
    const check = h('button', { type: 'submit' }, 'Check');
    const el = h('form', { class: 'weights-form', 'data-model': m.id }, h('label', { for: id }, `Weights URL for ${m.label}`), h('div', { class: 'weights-row' }, input, check), result);
    el.addEventListener('submit', (e) => {
      e.preventDefault();
      void checkAndShow();
    });
    async function checkAndShow(): Promise<void> {
      check.disabled = true;
      result.classList.remove('error-text');
      result.textContent = 'Checking…';
      try {
        const r = await actions.checkWeights!(m.id, input.value.trim());
        result.textContent = describeCheck(r);
        result.classList.toggle('error-text', !r.ok);
      } catch (err) {
        result.textContent = `Could not save or check the URL: ${(err as Error)?.message ?? err}`;
        result.classList.add('error-text');
      } finally {
        check.disabled = false;
      }
    }
    return { el, input };
  }

  function renderWeightsForms(models: ModelCard[]): void {
    const shown = gpuOk ? models.filter((m) => m.customWeights && gpu_?.fits?.[m.id]?.status !== 'no') : [];
    weightsSection.hidden = shown.length === 0;
    setChildren(
      weightsList,
      shown.map((m) => {
        let f = weightsForms.get(m.id);
        if (!f) weightsForms.set(m.id, (f = weightsForm(m as Parameters<typeof weightsForm>[0])));
        else if (!f.input.matches(':focus')) f.input.value = m.customWeights!.savedUrl ?? ''; // not while the user types
        return f.el;
      }),
    );
  }

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
            m.weightsUrl ? h('span', { class: 'hint model-weights' }, `weights: ${m.weightsUrl}${m.customWeights?.savedUrl ? ' (your URL)' : ''}`) : null,
            gpuOk && fit && fit.status !== 'ok' && fit.reasons.length ? h('span', { class: fit.status === 'no' ? 'hint fit-no' : 'hint fit-warn' }, fit.reasons.join('; ')) : null,
          );
        }),
      );
      if (actions.checkWeights) renderWeightsForms(models);
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
          ? list.map((c) => h('li', {}, h('span', {}, `${c.id} · ${formatBytes(c.bytes)}`), actions.deleteCached ? h('button', { type: 'button', class: 'small-button danger', 'aria-label': `Delete ${c.id} from the cache`, onclick: () => void actions.deleteCached!(c.id) }, 'Delete') : null))
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
        !info.persisted && actions.persist ? h('button', { type: 'button', class: 'link-button', onclick: () => void actions.persist!() }, 'Keep data persistent') : '',
      );
    },
    setProgress(p) {
      if (!p) {
        progress.hidden = true;
        download = undefined;
        return;
      }
      progress.hidden = false;
      if (p.fraction !== undefined) progressBar.value = p.fraction;
      else progressBar.removeAttribute('value');
      let extra = '';
      if (p.phase === 'download') {
        const now = performance.now();
        download ??= { at: now, fraction: p.fraction ?? 0 };
        // The message already gives the bytes ("Downloading weights: 91 MB of 295 MB").
        const time = estimateDownload(download, now, p.fraction);
        extra = time ? ` · ${describeDownloadTime(time)}` : '';
      }
      progressText.textContent = `${p.message}${extra}`;
    },
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
    },
  };
}
