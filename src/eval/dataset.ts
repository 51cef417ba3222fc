/**
 * QA evaluation items: JSONL with `id`, `question`, `answers` (data/qa/*.jsonl), or L0's own
 * files (`golden_answers`, numeric ids), so full splits prepared for L0 load as they are.
 */
import { L0Error } from '../protocols';

export interface EvalItem {
  id: string;
  question: string;
  /** Accepted gold answers (never empty). */
  answers: string[];
  dataset: string;
  /** HotpotQA distractor paragraphs, when the item has them. */
  context?: { title: string; sentences: string[] }[];
}

function answersOf(r: Record<string, unknown>): string[] {
  const raw = r.answers ?? r.golden_answers;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  return list.filter((a): a is string => typeof a === 'string');
}

export function parseDataset(text: string, name = 'dataset'): EvalItem[] {
  const items: EvalItem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new L0Error({ kind: 'internal', message: `${name} line ${i + 1} is not valid JSON` });
    }
    const answers = answersOf(r);
    const id = typeof r.id === 'number' ? String(r.id) : r.id;
    if (typeof id !== 'string' || typeof r.question !== 'string' || answers.length === 0) {
      throw new L0Error({ kind: 'internal', message: `${name} line ${i + 1} needs "id", "question" and non-empty "answers" (or "golden_answers")` });
    }
    items.push({
      id,
      question: r.question,
      answers,
      dataset: typeof r.dataset === 'string' ? r.dataset : name,
      ...(Array.isArray(r.context) ? { context: r.context as EvalItem['context'] } : {}),
    });
  });
  return items;
}
