/**
 * What an OpenAI-compatible server says about a model's context window: GET /v1/models lists
 * `max_model_len` (vLLM, SGLang), `context_length` or `context_window` (others) per model.
 * Undefined when it says nothing or cannot be asked; the eval then assumes L0's 32,000 tokens.
 */
import { modelsUrl } from '../llm/openai';

interface ModelCard {
  id?: unknown;
  max_model_len?: unknown;
  context_length?: unknown;
  context_window?: unknown;
}

export async function serverContextWindow(opts: { baseUrl: string; model: string; apiKey?: string; fetch?: typeof fetch; signal?: AbortSignal }): Promise<number | undefined> {
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  try {
    const res = await fetchImpl(modelsUrl(opts.baseUrl), { headers: opts.apiKey ? { Authorization: `Bearer ${opts.apiKey}` } : {}, signal: opts.signal ?? AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const cards = ((await res.json()) as { data?: ModelCard[] }).data ?? [];
    const card = cards.find((c) => c.id === opts.model) ?? (cards.length === 1 ? cards[0] : undefined);
    const n = card && [card.max_model_len, card.context_length, card.context_window].find((v) => typeof v === 'number' && Number.isInteger(v) && v > 0);
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}
