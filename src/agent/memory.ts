/**
 * Token budget: counting, capping observations, and deciding when history must collapse.
 *
 * Counts come from the engine's tokenizer (`llm.countTokens`) when it has one, else from
 * `estimateTokens`: ceil(characters / 3.5), a slightly pessimistic figure for English prose and
 * Python with BPE vocabularies of Llama/Qwen size. A chat message adds `MESSAGE_OVERHEAD` tokens
 * for its template (role markers, separators).
 */
import type { ChatMessage, LLM } from '../protocols';

export const CHARS_PER_TOKEN = 3.5;
const MESSAGE_OVERHEAD = 4;
export const DEFAULT_CONTEXT_WINDOW = 4096;
export const DEFAULT_MAX_TOKENS_PER_STEP = 1024;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export type TokenCounter = (text: string) => Promise<number>;

/** A counter backed by the engine's tokenizer when present; memoised, since messages repeat every step. */
export function makeTokenCounter(llm: Pick<LLM, 'countTokens'>): TokenCounter {
  const cache = new Map<string, number>();
  return async (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
    const n = llm.countTokens ? await llm.countTokens(text) : estimateTokens(text);
    if (cache.size > 2000) cache.clear();
    cache.set(text, n);
    return n;
  };
}

export async function countMessages(messages: ChatMessage[], count: TokenCounter): Promise<number> {
  let total = 0;
  for (const m of messages) total += (await count(m.content)) + MESSAGE_OVERHEAD;
  return total;
}

/** Default prompt budget: the context window minus what one step may generate. */
export function defaultMemoryTokens(llm: Pick<LLM, 'contextWindow'>, maxTokensPerStep: number): number {
  return (llm.contextWindow ?? DEFAULT_CONTEXT_WINDOW) - maxTokensPerStep;
}

/** Default cap on one observation's cell output: a quarter of the prompt budget, at least 200 tokens. */
export function defaultObservationTokens(memoryTokens: number): number {
  return Math.max(200, Math.floor(memoryTokens / 4));
}

/**
 * Cuts `text` to at most `maxTokens`, keeping the head and the tail (where tracebacks and final
 * prints are) and saying how much was cut, as a notebook's output truncation does.
 */
export async function capTokens(text: string, maxTokens: number, count: TokenCounter): Promise<{ text: string; cut: boolean }> {
  if ((await count(text)) <= maxTokens) return { text, cut: false };
  let budgetChars = Math.floor(maxTokens * CHARS_PER_TOKEN);
  for (let attempt = 0; attempt < 4; attempt++) {
    const head = Math.floor(budgetChars * 0.6);
    const tail = Math.max(0, budgetChars - head - 60);
    const cutChars = text.length - head - tail;
    const out = `${text.slice(0, head)}\n... [${cutChars} characters cut to fit the memory budget] ...\n${tail ? text.slice(-tail) : ''}`;
    if ((await count(out)) <= maxTokens || budgetChars < 80) return { text: out, cut: true };
    budgetChars = Math.floor(budgetChars * 0.75);
  }
  return { text: text.slice(0, Math.floor(maxTokens * 2)), cut: true };
}
