/** QA evaluation items (the JSONL slices in shared/data: id, question, answers, dataset, ...). */
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
    const answers = Array.isArray(r.answers) ? r.answers.filter((a): a is string => typeof a === 'string') : [];
    if (typeof r.id !== 'string' || typeof r.question !== 'string' || answers.length === 0) {
      throw new L0Error({ kind: 'internal', message: `${name} line ${i + 1} needs "id", "question" and non-empty "answers"` });
    }
    items.push({
      id: r.id,
      question: r.question,
      answers,
      dataset: typeof r.dataset === 'string' ? r.dataset : name,
      ...(Array.isArray(r.context) ? { context: r.context as EvalItem['context'] } : {}),
    });
  });
  return items;
}
