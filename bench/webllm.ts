// WebLLM benchmark page (bench/webllm.html): run it on a machine with a GPU and network.
// Reports, as JSON on the page (and as window.benchResult):
//   - loadMs: engine creation to ready (download or cache load, plus shader compilation);
//   - prefill / decode tokens per second as WebLLM measures them;
//   - KV reuse: step 2 of an agent run passes step 1's messages back unchanged, so only the new
//     observation is prefilled; the same step 2 with a cold cache (system prompt changed by one
//     character) is the baseline measured in the same run, reported as a ratio.
import {
  WebLLMEngine,
  detectWebGPU,
  listModels,
  type ChatMessage,
  type GenerateResult,
  type LoadProgress,
} from '../src/index';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

const SYSTEM = [
  'You are NB-Agent. You solve the task by writing Python in a persistent notebook.',
  'Each turn: <think>your reasoning</think> then <code>python code</code>. The code runs and you see <output>...</output>.',
  'Tools: web_search(query) -> list of results; get_webpage_in_markdown(url) -> str; notepad.add_todo(items);',
  'notepad.add_facts(items); notepad.write_draft(text); submit_final_answer(answer).',
  'Rules: always one think and one code field; combine work into few cells; never shadow a tool name;',
  'the state persists between cells; submit the answer with submit_final_answer within the step limit.',
].join('\n').repeat(4); // about 600 tokens: a realistic system prompt size

const TASK = 'What is the sum of the first 20 prime numbers? Use Python to compute it and submit the number.';
const OBSERVATION = '<output>[2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71]\n639</output>\nNotepad:\n- [x] list primes\n- [ ] submit the sum';

interface StepReport {
  promptTokens: number;
  prefillTokens?: number;
  completionTokens: number;
  finishReason: string;
  ttftMs: number;
  totalMs: number;
  prefillTokensPerS?: number;
  decodeTokensPerS?: number;
  text: string;
}

async function step(engine: WebLLMEngine, messages: ChatMessage[]): Promise<StepReport> {
  const t0 = performance.now();
  let first = 0;
  const r: GenerateResult = await engine.generate(messages, {
    stop: ['</code>'],
    maxTokens: 256,
    temperature: 0,
    onToken: () => {
      if (!first) first = performance.now();
    },
  });
  const t1 = performance.now();
  return {
    promptTokens: r.usage.promptTokens,
    prefillTokens: r.usage.prefillTokens,
    completionTokens: r.usage.completionTokens,
    finishReason: r.finishReason,
    ttftMs: Math.round((first || t1) - t0),
    totalMs: Math.round(t1 - t0),
    prefillTokensPerS: engine.lastStats.prefillTokensPerS,
    decodeTokensPerS: engine.lastStats.decodeTokensPerS,
    text: r.text,
  };
}

async function run(modelId: string, contextWindow: number, weights?: string): Promise<unknown> {
  const status = $('status');
  const result: Record<string, unknown> = { modelId, contextWindow, userAgent: navigator.userAgent, startedAt: new Date().toISOString() };
  const webgpu = await detectWebGPU(weights ? { l0WeightsBase: weights } : {});
  result.webgpu = { supported: webgpu.supported, software: webgpu.software, shaderF16: webgpu.shaderF16, adapter: webgpu.adapterName, message: webgpu.message };
  if (!webgpu.supported) return { ...result, error: webgpu.error };

  const progress: LoadProgress[] = [];
  const tLoad = performance.now();
  const engine = await WebLLMEngine.create({
    modelId,
    contextWindow,
    registry: weights ? { l0WeightsBase: weights } : {},
    onProgress: (p) => {
      progress.push(p);
      status.textContent = p.message;
    },
  });
  result.loadMs = Math.round(performance.now() - tLoad);
  result.loadedModel = engine.id;
  result.loadPhases = [...new Set(progress.map((p) => p.phase))];
  try {
    status.textContent = 'step 1…';
    const m1: ChatMessage[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: TASK }];
    const s1 = await step(engine, m1);
    status.textContent = 'step 2 (KV reuse)…';
    // Step 1's reply goes back byte-identical, so WebLLM keeps its KV cache.
    const m2: ChatMessage[] = [...m1, { role: 'assistant', content: s1.text }, { role: 'user', content: OBSERVATION }];
    const s2 = await step(engine, m2);
    status.textContent = 'step 2 again, cold cache (baseline)…';
    const cold: ChatMessage[] = [{ role: 'system', content: SYSTEM + ' ' }, ...m2.slice(1)];
    const s2cold = await step(engine, cold);
    result.steps = { step1: s1, step2Reuse: s2, step2Cold: s2cold };
    result.kvReuse = {
      prefilledWithReuse: s2.prefillTokens,
      prefilledCold: s2cold.prefillTokens,
      ttftSpeedup: s2.ttftMs > 0 ? +(s2cold.ttftMs / s2.ttftMs).toFixed(2) : undefined,
    };
    result.decodeTokensPerS = s1.decodeTokensPerS;
    result.prefillTokensPerS = s2cold.prefillTokensPerS;
    result.runtimeStats = await engine.runtimeStats();
  } finally {
    await engine.dispose();
  }
  return result;
}

function init(): void {
  const select = $<HTMLSelectElement>('model');
  for (const m of listModels()) {
    const o = document.createElement('option');
    o.value = m.id;
    o.textContent = `${m.label} — ~${Math.round(m.downloadMB)} MB download, ${Math.round(m.vramMB)} MB VRAM`;
    select.append(o);
  }
  select.value = params.get('model') ?? 'Qwen2.5-0.5B-Instruct-q4f32_1-MLC';
  $<HTMLInputElement>('ctx').value = params.get('ctx') ?? '4096';
  $<HTMLInputElement>('weights').value = params.get('weights') ?? '';
  const go = async () => {
    $<HTMLButtonElement>('run').disabled = true;
    let out: unknown;
    try {
      out = await run(select.value, Number($<HTMLInputElement>('ctx').value), $<HTMLInputElement>('weights').value || undefined);
    } catch (e) {
      out = { error: (await import('../src/index')).toErrorData(e) };
    }
    (window as unknown as { benchResult: unknown }).benchResult = out;
    $('result').textContent = JSON.stringify(out, null, 2);
    $('status').textContent = 'done';
    $<HTMLButtonElement>('run').disabled = false;
  };
  $<HTMLFormElement>('form').addEventListener('submit', (e) => {
    e.preventDefault();
    void go();
  });
  if (params.get('auto') === '1') void go();
}

init();
