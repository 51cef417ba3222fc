// The WebLLM model registry: L0 checkpoints (converted with MLC-LLM, hosted anywhere) that reuse
// WebLLM's prebuilt Qwen model libraries, plus WebLLM's prebuilt Qwen2.5 / Qwen3 models as ready
// fallbacks. Plain data (no import of @mlc-ai/web-llm, which is only loaded when an engine starts);
// test/unit/llm-models.test.ts checks every library URL and VRAM figure against the installed
// package's prebuiltAppConfig.

/** WebLLM's prebuilt model libraries for @mlc-ai/web-llm 0.2.86 (modelLibURLPrefix + modelVersion). */
export const WEBLLM_LIB_BASE = 'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/';
export const HF_BASE = 'https://huggingface.co/';

/**
 * Where L0 weights are fetched unless `l0WeightsBase` says otherwise: a `models/` folder next to
 * the page (`models/L0-7B-q4f16_1-MLC/resolve/main/...`), so a deployment can self-host converted
 * weights (see docs/models.md). Outside a page (Node tests) the Vite preview origin stands in.
 */
export function defaultL0WeightsBase(): string {
  const here = (globalThis as { location?: { href?: string } }).location?.href;
  return new URL('models/', here && /^https?:/.test(here) ? here : 'http://localhost:4173/').href;
}

export type Quantization = 'q4f16_1' | 'q4f32_1';
export const DEFAULT_CONTEXT_WINDOW = 4096;
export const CONTEXT_WINDOW_CHOICES = [4096, 8192, 16384, 32768] as const;

/** Architecture facts needed to size the KV cache. */
interface Arch {
  /** Parameters in billions (all weights, embeddings included). */
  paramsB: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** Longest context the base model was trained for. */
  maxContext: number;
}

// Published configs of the base models (config.json of each Qwen checkpoint).
const ARCH = {
  'qwen2.5-0.5b': { paramsB: 0.49, layers: 24, kvHeads: 2, headDim: 64, maxContext: 32768 },
  'qwen2.5-1.5b': { paramsB: 1.54, layers: 28, kvHeads: 2, headDim: 128, maxContext: 32768 },
  'qwen2.5-3b': { paramsB: 3.09, layers: 36, kvHeads: 2, headDim: 128, maxContext: 32768 },
  'qwen2.5-7b': { paramsB: 7.62, layers: 28, kvHeads: 4, headDim: 128, maxContext: 32768 },
  'qwen3-0.6b': { paramsB: 0.6, layers: 28, kvHeads: 8, headDim: 128, maxContext: 32768 },
  'qwen3-1.7b': { paramsB: 1.7, layers: 28, kvHeads: 8, headDim: 128, maxContext: 32768 },
  'qwen3-4b': { paramsB: 4.0, layers: 36, kvHeads: 8, headDim: 128, maxContext: 32768 },
} satisfies Record<string, Arch>;
type ArchName = keyof typeof ARCH;

export interface ModelInfo {
  /** WebLLM model_id (unique). */
  id: string;
  /** Short label for pickers, e.g. "L0-7B (q4f32)". */
  label: string;
  family: 'L0' | 'Qwen2.5' | 'Qwen3';
  /** True for the L0 checkpoints this product is about; false for generic fallbacks. */
  isL0: boolean;
  quantization: Quantization;
  /** Needs the WebGPU `shader-f16` feature (q4f16 libraries). */
  requiresF16: boolean;
  /** The same model in the other quantisation (q4f16 <-> q4f32), for f16 filtering. */
  sibling: string;
  /** Weights folder, absolute, ending in `resolve/main/` as WebLLM expects. */
  weightsUrl: string;
  /** Compiled model library (wasm). */
  modelLib: string;
  /** WebLLM's VRAM estimate at the default 4,096-token context. */
  vramMB: number;
  /** Estimated download: parameters x bits per weight (4-bit groups of 32 with an f16/f32 scale). */
  downloadMB: number;
  lowResource: boolean;
  /** Conversation template the weights were converted with. */
  convTemplate: 'qwen2' | 'qwen3';
  /** `model_type` in the weights' mlc-chat-config.json that the library runs (MLC-LLM's name). */
  modelType: 'qwen2' | 'qwen3';
  arch: Arch;
  /** The end-of-code marker the checkpoint was trained with, when known (the agent's default is `<end_code>`). */
  eocMarker?: string;
}

export interface ContextChoice {
  tokens: number;
  /** VRAM over the 4,096-token default (KV cache only). */
  extraVramMB: number;
  totalVramMB: number;
}

/** Bytes of KV cache per token: K and V, every layer, every KV head, f16 or f32 activations. */
export function kvBytesPerToken(arch: Arch, quantization: Quantization): number {
  const elem = quantization === 'q4f16_1' ? 2 : 4;
  return 2 * arch.layers * arch.kvHeads * arch.headDim * elem;
}

export function contextChoices(m: ModelInfo): ContextChoice[] {
  const perToken = kvBytesPerToken(m.arch, m.quantization);
  return CONTEXT_WINDOW_CHOICES.filter((t) => t <= m.arch.maxContext).map((tokens) => {
    const extraVramMB = Math.round(((tokens - DEFAULT_CONTEXT_WINDOW) * perToken) / 2 ** 20);
    return { tokens, extraVramMB, totalVramMB: Math.round(m.vramMB + extraVramMB) };
  });
}

export function vramForContext(m: ModelInfo, tokens: number): number {
  return Math.round(m.vramMB + ((tokens - DEFAULT_CONTEXT_WINDOW) * kvBytesPerToken(m.arch, m.quantization)) / 2 ** 20);
}

function downloadMB(arch: Arch, q: Quantization): number {
  const bitsPerWeight = q === 'q4f16_1' ? 4 + 16 / 32 : 4 + 32 / 32;
  return Math.round((arch.paramsB * 1e9 * bitsPerWeight) / 8 / 2 ** 20);
}

interface Spec {
  family: ModelInfo['family'];
  name: string; // without quantisation, e.g. "Qwen2.5-7B-Instruct"
  label: string;
  arch: ArchName;
  lib: string; // library file name without "-q4f16_1_cs1k-webgpu.wasm"
  vram: Record<Quantization, number>;
  lowResource: boolean;
  repo?: (q: Quantization) => string; // weights repo path; default mlc-ai/<name>-<q>-MLC
  eocMarker?: string; // L0's {{eoc_token}} is not public: no record sets it yet
}

// VRAM figures and library names as in web-llm 0.2.86's prebuiltAppConfig.
const FALLBACKS: Spec[] = [
  { family: 'Qwen2.5', name: 'Qwen2.5-0.5B-Instruct', label: 'Qwen2.5 0.5B', arch: 'qwen2.5-0.5b', lib: 'Qwen2-0.5B-Instruct', vram: { q4f16_1: 944.62, q4f32_1: 1060.2 }, lowResource: true },
  { family: 'Qwen2.5', name: 'Qwen2.5-1.5B-Instruct', label: 'Qwen2.5 1.5B', arch: 'qwen2.5-1.5b', lib: 'Qwen2-1.5B-Instruct', vram: { q4f16_1: 1629.75, q4f32_1: 1888.97 }, lowResource: true },
  { family: 'Qwen2.5', name: 'Qwen2.5-3B-Instruct', label: 'Qwen2.5 3B', arch: 'qwen2.5-3b', lib: 'Qwen2.5-3B-Instruct', vram: { q4f16_1: 2504.76, q4f32_1: 2893.64 }, lowResource: true },
  { family: 'Qwen2.5', name: 'Qwen2.5-7B-Instruct', label: 'Qwen2.5 7B', arch: 'qwen2.5-7b', lib: 'Qwen2-7B-Instruct', vram: { q4f16_1: 5106.67, q4f32_1: 5900.09 }, lowResource: false },
  { family: 'Qwen3', name: 'Qwen3-0.6B', label: 'Qwen3 0.6B', arch: 'qwen3-0.6b', lib: 'Qwen3-0.6B', vram: { q4f16_1: 1403.34, q4f32_1: 1924.98 }, lowResource: true },
  { family: 'Qwen3', name: 'Qwen3-1.7B', label: 'Qwen3 1.7B', arch: 'qwen3-1.7b', lib: 'Qwen3-1.7B', vram: { q4f16_1: 2036.66, q4f32_1: 2635.44 }, lowResource: true },
  { family: 'Qwen3', name: 'Qwen3-4B', label: 'Qwen3 4B', arch: 'qwen3-4b', lib: 'Qwen3-4B', vram: { q4f16_1: 3431.59, q4f32_1: 4327.71 }, lowResource: true },
];

// L0 checkpoints reuse the library of their base model: same architecture, same shapes.
const L0: Spec[] = [
  { family: 'L0', name: 'L0-7B', label: 'L0 7B', arch: 'qwen2.5-7b', lib: 'Qwen2-7B-Instruct', vram: { q4f16_1: 5106.67, q4f32_1: 5900.09 }, lowResource: false, repo: (q) => `L0-7B-${q}-MLC` },
  { family: 'L0', name: 'L0-4B', label: 'L0 4B', arch: 'qwen3-4b', lib: 'Qwen3-4B', vram: { q4f16_1: 3431.59, q4f32_1: 4327.71 }, lowResource: true, repo: (q) => `L0-4B-${q}-MLC` },
];

export interface RegistryOptions {
  /**
   * Base URL for the L0 weights: each model lives at `${l0WeightsBase}L0-7B-q4f16_1-MLC/resolve/main/`
   * (e.g. `https://huggingface.co/your-org/` when the repos are named like that). Default:
   * `models/` next to the page. `l0WeightsUrls` sets an exact folder per model instead.
   */
  l0WeightsBase?: string;
  /** Exact weights folder per L0 model id (e.g. { 'L0-7B-q4f32_1-MLC': 'https://host/l0-7b/resolve/main/' }). */
  l0WeightsUrls?: Record<string, string>;
  /** Base for fallback weights (default https://huggingface.co/, i.e. mlc-ai's repos). */
  fallbackWeightsBase?: string;
  /** Base for model libraries (default WebLLM's binary-mlc-llm-libs for this version), e.g. a self-hosted mirror. */
  modelLibBase?: string;
}

/** Normalises a weights folder to an absolute URL ending in `resolve/main/`. */
export function weightsFolder(url: string): string {
  const u = new URL(url); // throws on relative URLs: WebLLM needs absolute ones
  let path = u.pathname.replace(/\/+$/, '');
  if (!/\/resolve\/[^/]+$/.test(path)) path += '/resolve/main';
  u.pathname = path + '/';
  return u.href;
}

function ensureSlash(s: string): string {
  return s.endsWith('/') ? s : s + '/';
}

function build(spec: Spec, q: Quantization, opts: RegistryOptions): ModelInfo {
  const arch = ARCH[spec.arch];
  const id = `${spec.name}-${q}-MLC`;
  const other: Quantization = q === 'q4f16_1' ? 'q4f32_1' : 'q4f16_1';
  const isL0 = spec.family === 'L0';
  const repo = spec.repo ? spec.repo(q) : `mlc-ai/${id}`;
  const base = ensureSlash(isL0 ? (opts.l0WeightsBase ?? defaultL0WeightsBase()) : (opts.fallbackWeightsBase ?? HF_BASE));
  const weightsUrl = weightsFolder(opts.l0WeightsUrls?.[id] ?? new URL(repo, base).href);
  return {
    id,
    label: `${spec.label} (${q === 'q4f16_1' ? 'q4f16' : 'q4f32'})`,
    family: spec.family,
    isL0,
    quantization: q,
    requiresF16: q === 'q4f16_1',
    sibling: `${spec.name}-${other}-MLC`,
    weightsUrl,
    modelLib: `${ensureSlash(opts.modelLibBase ?? WEBLLM_LIB_BASE)}${spec.lib}-${q}_cs1k-webgpu.wasm`,
    vramMB: spec.vram[q],
    downloadMB: downloadMB(arch, q),
    lowResource: spec.lowResource,
    convTemplate: spec.family === 'Qwen2.5' || spec.arch.startsWith('qwen2') ? 'qwen2' : 'qwen3',
    // MLC-LLM calls Qwen2 and Qwen2.5 checkpoints "qwen2" and Qwen3 ones "qwen3".
    modelType: spec.arch.startsWith('qwen2') ? 'qwen2' : 'qwen3',
    arch,
    ...(spec.eocMarker ? { eocMarker: spec.eocMarker } : {}),
  };
}

const QUANTS: Quantization[] = ['q4f16_1', 'q4f32_1'];

/** All models: L0 first, then fallbacks, smallest first within each group. */
export function listModels(opts: RegistryOptions = {}): ModelInfo[] {
  return [...L0, ...FALLBACKS].flatMap((s) => QUANTS.map((q) => build(s, q, opts)));
}

export function findModel(id: string, opts: RegistryOptions = {}): ModelInfo | undefined {
  return listModels(opts).find((m) => m.id === id);
}

/** The models the adapter can run: q4f16 records are swapped for their q4f32 sibling without shader-f16. */
export function filterForF16(models: ModelInfo[], hasShaderF16: boolean): ModelInfo[] {
  return hasShaderF16 ? models : models.filter((m) => !m.requiresF16);
}

/** The id to load on this adapter: the q4f32 sibling when f16 is missing. */
export function resolveModelId(id: string, hasShaderF16: boolean, opts: RegistryOptions = {}): string {
  const m = findModel(id, opts);
  if (!m) return id;
  return m.requiresF16 && !hasShaderF16 ? m.sibling : id;
}

// ---------------------------------------------------------------------------------------------
// WebLLM AppConfig (structurally identical to @mlc-ai/web-llm's AppConfig / ModelRecord)
// ---------------------------------------------------------------------------------------------

export type CacheBackend = 'cache' | 'indexeddb' | 'opfs';

export interface WebLLMModelRecord {
  model: string;
  model_id: string;
  model_lib: string;
  overrides?: { context_window_size?: number; [k: string]: unknown };
  vram_required_MB?: number;
  low_resource_required?: boolean;
  required_features?: string[];
}

export interface WebLLMAppConfig {
  model_list: WebLLMModelRecord[];
  cacheBackend?: CacheBackend;
}

export function toModelRecord(m: ModelInfo, contextWindow = DEFAULT_CONTEXT_WINDOW): WebLLMModelRecord {
  return {
    model: m.weightsUrl,
    model_id: m.id,
    model_lib: m.modelLib,
    overrides: { context_window_size: contextWindow },
    vram_required_MB: vramForContext(m, contextWindow),
    low_resource_required: m.lowResource,
    ...(m.requiresF16 ? { required_features: ['shader-f16'] } : {}),
  };
}

export interface AppConfigOptions extends RegistryOptions {
  cacheBackend?: CacheBackend;
  /** Context window per model id (default 4,096 for all). */
  contextWindows?: Record<string, number>;
  /** Restrict to these ids (default: all). */
  modelIds?: string[];
}

export function buildAppConfig(opts: AppConfigOptions = {}): WebLLMAppConfig {
  const models = listModels(opts).filter((m) => !opts.modelIds || opts.modelIds.includes(m.id));
  return {
    model_list: models.map((m) => toModelRecord(m, opts.contextWindows?.[m.id] ?? DEFAULT_CONTEXT_WINDOW)),
    cacheBackend: opts.cacheBackend ?? 'cache',
  };
}
