// Model panel: WebGPU status, WebLLM model picker (download size, VRAM, where the weights come
// from), a Weights URL field with Check for L0 records, load progress with bytes and a download
// time estimate, cached models with delete, storage use, the OpenAI-compatible endpoint form (tested
// before it is taken, with the server's models offered), replay. What runs on this device comes
// first: without WebGPU the in-browser models are folded away under one sentence saying why. The
// status strip ("Using: …", progress, errors) sits above the scrolling list, never over it.
import type { LoadProgress } from '../protocols';
import { DEMO_ENGINE, describeChoice, type ChooseOptions, type EngineStatus } from '../app/index';
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
  /** An endpoint test in progress, or the models an endpoint serves (to pick from). */
  setEndpoint(status: Pick<EngineStatus, 'checking' | 'endpointModels'>): void;
  /** The chosen endpoint's API key is stored on this device. */
  setKeyRemembered(remembered: boolean): void;
}

export interface ModelPanelActions {
  choose(choice: EngineChoice, options?: ChooseOptions): void;
  /** Saves a record's weights URL ('' = the default) and checks the folder (see UiServices.checkWeights). */
  checkWeights?(modelId: string, url: string): Promise<WeightsCheck>;
  deleteCached?(id: string): Promise<void>;
  persist?(): Promise<void>;
}

type Fit = NonNullable<GpuStatus['fits']>[string];

/** Served model names shown as choices (a server may list thousands), and their length. */
const MAX_CHOICES = 50;
const MAX_NAME = 200;

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

/** The first sentence of a message (the why, without the advice that follows it). */
function firstSentence(text: string): string {
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
    m.weightsUrl ? h('span', { class: 'hint model-weights' }, `weights: ${m.weightsUrl}${m.customWeights?.savedUrl ? ' (your URL)' : ''}`) : null,
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
  // Above the cards: an L0 model needs its weights URL before it can be picked.
  const webllm = h('details', { class: 'webllm-models', open: true }, webllmSummary, gpu, weightsSection, webllmList, unfit);
  const weightsForms = new Map<string, { el: HTMLFormElement; input: HTMLInputElement }>();
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
    const gpuOk = !!gpu_?.available;
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
      if (actions.checkWeights) renderWeightsForms(models);
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
