// The model registry against the installed @mlc-ai/web-llm (its prebuiltAppConfig is the truth for
// library URLs and VRAM), WebGPU detection over adapter descriptions, and error classification.
import { describe, expect, it } from 'vitest';
import { prebuiltAppConfig, modelLibURLPrefix, modelVersion, type AppConfig, type ModelRecord } from '@mlc-ai/web-llm';
import {
  WEBLLM_LIB_BASE,
  buildAppConfig,
  contextChoices,
  filterForF16,
  findModel,
  listModels,
  resolveModelId,
  toModelRecord,
  weightsFolder,
} from '../../src/llm/models';
import { assessWebGPU, type AdapterDescription } from '../../src/llm/webgpu';
import { classifyWebLLMError } from '../../src/llm/errors';

const prebuilt = new Map(prebuiltAppConfig.model_list.map((r) => [r.model_id, r]));

describe('model registry', () => {
  it('uses the library base of the installed web-llm version', () => {
    expect(WEBLLM_LIB_BASE).toBe(modelLibURLPrefix + modelVersion + '/');
  });

  it('fallbacks are WebLLM prebuilt Qwen2.5/Qwen3 0.5B-7B models with the same lib, weights and VRAM', () => {
    const fallbacks = listModels().filter((m) => !m.isL0);
    expect(fallbacks.map((m) => m.id)).toEqual(expect.arrayContaining([
      'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', 'Qwen2.5-7B-Instruct-q4f32_1-MLC', 'Qwen3-0.6B-q4f16_1-MLC', 'Qwen3-4B-q4f32_1-MLC',
    ]));
    for (const m of fallbacks) {
      const p = prebuilt.get(m.id);
      expect(p, m.id).toBeDefined();
      const r = toModelRecord(m);
      expect(r.model_lib).toBe(p!.model_lib);
      expect(r.vram_required_MB).toBeCloseTo(p!.vram_required_MB!, 0);
      expect(r.low_resource_required).toBe(p!.low_resource_required);
      // WebLLM accepts the repo URL with or without resolve/main/; ours is the explicit form.
      expect(r.model).toBe(p!.model.replace(/\/?$/, '/resolve/main/'));
      expect(r.overrides?.context_window_size).toBe(p!.overrides?.context_window_size);
    }
  });

  it('L0 records reuse the Qwen2-7B and Qwen3-4B libraries in both quantisations', () => {
    const libOf = (id: string) => prebuilt.get(id)!.model_lib;
    expect(findModel('L0-7B-q4f16_1-MLC')!.modelLib).toBe(libOf('Qwen2.5-7B-Instruct-q4f16_1-MLC'));
    expect(findModel('L0-7B-q4f32_1-MLC')!.modelLib).toBe(libOf('Qwen2.5-7B-Instruct-q4f32_1-MLC'));
    expect(findModel('L0-4B-q4f16_1-MLC')!.modelLib).toBe(libOf('Qwen3-4B-q4f16_1-MLC'));
    expect(findModel('L0-4B-q4f32_1-MLC')!.modelLib).toBe(libOf('Qwen3-4B-q4f32_1-MLC'));
    expect(findModel('L0-4B-q4f16_1-MLC')!.convTemplate).toBe('qwen3');
    expect(findModel('L0-7B-q4f16_1-MLC')!.convTemplate).toBe('qwen2');
  });

  it('L0 weights URLs are configurable, absolute, and in the resolve/main/ layout', () => {
    const dflt = findModel('L0-7B-q4f16_1-MLC')!;
    expect(dflt.weightsUrl).toBe('http://localhost:4173/models/L0-7B-q4f16_1-MLC/resolve/main/');
    const m = findModel('L0-4B-q4f32_1-MLC', { l0WeightsBase: 'https://hf.example/org' })!;
    expect(m.weightsUrl).toBe('https://hf.example/org/L0-4B-q4f32_1-MLC/resolve/main/');
    const exact = findModel('L0-4B-q4f32_1-MLC', { l0WeightsUrls: { 'L0-4B-q4f32_1-MLC': 'https://cdn.example/l0/4b' } })!;
    expect(exact.weightsUrl).toBe('https://cdn.example/l0/4b/resolve/main/');
    expect(weightsFolder('https://h/x/resolve/v2')).toBe('https://h/x/resolve/v2/');
    expect(() => weightsFolder('models/L0')).toThrow();
  });

  it('every record is a well-formed WebLLM AppConfig entry', () => {
    const cfg: AppConfig = buildAppConfig({ cacheBackend: 'indexeddb', l0WeightsBase: 'https://w.example/' });
    expect(cfg.cacheBackend).toBe('indexeddb');
    const ids = new Set<string>();
    for (const r of cfg.model_list as ModelRecord[]) {
      expect(ids.has(r.model_id)).toBe(false);
      ids.add(r.model_id);
      expect(new URL(r.model).protocol).toBe('https:');
      expect(r.model).toMatch(/\/resolve\/main\/$/);
      expect(r.model_lib).toMatch(/^https:\/\/raw\.githubusercontent\.com\/mlc-ai\/binary-mlc-llm-libs\/main\/web-llm-models\/v0_2_86\/base\/.+_cs1k-webgpu\.wasm$/);
      expect(r.vram_required_MB).toBeGreaterThan(500);
      expect(r.model_id.includes('q4f16_1')).toBe((r.required_features ?? []).includes('shader-f16'));
    }
    expect(ids.size).toBe(18); // 2 L0 + 7 fallbacks, two quantisations each
  });

  it('context windows above 4,096 show their extra VRAM', () => {
    const m = findModel('L0-7B-q4f16_1-MLC')!;
    const choices = contextChoices(m);
    expect(choices.map((c) => c.tokens)).toEqual([4096, 8192, 16384, 32768]);
    expect(choices[0].extraVramMB).toBe(0);
    // Qwen2.5-7B: 2 (K,V) x 28 layers x 4 KV heads x 128 dims x 2 bytes = 56 KiB per token.
    expect(choices[1].extraVramMB).toBe(224);
    expect(choices[3].totalVramMB).toBe(Math.round(m.vramMB + 1568));
    const cfg = buildAppConfig({ modelIds: [m.id], contextWindows: { [m.id]: 16384 } });
    expect(cfg.model_list[0].overrides?.context_window_size).toBe(16384);
    expect(cfg.model_list[0].vram_required_MB).toBe(choices[2].totalVramMB);
  });

  it('estimates download sizes from parameters and bits per weight', () => {
    const q16 = findModel('Qwen2.5-7B-Instruct-q4f16_1-MLC')!;
    const q32 = findModel('Qwen2.5-7B-Instruct-q4f32_1-MLC')!;
    expect(q16.downloadMB).toBeGreaterThan(3800);
    expect(q16.downloadMB).toBeLessThan(4600);
    expect(q32.downloadMB).toBeGreaterThan(q16.downloadMB);
  });

  it('filters q4f16 models when shader-f16 is missing and maps ids to their q4f32 sibling', () => {
    const all = listModels();
    const noF16 = filterForF16(all, false);
    expect(noF16.length).toBe(all.length / 2);
    expect(noF16.every((m) => m.quantization === 'q4f32_1')).toBe(true);
    expect(filterForF16(all, true)).toHaveLength(all.length);
    expect(resolveModelId('L0-7B-q4f16_1-MLC', false)).toBe('L0-7B-q4f32_1-MLC');
    expect(resolveModelId('L0-7B-q4f16_1-MLC', true)).toBe('L0-7B-q4f16_1-MLC');
    expect(resolveModelId('L0-7B-q4f32_1-MLC', false)).toBe('L0-7B-q4f32_1-MLC');
  });
});

describe('WebGPU detection (pure assessment)', () => {
  const gpu = (over: Partial<AdapterDescription> = {}): AdapterDescription => ({
    hasWebGPU: true,
    hasAdapter: true,
    isFallbackAdapter: false,
    features: ['shader-f16', 'timestamp-query'],
    limits: { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 * 2 ** 30 },
    info: { vendor: 'nvidia', architecture: 'ampere' },
    ...over,
  });

  it('no navigator.gpu: unsupported with a clear message and alternatives', () => {
    const r = assessWebGPU({ hasWebGPU: false, hasAdapter: false });
    expect(r.supported).toBe(false);
    expect(r.error).toMatchObject({ kind: 'unsupported', detail: { reason: 'no-webgpu' } });
    expect(r.message).toMatch(/does not offer WebGPU/);
    expect(r.alternatives.map((a) => a.engine)).toEqual(['openai', 'replay']);
    expect(r.models).toEqual([]);
  });

  it('no adapter: unsupported', () => {
    const r = assessWebGPU({ hasWebGPU: true, hasAdapter: false });
    expect(r.supported).toBe(false);
    expect(r.error?.detail?.reason).toBe('no-adapter');
  });

  it('a capable GPU with f16 gets every model', () => {
    const r = assessWebGPU(gpu());
    expect(r.supported).toBe(true);
    expect(r.software).toBe(false);
    expect(r.models).toHaveLength(18);
    expect(r.models.every((f) => f.status === 'ok')).toBe(true);
    expect(r.alternatives).toEqual([]);
  });

  it('no shader-f16: only q4f32 models', () => {
    const r = assessWebGPU(gpu({ features: [] }));
    expect(r.shaderF16).toBe(false);
    expect(r.models.map((f) => f.model.quantization)).toEqual(Array(9).fill('q4f32_1'));
    expect(r.message).toMatch(/only q4f32/);
  });

  it('a software (fallback) adapter is usable but flagged, with alternatives', () => {
    const r = assessWebGPU(gpu({ isFallbackAdapter: true, features: [], info: { vendor: 'google', architecture: 'swiftshader' } }));
    expect(r.supported).toBe(true);
    expect(r.software).toBe(true);
    expect(r.message).toMatch(/software/);
    expect(r.alternatives.length).toBe(2);
    expect(r.models.find((f) => f.model.id === 'L0-7B-q4f32_1-MLC')!.status).toBe('warn');
  });

  it('small storage-buffer limits rule out the large models', () => {
    const r = assessWebGPU(gpu({ limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 128 * 2 ** 20 } }));
    const seven = r.models.find((f) => f.model.id === 'L0-7B-q4f16_1-MLC')!;
    expect(seven.status).toBe('no');
    expect(seven.reasons[0]).toMatch(/1 GiB/);
    expect(r.models.find((f) => f.model.id === 'L0-4B-q4f16_1-MLC')!.status).toBe('ok');
  });
});

describe('WebLLM error classification', () => {
  const kind = (e: unknown) => classifyWebLLMError(e).kind;
  it('maps WebLLM worker error strings to kinds', () => {
    expect(kind("TypeError: Failed to execute 'add' on 'Cache': Request failed")).toBe('network');
    expect(kind('Error: ArtifactOPFSCache: Unable to fetch https://x/a.bin, received status 404')).toBe('network');
    expect(classifyWebLLMError('Error: ArtifactOPFSCache: Unable to fetch https://x/a.bin, received status 404').detail?.status).toBe(404);
    expect(kind('Error: Failed to store https://x with error: Error: Network response was not ok')).toBe('network');
    expect(kind('TypeError: Failed to fetch')).toBe('network');
    expect(kind("QuotaExceededError: Failed to execute 'put' on 'Cache': Quota exceeded.")).toBe('quota');
    expect(kind(new Error('DeviceLostError: The WebGPU device was lost while loading the model.'))).toBe('device-lost');
    expect(kind('Error: Failed to allocate GPU buffer: out of memory')).toBe('gpu-oom');
    expect(kind('WebGPUNotAvailableError: WebGPU is not supported in your current environment')).toBe('unsupported');
    expect(kind('ShaderF16SupportError: This model requires WebGPU extension shader-f16')).toBe('unsupported');
    expect(kind(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe('aborted');
    expect(kind('RangeError: something odd')).toBe('internal');
  });
  it('keeps the original text in detail and marks transient kinds retryable', () => {
    const d = classifyWebLLMError('TypeError: Failed to fetch');
    expect(d.detail?.error).toBe('TypeError: Failed to fetch');
    expect(d.retryable).toBe(true);
    expect(classifyWebLLMError('DeviceLostError: lost').retryable).toBe(true);
  });
});
