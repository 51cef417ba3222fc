/** Aggregates eval records: EM/F1 per dataset (means, as L0's compute_metrics.py), steps, failures. */
import type { EvalRecord } from './runner';

export interface DatasetSummary {
  dataset: string;
  n: number;
  em: number;
  f1: number;
  reward: number;
  meanSteps: number;
  answered: number;
  /** Runs without an answer, by kind: 'max-steps', 'aborted', or the error kind ('error:network'). */
  failures: Record<string, number>;
}

export interface EvalSummary {
  datasets: DatasetSummary[];
  overall: DatasetSummary;
}

function failureKind(r: EvalRecord): string | undefined {
  if (r.status === 'answered') return undefined;
  if (r.status === 'error') return `error:${r.error?.kind ?? 'internal'}`;
  return r.status;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function summarise(dataset: string, rs: readonly EvalRecord[]): DatasetSummary {
  const failures: Record<string, number> = {};
  for (const r of rs) {
    const k = failureKind(r);
    if (k) failures[k] = (failures[k] ?? 0) + 1;
  }
  return {
    dataset,
    n: rs.length,
    em: mean(rs.map((r) => r.em)),
    f1: mean(rs.map((r) => r.f1)),
    reward: mean(rs.map((r) => r.reward.total)),
    meanSteps: mean(rs.map((r) => r.steps)),
    answered: rs.filter((r) => r.status === 'answered').length,
    failures,
  };
}

export function summarize(records: readonly EvalRecord[]): EvalSummary {
  const names = [...new Set(records.map((r) => r.dataset))].sort();
  return {
    datasets: names.map((d) => summarise(d, records.filter((r) => r.dataset === d))),
    overall: summarise('all', records),
  };
}

/** A plain-text table for terminals and logs. */
export function formatSummaryTable(summary: EvalSummary): string {
  const rows = [...summary.datasets, ...(summary.datasets.length > 1 ? [summary.overall] : [])];
  const head = ['dataset', 'n', 'EM', 'F1', 'reward', 'steps', 'answered', 'failures'];
  const body = rows.map((s) => [
    s.dataset,
    String(s.n),
    (100 * s.em).toFixed(1),
    (100 * s.f1).toFixed(1),
    s.reward.toFixed(3),
    s.meanSteps.toFixed(2),
    String(s.answered),
    Object.entries(s.failures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
