/** Node file I/O for the eval runner: resumable results JSONL, summary, RL export. */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalItem } from './dataset';
import { exportRLJsonl } from './rl-export';
import type { EvalRecord } from './runner';
import { summarize, type EvalSummary } from './summary';

export const RESULTS_FILE = 'results.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const RL_FILE = 'rl.jsonl';

/** Records already in the output (a torn last line from a killed run is ignored). */
export function readResults(outDir: string): EvalRecord[] {
  const path = join(outDir, RESULTS_FILE);
  if (!existsSync(path)) return [];
  const out: EvalRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EvalRecord);
    } catch {
      // torn write: that question is simply run again
    }
  }
  return out;
}

export function openResults(outDir: string, existing: readonly EvalRecord[]) {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, RESULTS_FILE);
  // Rewrite what was read, so a torn line cannot glue onto the next append.
  writeFileSync(path, existing.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return { append: (r: EvalRecord) => appendFileSync(path, `${JSON.stringify(r)}\n`) };
}

/**
 * After a complete run: results in dataset order (independent of concurrency and of how often
 * the run was resumed), summary.json, and the RL export.
 */
export function finalizeResults(outDir: string, items: readonly EvalItem[], records: readonly EvalRecord[]): EvalSummary {
  const byId = new Map(records.map((r) => [r.id, r]));
  const ordered = items.map((i) => byId.get(i.id)).filter((r): r is EvalRecord => r !== undefined);
  writeFileSync(join(outDir, RESULTS_FILE), ordered.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const summary = summarize(ordered);
  writeFileSync(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, RL_FILE), exportRLJsonl(ordered.map((r) => ({ trajectory: r.trajectory, golds: r.golds, id: r.id }))));
  return summary;
}
