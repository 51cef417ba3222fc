/**
 * Aggregates eval records: EM/F1 per dataset as L0's `compute_metrics.py` averages them (the mean
 * over a question's samples, then the mean over questions), rewards, steps, failures, and the
 * SimpleQA judge's accuracy when one graded the answers.
 */
import type { JudgeSummary } from './judge';
import type { ScoreRow } from './runner';

interface DatasetSummary {
  dataset: string;
  /** Questions. */
  n: number;
  /** Runs (questions x samples). */
  runs: number;
  em: number;
  f1: number;
  reward: number;
  meanSteps: number;
  /** Runs that submitted an answer. */
  answered: number;
  /** Runs without an answer, by kind: 'max-steps', 'aborted', or the error kind ('error:network'). */
  failures: Record<string, number>;
  /** The LLM judge's grades (SimpleQA, with --judge-model). */
  judge?: JudgeSummary;
}

export interface EvalSummary {
  datasets: DatasetSummary[];
  overall: DatasetSummary;
}

type Row = Pick<ScoreRow, 'id' | 'dataset' | 'em' | 'f1' | 'reward' | 'steps' | 'status' | 'error'> & { sample?: number };

function failureKind(r: Row): string | undefined {
  if (r.status === 'answered') return undefined;
  if (r.status === 'error') return `error:${r.error?.kind ?? 'internal'}`;
  return r.status;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** compute_metrics.py's `evaluate_file`: per question the mean over its samples, then the mean over questions. */
function questionMean(rs: readonly Row[], metric: (r: Row) => number): number {
  const byQuestion = new Map<string, number[]>();
  for (const r of rs) byQuestion.set(r.id, [...(byQuestion.get(r.id) ?? []), metric(r)]);
  return mean([...byQuestion.values()].map(mean));
}

function summarise(dataset: string, rs: readonly Row[]): DatasetSummary {
  const failures: Record<string, number> = {};
  for (const r of rs) {
    const k = failureKind(r);
    if (k) failures[k] = (failures[k] ?? 0) + 1;
  }
  return {
    dataset,
    n: new Set(rs.map((r) => `${r.dataset}\u0000${r.id}`)).size,
    runs: rs.length,
    em: questionMean(rs, (r) => r.em),
    f1: questionMean(rs, (r) => r.f1),
    reward: mean(rs.map((r) => r.reward.total)),
    meanSteps: mean(rs.map((r) => r.steps)),
    answered: rs.filter((r) => r.status === 'answered').length,
    failures,
  };
}

export function summarize(records: readonly Row[], judged: Readonly<Record<string, JudgeSummary>> = {}): EvalSummary {
  const names = [...new Set(records.map((r) => r.dataset))].sort();
  return {
    datasets: names.map((d) => {
      const s = summarise(d, records.filter((r) => r.dataset === d));
      return judged[d] ? { ...s, judge: judged[d] } : s;
    }),
    overall: summarise('all', records),
  };
}

/** A plain-text table for terminals and logs. */
export function formatSummaryTable(summary: EvalSummary): string {
  const rows = [...summary.datasets, ...(summary.datasets.length > 1 ? [summary.overall] : [])];
  const judged = summary.datasets.some((d) => d.judge);
  const head = ['dataset', 'n', 'EM', 'F1', ...(judged ? ['judge'] : []), 'runs', 'reward', 'steps', 'answered', 'failures'];
  const body = rows.map((s) => [
    s.dataset,
    String(s.n),
    (100 * s.em).toFixed(1),
    (100 * s.f1).toFixed(1),
    ...(judged ? [s.judge ? (100 * s.judge.accuracy).toFixed(1) : '-'] : []),
    String(s.runs),
    s.reward.toFixed(3),
    s.meanSteps.toFixed(2),
    String(s.answered),
    Object.entries(s.failures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
  ]);
  return textTable(head, body, [0, head.length - 1]);
}

/** Columns padded to their widest cell; the columns in `left` are left-aligned, the others right-aligned. */
export function textTable(head: string[], body: string[][], left: number[] = [0]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
