/**
 * `npm run eval -- --suite l0 --base-url URL --model NAME` (L0's QA suite, with the paper's table)
 * `npm run eval -- --dataset hotpotqa [--dataset FILE.jsonl ...] --base-url URL --model NAME`
 * Runs the real agent in Node (Pyodide sandbox) with L0's evaluation protocol as defaults
 * (protocol.ts); resumable; see docs/eval.md.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { OpenAICompatibleLLM } from '../llm/openai';
import { ScriptedLLM } from '../llm/scripted';
import type { LLM } from '../protocols';
import { parseJsonl } from '../tools/corpus-sources';
import { parseDataset, type EvalItem } from './dataset';
import { judgeAll, type JudgeSummary } from './judge';
import { finalizeResults, forEachLine, openResults, runOrder } from './node-io';
import { canonicalDataset, l0Budgets, L0_EVAL_DEFAULTS, L0_MISSING_ANSWER, L0_SUITE, l0TaskText } from './protocol';
import { recordKey, runEval, type EvalRecord, type ScoreRow, type ToolMode } from './runner';
import { serverContextWindow } from './server-info';
import { formatSuiteTable, GRADER_TEMPLATE_FILE, loadPaperResults, paperRowsFor, resolveDataset, suiteReport } from './suite';
import { formatSummaryTable, type EvalSummary } from './summary';

export const USAGE = `Usage: npm run eval -- (--suite l0 | --dataset NAME|FILE.jsonl [--dataset ...]) --base-url URL --model NAME [options]
  --suite l0              L0's QA datasets (the slices in data/qa/; --full DIR for full splits) and the
                          paper's published figures for the model's size next to ours
  --dataset NAME|FILE     a file, or a name (hotpotqa, nq, 2wiki, ...) found in --full DIR or data/qa/
  --full DIR              full splits: DIR/<name>.jsonl or L0's layout (DIR/hotpotqa/validation.jsonl, ...)
  --engine openai|replay  (default openai)   --api-key KEY (default: $OPENAI_API_KEY)
  --replay FILE           results.jsonl of an earlier eval (engine replay): replays its model turns
  --samples N             runs per question, averaged as L0's compute_metrics.py (default 3)
  --context-window N      the model's context (default: the server's max_model_len, else 32000)
  --max-tokens-per-step N (default 3192, at most a quarter of the context)
  --memory-tokens N       (default 32000, or what the context leaves after one step)
  --max-steps N           (default 10)   --top-p P (default 0.9)   --temperature T (default: the server's)
  --eoc-marker TEXT       end-of-code marker the model was trained with (default <end_code>)
  --instruction l0|none   append L0's per-dataset instruction to each question (default l0)
  --tools auto|corpus|app-corpus|wikipedia  (default auto: a question's own paragraphs offline as
                          web_search/get_webpage_in_markdown, else Wikipedia)
  --corpus FILE           corpus JSONL for questions without their own paragraphs
  --wikipedia-url URL     Wikipedia root (default https://en.wikipedia.org)
  --judge-base-url URL --judge-model NAME [--judge-api-key KEY]  SimpleQA's LLM judge (L0's grader)
  --paper-model NAME      published row to compare with (default: the size in --model)
  --limit N               first N questions of each dataset   --concurrency C (default 1)
  --prompt-extra TEXT     --out DIR (default eval-results/<model>; rerun to resume)`;

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

const OPTIONS = {
  suite: { type: 'string' },
  dataset: { type: 'string', multiple: true },
  full: { type: 'string' },
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
  samples: { type: 'string' },
  'context-window': { type: 'string' },
  'max-steps': { type: 'string' },
  'max-tokens-per-step': { type: 'string' },
  'memory-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'eoc-marker': { type: 'string' },
  instruction: { type: 'string' },
  'judge-base-url': { type: 'string' },
  'judge-model': { type: 'string' },
  'judge-api-key': { type: 'string' },
  'paper-model': { type: 'string' },
  'prompt-extra': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

function progressLine(done: number, total: number, rows: readonly ScoreRow[]): string {
  const width = 24;
  const filled = total ? Math.round((width * done) / total) : width;
  const em = rows.length ? rows.reduce((a, r) => a + r.em, 0) / rows.length : 0;
  const fails = rows.filter((r) => r.status !== 'answered').length;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  EM ${(100 * em).toFixed(1)}  no answer ${fails}`;
}

/** The datasets of the run: the suite's (those found) and the --dataset ones, each with its items. */
function loadDatasets(values: { suite?: string; dataset?: string[]; full?: string; limit?: string }, io: CliIO): EvalItem[] {
  const limit = num(values.limit, 'limit');
  const wanted: { spec: string; suiteName?: string }[] = [];
  if (values.suite !== undefined) {
    if (values.suite !== 'l0') throw new Error(`unknown --suite ${values.suite} (l0)`);
    wanted.push(...L0_SUITE.map((name) => ({ spec: name, suiteName: name })));
  }
  wanted.push(...(values.dataset ?? []).map((spec) => ({ spec })));
  return wanted.flatMap(({ spec, suiteName }) => {
    const path = resolveDataset(spec, values.full);
    if (!path) {
      if (suiteName) {
        io.stderr(`${suiteName}: no data (no slice ships in data/qa/; give --full DIR with ${suiteName}.jsonl)\n`);
        return [];
      }
      throw new Error(`--dataset ${spec}: no such file, and no dataset of that name in ${values.full ? `${values.full} or ` : ''}data/qa/`);
    }
    const name = suiteName ?? canonicalDataset(basename(path, '.jsonl'));
    const all = parseDataset(readFileSync(path, 'utf8'), name).map((item) => (suiteName ? { ...item, dataset: suiteName } : item));
    return limit === undefined ? all : all.slice(0, limit);
  });
}

/** The recorded model turns of an earlier run, by run (engine replay). */
function replayScripts(path: string): Map<string, { raws: string[]; modelId: string }> {
  const recorded = new Map<string, { raws: string[]; modelId: string }>();
  forEachLine(path, (line) => {
    if (!line.trim()) return;
    const r = JSON.parse(line) as EvalRecord;
    recorded.set(recordKey(r), { raws: r.trajectory.steps.map((s) => s.raw), modelId: r.trajectory.modelId });
  });
  return recorded;
}

export async function runCli(argv: string[], io: CliIO): Promise<CliResult> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (values.help || (!values.dataset?.length && values.suite === undefined)) {
    io.stdout(`${USAGE}\n`);
    return { code: values.help ? 0 : 2 };
  }
  const items = loadDatasets(values, io);
  if (!items.length) throw new Error('no questions to run');
  const samples = Math.max(1, Math.floor(num(values.samples, 'samples') ?? L0_EVAL_DEFAULTS.samples));
  const instruction = values.instruction ?? 'l0';
  if (instruction !== 'l0' && instruction !== 'none') throw new Error('--instruction must be l0 or none');

  let llmFor: (item: EvalItem, sample: number) => LLM;
  let modelName: string;
  let contextWindow = num(values['context-window'], 'context-window');
  if (values.engine === 'openai') {
    const baseUrl = values['base-url'];
    const model = values.model;
    if (!baseUrl || !model) throw new Error('--engine openai needs --base-url and --model');
    const apiKey = values['api-key'] ?? process.env.OPENAI_API_KEY;
    if (contextWindow === undefined) {
      contextWindow = await serverContextWindow({ baseUrl, model, apiKey });
      io.stderr(contextWindow ? `context window: ${contextWindow} tokens (the server's max_model_len)\n` : `context window: ${L0_EVAL_DEFAULTS.contextWindow} tokens (the server does not say; --context-window N to set it)\n`);
    }
    const llm = new OpenAICompatibleLLM({ baseUrl, model, apiKey, contextWindow: contextWindow ?? L0_EVAL_DEFAULTS.contextWindow });
    llmFor = () => llm;
    modelName = model;
  } else if (values.engine === 'replay') {
    if (!values.replay) throw new Error('--engine replay needs --replay results.jsonl');
    const recorded = replayScripts(values.replay);
    llmFor = (item, sample) => {
      const r = recorded.get(recordKey({ id: item.id, sample }));
      if (!r) throw new Error(`--replay has no trajectory for ${item.id} sample ${sample}`);
      return new ScriptedLLM(r.raws, { id: r.modelId });
    };
    modelName = values.model ?? 'replay';
  } else throw new Error(`unknown --engine ${values.engine} (openai or replay)`);

  const window = contextWindow ?? L0_EVAL_DEFAULTS.contextWindow;
  const maxTokensPerStep = num(values['max-tokens-per-step'], 'max-tokens-per-step') ?? l0Budgets(window).maxTokensPerStep;
  const memoryTokens = num(values['memory-tokens'], 'memory-tokens') ?? Math.min(L0_EVAL_DEFAULTS.memoryTokens, window - maxTokensPerStep);
  const tools = (values.tools ?? 'auto') as ToolMode;
  if (!['auto', 'corpus', 'app-corpus', 'wikipedia'].includes(tools)) throw new Error('--tools must be auto, corpus, app-corpus or wikipedia');
  if ((tools === 'corpus' || tools === 'app-corpus') && !values.corpus && !items.every((i) => i.context)) {
    throw new Error(`--tools ${tools}: some items have no context paragraphs; give --corpus FILE.jsonl`);
  }

  const outDir = values.out ?? join('eval-results', modelName.replace(/[^\w.-]+/g, '_'));
  const order = runOrder(items, samples);
  const inRun = new Set(order);
  const results = openResults(outDir, (row) => inRun.has(recordKey(row)));
  const rows: ScoreRow[] = [...results.existing];
  const draw = () => {
    const line = progressLine(rows.length, order.length, rows);
    io.stderr(io.tty ? `\r${line}` : `${line}\n`);
  };
  if (rows.length) io.stderr(`resuming: ${rows.length} of ${order.length} already done in ${outDir}\n`);
  draw();

  await runEval({
    items,
    llmFor,
    tools,
    samples,
    taskText: instruction === 'l0' ? (item) => l0TaskText(item.question, item.dataset) : undefined,
    sharedCorpus: values.corpus ? parseJsonl(readFileSync(values.corpus, 'utf8'), basename(values.corpus)) : undefined,
    web: { wikipedia: values['wikipedia-url'] ? { baseUrl: values['wikipedia-url'] } : {} },
    concurrency: num(values.concurrency, 'concurrency'),
    maxSteps: num(values['max-steps'], 'max-steps') ?? L0_EVAL_DEFAULTS.maxSteps,
    maxTokensPerStep,
    memoryTokens,
    temperature: num(values.temperature, 'temperature'),
    topP: num(values['top-p'], 'top-p') ?? L0_EVAL_DEFAULTS.topP,
    promptExtra: values['prompt-extra'],
    eocMarker: values['eoc-marker'],
    skip: new Set(rows.map(recordKey)),
    signal: io.signal,
    onRecord: (r) => {
      rows.push(results.append(r)); // the record (and its trajectory) is on disk now: keep only the row
      draw();
    },
  });
  if (io.tty) io.stderr('\n');
  if (io.signal?.aborted) {
    io.stderr(`interrupted: ${rows.length} of ${order.length} done; run the same command again to resume\n`);
    return { code: 130, outDir };
  }

  const judged = await judgeSimpleQA(values, rows, io);
  const summary = finalizeResults(outDir, order, judged);
  let out = `${formatSummaryTable(summary)}\n\nresults: ${join(outDir, 'results.jsonl')}\n`;
  if (values.suite !== undefined) {
    const paper = loadPaperResults();
    const report = suiteReport(summary, paper, modelName, paperRowsFor(paper, modelName, values['paper-model']));
    const file = join(outDir, 'l0-suite.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    out += `\nL0 suite, ${modelName}:\n${formatSuiteTable(report)}\nsuite: ${file}\n`;
  }
  io.stdout(out);
  return { code: 0, outDir, summary };
}

/** SimpleQA's LLM judge (L0's simpleqa_metrics.py) on the first sample of each question, when asked for. */
async function judgeSimpleQA(values: { 'judge-base-url'?: string; 'judge-model'?: string; 'judge-api-key'?: string }, rows: readonly ScoreRow[], io: CliIO): Promise<Record<string, JudgeSummary>> {
  const baseUrl = values['judge-base-url'];
  const model = values['judge-model'];
  if (!baseUrl && !model) return {};
  if (!baseUrl || !model) throw new Error('the judge needs both --judge-base-url and --judge-model');
  const judge = new OpenAICompatibleLLM({ baseUrl, model, apiKey: values['judge-api-key'] ?? process.env.OPENAI_API_KEY, maxRetries: 1 });
  const template = readFileSync(GRADER_TEMPLATE_FILE, 'utf8').trim();
  const judged: Record<string, JudgeSummary> = {};
  for (const dataset of new Set(rows.filter((r) => canonicalDataset(r.dataset) === 'simpleqa').map((r) => r.dataset))) {
    const first = rows.filter((r) => r.dataset === dataset && r.sample === 0);
    io.stderr(`judging ${first.length} ${dataset} answers with ${model}\n`);
    judged[dataset] = await judgeAll(
      judge,
      template,
      first.map((r) => ({ question: r.task ?? r.question, target: r.golds[0] ?? '', predicted: r.answer ?? L0_MISSING_ANSWER })),
      8,
      io.signal,
    );
  }
  return judged;
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
