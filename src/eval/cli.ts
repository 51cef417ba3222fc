/**
 * `npm run eval -- --dataset data/qa/hotpotqa.jsonl --engine openai --base-url URL --model NAME
 *   [--limit N] [--concurrency C] [--tools corpus|wikipedia] [--out DIR] ...`
 * Runs the real agent in Node (Pyodide sandbox) over the dataset(s); resumable; see docs/eval.md.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { OpenAICompatibleLLM } from '../llm/openai';
import { ScriptedLLM } from '../llm/scripted';
import type { LLM } from '../protocols';
import { parseJsonl } from '../tools/corpus-sources';
import { parseDataset, type EvalItem } from './dataset';
import { finalizeResults, openResults, readResults } from './node-io';
import { runEval, type EvalRecord, type ToolMode } from './runner';
import { formatSummaryTable, type EvalSummary } from './summary';

export const USAGE = `Usage: npm run eval -- --dataset FILE.jsonl [--dataset ...] --engine openai|replay [options]
  --base-url URL          OpenAI-compatible server (engine openai), e.g. http://localhost:8000/v1
  --model NAME            model name sent to the server (engine openai)
  --api-key KEY           bearer key (default: $OPENAI_API_KEY)
  --replay FILE           results.jsonl of an earlier eval (engine replay): replays its model turns
  --tools corpus|wikipedia  default: corpus when every item has context paragraphs
  --corpus FILE           corpus JSONL for items without their own paragraphs (tools corpus)
  --wikipedia-url URL     Wikipedia root (default https://en.wikipedia.org)
  --limit N               first N items of each dataset
  --concurrency C         parallel agents (default 1)
  --max-steps N           (default 10)   --max-tokens-per-step N   --memory-tokens N
  --temperature T         --top-p P      --prompt-extra TEXT
  --out DIR               output folder (default eval-results/<model>); rerun to resume`;

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Interrupt (Ctrl-C in the real CLI). */
  signal?: AbortSignal;
  /** Progress as a redrawn bar (terminal) or one line per item. */
  tty?: boolean;
}

export interface CliResult {
  code: number;
  outDir?: string;
  summary?: EvalSummary;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

function progressLine(done: number, total: number, records: readonly EvalRecord[]): string {
  const width = 24;
  const filled = total ? Math.round((width * done) / total) : width;
  const em = records.length ? records.reduce((a, r) => a + r.em, 0) / records.length : 0;
  const fails = records.filter((r) => r.status !== 'answered').length;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  EM ${(100 * em).toFixed(1)}  no answer ${fails}`;
}

export async function runCli(argv: string[], io: CliIO): Promise<CliResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string', multiple: true },
      engine: { type: 'string', default: 'openai' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      'api-key': { type: 'string' },
      replay: { type: 'string' },
      tools: { type: 'string' },
      corpus: { type: 'string' },
      'wikipedia-url': { type: 'string' },
      limit: { type: 'string' },
      concurrency: { type: 'string' },
      'max-steps': { type: 'string' },
      'max-tokens-per-step': { type: 'string' },
      'memory-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'prompt-extra': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.dataset?.length) {
    io.stdout(`${USAGE}\n`);
    return { code: values.help ? 0 : 2 };
  }
  const limit = num(values.limit, 'limit');
  const items: EvalItem[] = values.dataset.flatMap((path) => {
    const all = parseDataset(readFileSync(path, 'utf8'), basename(path, '.jsonl'));
    return limit === undefined ? all : all.slice(0, limit);
  });

  let llmFor: (item: EvalItem) => LLM;
  let modelName: string;
  if (values.engine === 'openai') {
    if (!values['base-url'] || !values.model) throw new Error('--engine openai needs --base-url and --model');
    const llm = new OpenAICompatibleLLM({ baseUrl: values['base-url'], model: values.model, apiKey: values['api-key'] ?? process.env.OPENAI_API_KEY });
    llmFor = () => llm;
    modelName = values.model;
  } else if (values.engine === 'replay') {
    if (!values.replay) throw new Error('--engine replay needs --replay results.jsonl');
    const recorded = new Map<string, EvalRecord>();
    for (const line of readFileSync(values.replay, 'utf8').split('\n')) {
      if (line.trim()) {
        const r = JSON.parse(line) as EvalRecord;
        recorded.set(r.id, r);
      }
    }
    llmFor = (item) => {
      const r = recorded.get(item.id);
      if (!r) throw new Error(`--replay has no trajectory for ${item.id}`);
      return new ScriptedLLM(r.trajectory.steps.map((s) => s.raw), { id: r.trajectory.modelId });
    };
    modelName = 'replay';
  } else throw new Error(`unknown --engine ${values.engine} (openai or replay)`);

  const tools = (values.tools ?? (items.every((i) => i.context) ? 'corpus' : 'wikipedia')) as ToolMode;
  if (tools !== 'corpus' && tools !== 'wikipedia') throw new Error('--tools must be corpus or wikipedia');
  if (tools === 'corpus' && !values.corpus && !items.every((i) => i.context)) {
    throw new Error('--tools corpus: some items have no context paragraphs; give --corpus FILE.jsonl');
  }

  const outDir = values.out ?? join('eval-results', modelName.replace(/[^\w.-]+/g, '_'));
  const existing = readResults(outDir).filter((r) => items.some((i) => i.id === r.id));
  const sink = openResults(outDir, existing);
  const records = [...existing];
  const draw = () => {
    const line = progressLine(records.length, items.length, records);
    io.stderr(io.tty ? `\r${line}` : `${line}\n`);
  };
  if (existing.length) io.stderr(`resuming: ${existing.length} of ${items.length} already done in ${outDir}\n`);
  draw();

  await runEval({
    items,
    llmFor,
    tools,
    sharedCorpus: values.corpus ? parseJsonl(readFileSync(values.corpus, 'utf8'), basename(values.corpus)) : undefined,
    web: { wikipedia: values['wikipedia-url'] ? { baseUrl: values['wikipedia-url'] } : {} },
    concurrency: num(values.concurrency, 'concurrency'),
    maxSteps: num(values['max-steps'], 'max-steps') ?? 10,
    maxTokensPerStep: num(values['max-tokens-per-step'], 'max-tokens-per-step'),
    memoryTokens: num(values['memory-tokens'], 'memory-tokens'),
    temperature: num(values.temperature, 'temperature'),
    topP: num(values['top-p'], 'top-p'),
    promptExtra: values['prompt-extra'],
    skip: new Set(existing.map((r) => r.id)),
    signal: io.signal,
    onRecord: (r) => {
      sink.append(r);
      records.push(r);
      draw();
    },
  });
  if (io.tty) io.stderr('\n');
  if (io.signal?.aborted) {
    io.stderr(`interrupted: ${records.length} of ${items.length} done; run the same command again to resume\n`);
    return { code: 130, outDir };
  }
  const summary = finalizeResults(outDir, items, records);
  io.stdout(`${formatSummaryTable(summary)}\n\nresults: ${join(outDir, 'results.jsonl')}\n`);
  return { code: 0, outDir, summary };
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the running questions are cut short (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    signal: controller.signal,
    tty: process.stderr.isTTY,
  }).then(
    (r) => process.exit(r.code),
    (e: unknown) => {
      process.stderr.write(`eval: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
