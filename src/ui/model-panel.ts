// Model panel: WebGPU status, WebLLM model picker (download size, VRAM), load progress with bytes
// and ETA, cached models with delete, storage use, the OpenAI-compatible endpoint form (tested
// before it is taken, with the server's models offered), replay. What runs on this device comes
// first: without WebGPU the in-browser models are folded away under one sentence saying why. The
// status strip ("Using: …", progress, errors) sits above the scrolling list, never over it.
import type { LoadProgress } from '../protocols';
import { DEMO_ENGINE, describeChoice, type ChooseOptions, type EngineStatus } from '../app/index';
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
  /** An endpoint test in progress, or the models an endpoint serves (to pick from). */
  setEndpoint(status: Pick<EngineStatus, 'checking' | 'endpointModels'>): void;
  /** The chosen endpoint's API key is stored on this device. */
  setKeyRemembered(remembered: boolean): void;
}

export interface ModelPanelActions {
  choose(choice: EngineChoice, options?: ChooseOptions): void;
  deleteCached?(id: string): Promise<void>;
  persist?(): Promise<void>;
}

type Fit = NonNullable<GpuStatus['fits']>[string];

/** Served model names shown as choices (a server may list thousands), and their length. */
const MAX_CHOICES = 50;
const MAX_NAME = 200;

/** ETA from bytes seen so far; undefined until there is enough signal. */
export function estimateEta(startedAt: number, now: number, loaded?: number, total?: number): number | undefined {
  if (!loaded || !total || loaded >= total) return undefined;
  const elapsed = now - startedAt;
  if (elapsed < 500) return undefined;
  return ((total - loaded) / loaded) * elapsed;
}

/** The first sentence of a message (the why, without the advice that follows it). */
export function firstSentence(text: string): string {
  const m = /^[\s\S]*?[.!?](?=\s|$)/.exec(text.trim());
  return (m ? m[0] : text.trim()).replace(/[.!?]$/, '');
}

/** One WebLLM model as a radio card: name, download size and GPU memory, note, and why it may not fit. */
function modelCard(m: ModelCard, o: { checked: boolean; runnable: boolean; fit?: Fit; choose: () => void }): HTMLElement {
  return h(
    'button',
    { type: 'button', role: 'radio', class: 'model-card', 'aria-checked': String(o.checked), disabled: !o.runnable, onclick: o.choose },
    h('span', { class: 'model-name' }, m.label),
    h('span', { class: 'model-size' }, `download ${formatBytes(m.downloadBytes)} · needs ${formatBytes(m.vramBytes)} GPU memory`),
    m.note ? h('span', { class: 'hint' }, m.note) : null,
    o.fit && o.fit.status !== 'ok' && o.fit.reasons.length ? h('span', { class: o.fit.status === 'no' ? 'hint fit-no' : 'hint fit-warn' }, o.fit.reasons.join('; ')) : null,
  );
}

export function createModelPanel(actions: ModelPanelActions): ModelPanel {
  const headingId = uid('model-heading');
  const gpu = h('p', { class: 'gpu-status', role: 'status' }, 'Checking WebGPU…');
  const current = h('p', { class: 'current-engine' });
  const webllmList = h('div', { class: 'model-list', role: 'radiogroup', 'aria-label': 'In-browser models (WebLLM)' });
  const unfitList = h('div', { class: 'model-list', role: 'radiogroup', 'aria-label': 'In-browser models this GPU cannot run' });
  const unfitSummary = h('summary', {});
  const unfit = h('details', { class: 'models-unfit', hidden: true }, unfitSummary, unfitList);
  const webllmSummary = h('summary', { class: 'section-summary' }, 'In this browser (WebGPU)');
  const webllm = h('details', { class: 'webllm-models', open: true }, webllmSummary, gpu, webllmList, unfit);
  const progressBar = h('progress', { max: 1, value: 0, 'aria-label': 'Model loading progress' });
  const progressText = h('span', { class: 'progress-text' });
  const progress = h('div', { class: 'progress', hidden: true }, progressBar, progressText);
  const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
  const cache = h('ul', { class: 'cache-list' });
  const storage = h('p', { class: 'storage' });

  // ---- the OpenAI-compatible endpoint --------------------------------------------------------
  const baseId = uid('base-url');
  const modelId = uid('oa-model');
  const keyId = uid('oa-key');
  const namesId = uid('oa-names');
  const keyNoteId = uid('oa-key-note');
  const warningId = uid('oa-remember-warning');
  const names = h('datalist', { id: namesId });
  const keyInput = h('input', { id: keyId, name: 'apiKey', type: 'password', autocomplete: 'off', 'aria-describedby': keyNoteId });
  const remember = h('input', { type: 'checkbox', name: 'rememberKey', 'aria-describedby': warningId });
  const warning = h(
    'p',
    { id: warningId, class: 'hint remember-warning', hidden: true },
    'The key is then stored unencrypted in this browser’s storage for this site: anyone who can use this browser profile can read it. Only tick this on a device you trust; untick it and use the endpoint again to delete it.',
  );
  remember.addEventListener('change', () => (warning.hidden = !remember.checked));
  const useButton = h('button', { type: 'submit', class: 'primary' }, 'Use this endpoint');
  const endpointNote = h('p', { class: 'endpoint-note' });
  const endpointChoices = h('div', { class: 'endpoint-choices' });
  const endpointModels = h('div', { class: 'endpoint-models', role: 'group', 'aria-label': 'Models on this server', hidden: true }, endpointNote, endpointChoices);
  const openaiForm = h(
    'form',
    { class: 'openai-form' },
    h('div', { class: 'field' }, h('label', { for: baseId }, 'Base URL'), h('input', { id: baseId, name: 'baseUrl', type: 'url', required: true, placeholder: 'http://localhost:8000/v1' })),
    h('div', { class: 'field' }, h('label', { for: modelId }, 'Model name'), h('input', { id: modelId, name: 'model', list: namesId, placeholder: 'L0-4B (empty: pick from the server’s list)' }), names),
    h(
      'div',
      { class: 'field' },
      h('label', { for: keyId }, 'API key (optional)'),
      keyInput,
      h('p', { id: keyNoteId, class: 'hint key-note' }, 'Kept in this tab’s memory only, not kept across reloads: after a reload you enter it again, unless you tick the box below.'),
      h('label', { class: 'check-field' }, remember, 'Remember the key on this device'),
      warning,
    ),
    h('div', { class: 'form-actions' }, useButton),
    endpointModels,
  );
  const formEndpoint = (model?: string): Extract<EngineChoice, { kind: 'openai' }> => {
    const d = new FormData(openaiForm);
    const apiKey = String(d.get('apiKey') ?? '');
    return { kind: 'openai', baseUrl: String(d.get('baseUrl')).trim(), model: (model ?? String(d.get('model') ?? '')).trim(), apiKey: apiKey || undefined };
  };
  openaiForm.addEventListener('submit', (e) => {
    e.preventDefault();
    actions.choose(formEndpoint(), { rememberKey: remember.checked });
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

  const endpoint = h(
    'section',
    { class: 'endpoint-section' },
    h('h3', {}, 'OpenAI-compatible endpoint'),
    h('p', { class: 'hint' }, 'Any server with /v1/chat/completions and CORS enabled, e.g. vLLM, llama.cpp or Ollama serving L0. The connection is tested before it is used.'),
    openaiForm,
  );
  const replay = h('section', { class: 'replay-section' }, h('h3', {}, 'Replay'), replayForm);
  const downloaded = h('section', { class: 'downloaded-section' }, h('h3', {}, 'Downloaded models'), cache, storage);
  const body = h('div', { class: 'model-body' });
  const el = h(
    'section',
    { class: 'model-panel', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Model'),
    // Above the scrolling list: picking a model shows its progress or error here, in view.
    h('div', { class: 'model-status' }, current, progress, error),
    body,
  );

  let gpu_: GpuStatus | undefined;
  let lastModels: { models: ModelCard[]; choice: EngineChoice | undefined } | undefined;
  let loadStartedAt = 0;

  /** What runs here first: WebLLM when WebGPU works, else the endpoint (and the demo). */
  function layout(): void {
    const order = gpu_?.available ? [webllm, endpoint, replay, downloaded] : [endpoint, replay, webllm, downloaded];
    if (order.some((s, i) => body.children[i] !== s)) body.replaceChildren(...order);
  }
  layout();

  return {
    el,
    setGpu(status) {
      gpu_ = status;
      gpu.textContent = status.available ? `WebGPU available: ${status.message}${status.shaderF16 === false ? ' (no shader-f16: f32 models only)' : ''}` : `WebGPU unavailable: ${status.message}`;
      gpu.classList.toggle('bad', !status.available);
      gpu.hidden = !status.available; // the folded section's summary says why, once
      layout();
      if (lastModels) this.setModels(lastModels.models, lastModels.choice);
    },
    setModels(models, choice) {
      lastModels = { models, choice };
      current.textContent = choice ? `Using: ${describeChoice(choice)}` : 'No model chosen.';
      const gpuOk = !!gpu_?.available;
      const cards = models.map((m) => {
        const fit = gpu_?.fits?.[m.id];
        const runnable = gpuOk && fit?.status !== 'no';
        return { runnable, el: modelCard(m, { checked: choice?.kind === 'webllm' && choice.model === m.id, runnable, fit: gpuOk ? fit : undefined, choose: () => actions.choose({ kind: 'webllm', model: m.id }) }) };
      });
      if (!gpu_) {
        webllmSummary.textContent = 'In this browser (WebGPU): checking…';
        webllm.open = false;
      } else if (!gpuOk) {
        // Nothing here can run: one sentence says why, the cards stay folded away.
        webllmSummary.textContent = `In-browser models (${models.length}) cannot run here: ${firstSentence(gpu_.message)}.`;
        webllm.open = false;
      } else {
        webllmSummary.textContent = 'In this browser (WebGPU)';
        webllm.open = true;
      }
      const [fitting, rest] = gpuOk ? [cards.filter((c) => c.runnable), cards.filter((c) => !c.runnable)] : [cards, []];
      setChildren(webllmList, fitting.map((c) => c.el));
      setChildren(unfitList, rest.map((c) => c.el));
      unfit.hidden = rest.length === 0;
      unfitSummary.textContent = `${rest.length} more that this GPU cannot run`;
      const fields = openaiForm.elements;
      if (choice?.kind === 'openai') {
        (fields.namedItem('baseUrl') as HTMLInputElement).value = choice.baseUrl;
        (fields.namedItem('model') as HTMLInputElement).value = choice.model;
        if (choice.apiKey) keyInput.value = choice.apiKey;
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
    setEndpoint({ checking, endpointModels: served }) {
      useButton.disabled = !!checking;
      useButton.textContent = checking ? 'Testing the connection…' : 'Use this endpoint';
      endpointModels.hidden = !served;
      if (!served) return;
      // Model names come from the server: shown as text, bounded.
      const listed = served.models.slice(0, MAX_CHOICES).map((m) => m.slice(0, MAX_NAME));
      setChildren(names, listed.map((m) => h('option', { value: m })));
      endpointNote.textContent = served.requested
        ? `The server answered, but does not list “${served.requested.slice(0, MAX_NAME)}”. Pick one of its models:`
        : 'The server answered. Pick one of its models:';
      const pick = (model: string) => () => actions.choose({ ...formEndpoint(model), baseUrl: served.baseUrl }, { rememberKey: remember.checked, untested: true });
      setChildren(
        endpointChoices,
        listed.map((m) => h('button', { type: 'button', class: 'small-button', onclick: pick(m) }, m)),
        served.models.length > MAX_CHOICES ? h('span', { class: 'hint' }, `… and ${served.models.length - MAX_CHOICES} more (type the name)`) : null,
        served.requested ? h('button', { type: 'button', class: 'link-button', onclick: pick(served.requested) }, `Use “${served.requested.slice(0, MAX_NAME)}” anyway`) : null,
      );
    },
    setKeyRemembered(remembered) {
      remember.checked = remembered;
      warning.hidden = !remembered;
    },
  };
}
