/**
 * SimpleQA's LLM-judge metric, as L0's `evaluation/nb_agent_eval/simpleqa_metrics.py`: a grader
 * model reads the question, the first gold answer and the first sample's answer in
 * GRADER_TEMPLATE (data/simpleqa-grader.txt) and replies A (correct), B (incorrect) or
 * C (not attempted); it is asked at temperature 0 with 5 tokens. Any other reply, or a failed
 * request, is a failed grade; accuracy = A / (A + B + C), failed grades left out.
 * Environment-neutral: the caller gives the template and the grader model.
 */
import type { LLM } from '../protocols';

type Grade = 'A' | 'B' | 'C';

export interface JudgeItem {
  /** The question as the model was asked it (L0's result files hold the prompt with its instruction). */
  question: string;
  target: string;
  predicted: string;
}

export interface JudgeSummary {
  model: string;
  accuracy: number;
  correct: number;
  incorrect: number;
  notAttempted: number;
  failed: number;
  total: number;
}

/** Python's `str.format` for the template's three fields (the template has no other braces). */
export function fillGraderTemplate(template: string, item: JudgeItem): string {
  const fields: Record<string, string> = { question: item.question, target: item.target, predicted_answer: item.predicted };
  return template.replace(/\{(question|target|predicted_answer)\}/g, (_, k: string) => fields[k]!);
}

async function gradeAnswer(judge: LLM, template: string, item: JudgeItem, signal?: AbortSignal): Promise<Grade | undefined> {
  try {
    const r = await judge.generate([{ role: 'user', content: fillGraderTemplate(template, item) }], { temperature: 0, maxTokens: 5, signal });
    const grade = r.text.trim().toUpperCase();
    return grade === 'A' || grade === 'B' || grade === 'C' ? grade : undefined;
  } catch {
    return undefined;
  }
}

/** Grades every item, `concurrency` requests at a time (L0 uses a thread pool of 64). */
export async function judgeAll(judge: LLM, template: string, items: readonly JudgeItem[], concurrency = 8, signal?: AbortSignal): Promise<JudgeSummary> {
  const grades: (Grade | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      grades[i] = await gradeAnswer(judge, template, items[i]!, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const count = (g: Grade) => grades.filter((x) => x === g).length;
  const [correct, incorrect, notAttempted] = [count('A'), count('B'), count('C')];
  const graded = correct + incorrect + notAttempted;
  return { model: judge.id, accuracy: graded ? correct / graded : 0, correct, incorrect, notAttempted, failed: items.length - graded, total: items.length };
}
