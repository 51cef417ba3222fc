// WebGPU feature detection, run BEFORE any model download: is there WebGPU, an adapter, a real
// (not software) adapter, shader-f16, and enough buffer size for each model. The decision is a
// pure function over a plain description of the adapter, so it is testable without a GPU.
import type { ErrorData } from '../protocols';
import { filterForF16, listModels, type ModelInfo, type RegistryOptions } from './models';

/** What we read from `navigator.gpu.requestAdapter()` (plain data, JSON-serialisable). */
export interface AdapterDescription {
  /** `navigator.gpu` exists. */
  hasWebGPU: boolean;
  /** `requestAdapter()` returned an adapter. */
  hasAdapter: boolean;
  /** Set when `requestAdapter()` threw. */
  requestError?: string;
  isFallbackAdapter?: boolean;
  features?: string[];
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  /** navigator.deviceMemory (GB, capped by the browser), a weak hint for unified-memory GPUs. */
  deviceMemoryGB?: number;
}

type Alternative = { engine: 'openai' | 'replay'; label: string };

const ALTERNATIVES: Alternative[] = [
  { engine: 'openai', label: 'Use an OpenAI-compatible endpoint (e.g. vLLM, SGLang, llama.cpp server or Ollama serving L0 on your machine).' },
  { engine: 'replay', label: 'Watch a recorded run (replay) to see how the agent works.' },
];

type ModelFitStatus = 'ok' | 'warn' | 'no';
export interface ModelFit {
  model: ModelInfo;
  status: ModelFitStatus;
  reasons: string[];
}

export interface WebGPUReport {
  /** WebGPU can run models here (possibly slowly: see `software`). */
  supported: boolean;
  /** The adapter is a software (fallback/CPU) implementation: it works, but far too slowly for a 4B+ model. */
  software: boolean;
  shaderF16: boolean;
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  adapterName?: string;
  /** One clear sentence for the user. */
  message: string;
  /** What the user can do instead (always listed when WebGPU is missing or software). */
  alternatives: Alternative[];
  /** Models runnable on this adapter (q4f16 filtered out without shader-f16), with fit notes. */
  models: ModelFit[];
  /** Set when !supported: kind 'unsupported'. */
  error?: ErrorData;
}

const GiB = 2 ** 30;
/** WebLLM's larger models bind storage buffers above 1 GiB; below that only low-resource models fit. */
const LARGE_MODEL_BINDING_BYTES = GiB;

function adapterName(d: AdapterDescription): string | undefined {
  const i = d.info;
  if (!i) return undefined;
  const parts = [i.vendor, i.architecture, i.device, i.description].filter((s) => s && s.length);
  return parts.length ? parts.join(' ') : undefined;
}

/** Decides what this adapter can run. Pure: no browser APIs. */
export function assessWebGPU(d: AdapterDescription, registry: ModelInfo[] = listModels()): WebGPUReport {
  const unsupported = (message: string, reason: string): WebGPUReport => ({
    supported: false,
    software: false,
    shaderF16: false,
    message,
    alternatives: ALTERNATIVES,
    models: [],
    error: { kind: 'unsupported', message, detail: { reason, ...(d.requestError ? { error: d.requestError } : {}) } },
  });
  if (!d.hasWebGPU) {
    return unsupported(
      'This browser does not offer WebGPU, so the model cannot run on this device. Use a recent Chrome or Edge (or Safari 26 / Firefox 141+ with WebGPU on), or pick another engine below.',
      'no-webgpu',
    );
  }
  if (!d.hasAdapter) {
    return unsupported(
      `WebGPU is present but no GPU adapter is available${d.requestError ? ` (${d.requestError})` : ''}: the GPU may be blocklisted or disabled. Check chrome://gpu, or pick another engine below.`,
      d.requestError ? 'request-failed' : 'no-adapter',
    );
  }
  const features = new Set(d.features ?? []);
  const shaderF16 = features.has('shader-f16');
  const software = d.isFallbackAdapter === true || /swiftshader|llvmpipe|software|basic render/i.test(adapterName(d) ?? '');
  const maxStorage = d.limits?.maxStorageBufferBindingSize;
  const maxBuffer = d.limits?.maxBufferSize;
  const models = filterForF16(registry, shaderF16).map((m) => fitModel(m, d, software));

  const notes: string[] = [];
  if (software) {
    notes.push('WebGPU runs on a software (CPU) adapter here: models load but generate far too slowly for real use. An OpenAI-compatible endpoint or a replay is the better choice.');
  } else {
    notes.push(`WebGPU is available${adapterName(d) ? ` (${adapterName(d)})` : ''}.`);
  }
  if (!shaderF16) notes.push('The GPU lacks shader-f16, so only q4f32 models are offered (they need more memory).');
  if (!models.some((f) => f.status !== 'no')) notes.push('No model in the registry fits this GPU\'s limits.');

  return {
    supported: true,
    software,
    shaderF16,
    maxBufferSize: maxBuffer,
    maxStorageBufferBindingSize: maxStorage,
    adapterName: adapterName(d),
    message: notes.join(' '),
    alternatives: software || !models.some((f) => f.status !== 'no') ? ALTERNATIVES : [],
    models,
  };
}

function fitModel(m: ModelInfo, d: AdapterDescription, software: boolean): ModelFit {
  const reasons: string[] = [];
  let status: ModelFitStatus = 'ok';
  const maxStorage = d.limits?.maxStorageBufferBindingSize;
  const maxBuffer = d.limits?.maxBufferSize;
  if (!m.lowResource && maxStorage !== undefined && maxStorage < LARGE_MODEL_BINDING_BYTES) {
    status = 'no';
    reasons.push(`needs a storage-buffer binding of 1 GiB; this GPU allows ${Math.round(maxStorage / 2 ** 20)} MiB`);
  }
  if (maxBuffer !== undefined && maxBuffer < 256 * 2 ** 20) {
    status = 'no';
    reasons.push(`maxBufferSize is only ${Math.round(maxBuffer / 2 ** 20)} MiB`);
  }
  if (status !== 'no' && d.deviceMemoryGB !== undefined && m.vramMB > d.deviceMemoryGB * 1024 * 0.75 && d.deviceMemoryGB < 8) {
    // deviceMemory is capped at 8 by browsers, so it can only warn on small devices.
    status = 'warn';
    reasons.push(`needs about ${Math.round(m.vramMB)} MB of GPU memory; this device reports ${d.deviceMemoryGB} GB in total`);
  }
  if (status !== 'no' && software && m.arch.paramsB > 1) {
    status = 'warn';
    reasons.push('software adapter: expect well under one token per second');
  }
  return { model: m, status, reasons };
}

// ---------------------------------------------------------------------------------------------
// Browser side: read the adapter description (no device is created, nothing is downloaded)
// ---------------------------------------------------------------------------------------------

interface GPUAdapterLike {
  features: { has(name: string): boolean; forEach(cb: (v: string) => void): void };
  limits: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}
interface GPULike {
  requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GPUAdapterLike | null>;
}

async function describeAdapter(nav: unknown = (globalThis as { navigator?: unknown }).navigator): Promise<AdapterDescription> {
  const n = nav as { gpu?: GPULike; deviceMemory?: number } | undefined;
  const deviceMemoryGB = typeof n?.deviceMemory === 'number' ? n.deviceMemory : undefined;
  if (!n?.gpu) return { hasWebGPU: false, hasAdapter: false, deviceMemoryGB };
  let adapter: GPUAdapterLike | null;
  try {
    adapter = await n.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { hasWebGPU: true, hasAdapter: false, requestError: (e as Error)?.message ?? String(e), deviceMemoryGB };
  }
  if (!adapter) return { hasWebGPU: true, hasAdapter: false, deviceMemoryGB };
  const features: string[] = [];
  adapter.features.forEach((f) => features.push(f));
  const info = adapter.info;
  return {
    hasWebGPU: true,
    hasAdapter: true,
    isFallbackAdapter: adapter.isFallbackAdapter ?? info?.isFallbackAdapter ?? false,
    features,
    limits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
    info: info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : undefined,
    deviceMemoryGB,
  };
}

/** Detects WebGPU and assesses every registry model. Call before offering or loading a model. */
export async function detectWebGPU(registry?: RegistryOptions | ModelInfo[]): Promise<WebGPUReport & { adapter: AdapterDescription }> {
  const adapter = await describeAdapter();
  const models = Array.isArray(registry) ? registry : listModels(registry);
  return { ...assessWebGPU(adapter, models), adapter };
}
