/**
 * `npm run eval -- --suite l0`: where the datasets are found by name, and our EM/F1 per dataset
 * next to the L0 paper's published figures for the same model size (data/l0-paper-results.json).
 * Node only (reads the repository's data/ folder).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalDataset, L0_LOCAL_FILES, L0_SUITE } from './protocol';
import { textTable, type EvalSummary } from './summary';

/** The repository's data/ folder. */
const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));
const SHIPPED_QA_DIR = join(DATA_DIR, 'qa');
const PAPER_RESULTS_FILE = join(DATA_DIR, 'l0-paper-results.json');
export const GRADER_TEMPLATE_FILE = join(DATA_DIR, 'simpleqa-grader.txt');

/**
 * A dataset file for `--dataset`: an existing path as given; else a name (`hotpotqa`, `2wiki`)
 * looked up in `--full DIR` (`DIR/<name>.jsonl`, or L0's layout such as `DIR/hotpotqa/validation.jsonl`)
 * and then in the slices shipped in data/qa/.
 */
export function resolveDataset(nameOrPath: string, fullDir?: string): string | undefined {
  if (existsSync(nameOrPath) && (/[\\/]/.test(nameOrPath) || nameOrPath.endsWith('.jsonl'))) return nameOrPath;
  const name = canonicalDataset(basename(nameOrPath).replace(/\.jsonl$/, ''));
  const candidates = [
    ...(fullDir ? [join(fullDir, `${name}.jsonl`), ...(L0_LOCAL_FILES[name] ? [join(fullDir, L0_LOCAL_FILES[name])] : [])] : []),
    join(SHIPPED_QA_DIR, `${name}.jsonl`),
  ];
  return candidates.find((p) => existsSync(p));
}

interface PaperModel {
  size: string;
  /** 'l0': the L0 checkpoint; 'base': its base model in the NB-Agent scaffold before RL. */
  role: 'l0' | 'base';
  base: string;
  /** Dataset -> accuracy in percent. */
  results: Record<string, number>;
}

export interface PaperResults {
  source: Record<string, string>;
  metric: string;
  models: Record<string, PaperModel>;
}

export function loadPaperResults(path = PAPER_RESULTS_FILE): PaperResults {
  return JSON.parse(readFileSync(path, 'utf8')) as PaperResults;
}

/** The model size in a name ("L0-7B", "qwen3-4b-l0", "Qwen2.5-32B-Instruct"), as "7B". */
export function modelSize(name: string): string | undefined {
  const m = /(\d+(?:\.\d+)?)\s*b(?![a-z])/i.exec(name);
  return m ? `${m[1]}B` : undefined;
}

/** The published rows to compare with: `--paper-model` (a key or a size), else the size in the model's name. */
export function paperRowsFor(paper: PaperResults, model: string, choice?: string): string[] {
  if (choice && paper.models[choice]) return [choice];
  const size = modelSize(choice ?? model);
  const rows = Object.entries(paper.models).filter(([, m]) => m.size === size);
  return rows.sort(([, a], [, b]) => (a.role === b.role ? 0 : a.role === 'l0' ? -1 : 1)).map(([k]) => k);
}

interface SuiteRow {
  dataset: string;
  questions: number;
  runs: number;
  /** Ours, in percent. */
  em: number;
  f1: number;
  judge?: number;
  /** Published figure per compared row, in percent (null: not transcribed). */
  paper: Record<string, number | null>;
}

export interface SuiteReport {
  model: string;
  compared: string[];
  metric: string;
  source: Record<string, string>;
  rows: SuiteRow[];
}

export function suiteReport(summary: EvalSummary, paper: PaperResults, model: string, compared: string[]): SuiteReport {
  const pct = (x: number) => Math.round(1000 * x) / 10;
  // The suite's order; other datasets after it.
  const rank = (d: string) => {
    const i = (L0_SUITE as readonly string[]).indexOf(canonicalDataset(d));
    return i < 0 ? L0_SUITE.length : i;
  };
  const datasets = [...summary.datasets].sort((a, b) => rank(a.dataset) - rank(b.dataset));
  const rows = datasets.map((d) => ({
    dataset: d.dataset,
    questions: d.n,
    runs: d.runs,
    em: pct(d.em),
    f1: pct(d.f1),
    ...(d.judge ? { judge: pct(d.judge.accuracy) } : {}),
    paper: Object.fromEntries(compared.map((k) => [k, paper.models[k]?.results[canonicalDataset(d.dataset)] ?? null])),
  }));
  return { model, compared, metric: paper.metric, source: paper.source, rows };
}

export function formatSuiteTable(report: SuiteReport): string {
  const judged = report.rows.some((r) => r.judge !== undefined);
  const head = ['dataset', 'questions', 'runs', 'EM', 'F1', ...(judged ? ['judge'] : []), ...report.compared.map((k) => `paper ${k}`)];
  const body = report.rows.map((r) => [
    r.dataset,
    String(r.questions),
    String(r.runs),
    r.em.toFixed(1),
    r.f1.toFixed(1),
    ...(judged ? [r.judge === undefined ? '-' : r.judge.toFixed(1)] : []),
    ...report.compared.map((k) => (r.paper[k] === null || r.paper[k] === undefined ? '-' : r.paper[k]!.toFixed(1))),
  ]);
  const note = report.compared.length
    ? `paper: ${report.metric}; ${report.source.url ?? ''} ('-': not in data/l0-paper-results.json)`
    : `paper: no published row for ${report.model}'s size in data/l0-paper-results.json (--paper-model to choose one)`;
  return `${textTable(head, body)}\n${note}`;
}
