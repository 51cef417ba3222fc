/**
 * SQuAD-style QA metrics, matching L0's evaluation (`evaluation/nb_agent_eval/compute_metrics.py`
 * in cmriat/l0): lowercase, strip ASCII punctuation, remove the articles a/an/the, collapse
 * whitespace; EM = any gold equal after normalisation; F1 = best token F1 over the golds.
 *
 * Python semantics are reproduced where JavaScript differs: `str.split()` splits on Python's
 * whitespace set (not JS `\s`), and the article regex's `\b` is Unicode-aware in Python, so the
 * boundaries here are Unicode letter/number lookarounds instead of JS's ASCII-only `\b`.
 */

/** Python's `str.isspace()` set (what `str.split()` with no argument splits on). */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'gu');

/** Python's `string.punctuation`. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** `\b(a|an|the)\b` with Python's Unicode word characters (letters, numbers, underscore). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** Python's `" ".join(text.split())`. */
export function pySplit(text: string): string[] {
  return text.split(PY_WS_RUN).filter((t) => t.length > 0);
}

export function normalizeAnswer(text: string | null | undefined): string {
  if (!text) return '';
  const lowered = text.toLowerCase().replace(ASCII_PUNCTUATION, '').replace(ARTICLES, ' ');
  return pySplit(lowered).join(' ');
}

function tokens(text: string | null | undefined): string[] {
  return pySplit(normalizeAnswer(text));
}

/** 1 when the normalised prediction equals any normalised gold, else 0. */
export function exactMatch(pred: string | null | undefined, golds: readonly string[]): number {
  const norm = normalizeAnswer(pred);
  return golds.some((g) => normalizeAnswer(g) === norm) ? 1 : 0;
}

/** Multiset intersection size (Python's `sum((Counter(a) & Counter(b)).values())`). */
export function tokenOverlap(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of b) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      overlap++;
      counts.set(t, n - 1);
    }
  }
  return overlap;
}

/** Best token-level F1 over the golds (0 for a missing/empty prediction or no golds). */
export function f1Score(pred: string | null | undefined, golds: readonly string[]): number {
  if (pred === null || pred === undefined || golds.length === 0) return 0;
  const predTokens = tokens(pred);
  if (predTokens.length === 0) return 0;
  let best = 0;
  for (const gold of golds) {
    const goldTokens = tokens(gold);
    if (goldTokens.length === 0) continue;
    const overlap = tokenOverlap(predTokens, goldTokens);
    if (overlap === 0) continue;
    const precision = overlap / predTokens.length;
    const recall = overlap / goldTokens.length;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}
