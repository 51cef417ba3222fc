/**
 * Node file I/O for the eval runner: results streamed to JSONL (resumable), summary, RL export.
 *
 * Memory: a record (with its trajectory) is written as soon as it is done and dropped; the CLI
 * keeps only its `ScoreRow` (no trajectory). Finishing reads the file back line by line, by byte
 * range, so a run of thousands of trajectories never holds them all.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Trajectory } from '../protocols';
import type { EvalItem } from './dataset';
import type { JudgeSummary } from './judge';
import { toRLRecord } from './rl-export';
import { recordKey, type EvalRecord, type ScoreRow } from './runner';
import { summarize, type EvalSummary } from './summary';

const RESULTS_FILE = 'results.jsonl';
const SUMMARY_FILE = 'summary.json';
const RL_FILE = 'rl.jsonl';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/** Calls `onLine` for every line of a file with its byte range, reading a chunk at a time. */
export function forEachLine(path: string, onLine: (line: string, start: number, end: number) => void): { endsWithNewline: boolean } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let pending: Buffer[] = [];
    let lineStart = 0;
    let pos = 0;
    let last = -1;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      let from = 0;
      for (let i = buf.indexOf(NEWLINE, 0); i >= 0 && i < n; i = buf.indexOf(NEWLINE, i + 1)) {
        pending.push(buf.subarray(from, i));
        onLine(Buffer.concat(pending).toString('utf8'), lineStart, pos + i);
        pending = [];
        from = i + 1;
        lineStart = pos + i + 1;
      }
      if (from < n) pending.push(Buffer.from(buf.subarray(from, n)));
      last = buf[n - 1]!;
      pos += n;
    }
    if (pending.length) onLine(Buffer.concat(pending).toString('utf8'), lineStart, pos);
    return { endsWithNewline: pos === 0 || last === NEWLINE };
  } finally {
    closeSync(fd);
  }
}

function scoreRow(record: EvalRecord): ScoreRow {
  const { trajectory: _trajectory, ...row } = record;
  return row;
}

interface ScannedResults {
  /** Good lines, first occurrence of each run, in file order. */
  lines: { key: string; row: ScoreRow; start: number; end: number }[];
  /** False when a line had to be dropped (torn by a kill, not JSON, a repeated run). */
  clean: boolean;
}

function scanResults(path: string): ScannedResults {
  const lines: ScannedResults['lines'] = [];
  if (!existsSync(path)) return { lines, clean: true };
  const seen = new Set<string>();
  let clean = true;
  const { endsWithNewline } = forEachLine(path, (text, start, end) => {
    if (!text.trim()) return;
    let record: EvalRecord;
    try {
      record = JSON.parse(text) as EvalRecord;
    } catch {
      clean = false; // torn write: that run is simply done again
      return;
    }
    const row = scoreRow({ ...record, sample: record.sample ?? 0 });
    const key = recordKey(row);
    if (typeof record.id !== 'string' || seen.has(key)) {
      clean = false;
      return;
    }
    seen.add(key);
    lines.push({ key, row, start, end });
  });
  return { lines, clean: clean && endsWithNewline };
}

/** Copies byte ranges of `from` into a new file and puts it in place of `to` (atomically). */
function rewriteFrom(from: string, ranges: readonly { start: number; end: number }[], to: string, transform?: (line: string) => string): void {
  const tmp = `${to}.tmp`;
  const src = openSync(from, 'r');
  const out = openSync(tmp, 'w');
  try {
    for (const { start, end } of ranges) {
      const buf = Buffer.alloc(end - start);
      readSync(src, buf, 0, buf.length, start);
      if (transform) writeSync(out, `${transform(buf.toString('utf8'))}\n`);
      else writeSync(out, Buffer.concat([buf, Buffer.from('\n')]));
    }
  } finally {
    closeSync(src);
    closeSync(out);
  }
  renameSync(tmp, to);
}

export interface ResultsFile {
  /** The runs already on disk that this run keeps (resume), as rows. */
  existing: ScoreRow[];
  /** Writes a record; returns its row (keep that, not the record). */
  append(record: EvalRecord): ScoreRow;
}

/**
 * Opens `outDir/results.jsonl` for a run: the runs on disk that `keep` accepts are kept (and
 * skipped by the run); the file is rewritten without the others and without a torn last line,
 * so the next append cannot glue onto it.
 */
export function openResults(outDir: string, keep: (row: ScoreRow) => boolean): ResultsFile {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, RESULTS_FILE);
  const scanned = scanResults(path);
  const kept = scanned.lines.filter((l) => keep(l.row));
  if (!scanned.clean || kept.length !== scanned.lines.length) rewriteFrom(path, kept, path);
  if (!existsSync(path)) writeFileSync(path, '');
  return {
    existing: kept.map((l) => l.row),
    append(record) {
      appendFileSync(path, `${JSON.stringify(record)}\n`);
      return scoreRow(record);
    },
  };
}

/** Every run of every item, item by item: the order results.jsonl ends in. */
export function runOrder(items: readonly EvalItem[], samples: number): string[] {
  return items.flatMap((item) => Array.from({ length: samples }, (_, sample) => recordKey({ id: item.id, sample })));
}

/**
 * After a complete run: results in dataset order (independent of concurrency and of how often
 * the run was resumed), summary.json, and the RL export, each written a line at a time.
 */
export function finalizeResults(outDir: string, order: readonly string[], judged: Readonly<Record<string, JudgeSummary>> = {}): EvalSummary {
  const path = join(outDir, RESULTS_FILE);
  const byKey = new Map(scanResults(path).lines.map((l) => [l.key, l]));
  const ordered = order.map((k) => byKey.get(k)).filter((l) => l !== undefined);
  rewriteFrom(path, ordered, path);
  const summary = summarize(
    ordered.map((l) => l.row),
    judged,
  );
  writeFileSync(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  // The RL export reads each record back from the rewritten file, one at a time.
  let offset = 0;
  const ranges = ordered.map((l) => {
    const range = { start: offset, end: offset + (l.end - l.start) };
    offset = range.end + 1;
    return range;
  });
  rewriteFrom(path, ranges, join(outDir, RL_FILE), (line) => {
    const r = JSON.parse(line) as EvalRecord & { trajectory: Trajectory };
    return JSON.stringify(toRLRecord({ trajectory: r.trajectory, golds: r.golds, id: r.id, sample: r.sample ?? 0 }));
  });
  return summary;
}
