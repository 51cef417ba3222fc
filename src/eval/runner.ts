/**
 * The batch runner: runs the real agent (runAgent + a Pyodide sandbox) over QA items with a
 * bounded number of parallel workers, `samples` times per question, scores each answer (EM/F1
 * and L0's rewards) and hands one record per run to `onRecord` as soon as it is done.
 * Environment-neutral: the Node CLI and the browser eval page both use it; file I/O lives in
 * their own files.
 */
import { runAgent } from '../agent/index';
import { createPyodideSandbox } from '../sandbox/index';
import { type ErrorData, type LLM, type RunStatus, type Sandbox, type Tool, type Trajectory } from '../protocols';
import { createCorpus, type CorpusDocument } from '../tools/corpus';
import { documentsFromContext } from '../tools/corpus-sources';
import { defaultTools, type ToolSettings } from '../tools/registry';
import type { EvalItem } from './dataset';
import { exactMatch, f1Score } from './metrics';
import { L0_MISSING_ANSWER } from './protocol';
import { combinedReward } from './rewards';

export interface EvalRecord {
  id: string;
  /** Which run of this question (0-based; `samples` runs per question). */
  sample: number;
  dataset: string;
  question: string;
  /** The user message the model got (the question with its dataset's instruction). */
  task: string;
  /** The submitted answer; null when none was (scored as L0 scores it: the text "None"). */
  answer: string | null;
  golds: string[];
  em: number;
  f1: number;
  reward: { qa: number; format: number; codeExecution: number; total: number };
  steps: number;
  tokens: { prompt: number; completion: number };
  timeMs: number;
  status: RunStatus;
  error?: ErrorData;
  trajectory: Trajectory;
}

/** A record without its trajectory: what summaries, progress and the judge need. */
export type ScoreRow = Omit<EvalRecord, 'trajectory'>;

/** Identifies one run: the question's id and the sample. */
export function recordKey(r: { id: string; sample?: number }): string {
  return `${r.id}#${r.sample ?? 0}`;
}

/**
 * The tools of a question:
 * - 'corpus': its own paragraphs (or the shared corpus) as web_search / get_webpage_in_markdown,
 *   the names L0 was trained with (offline);
 * - 'app-corpus': the same documents as search_corpus / read_document, the app's names;
 * - 'wikipedia': the web tools over Wikipedia (network);
 * - 'auto': 'corpus' for questions with paragraphs (or with a shared corpus), else 'wikipedia'.
 */
export type ToolMode = 'auto' | 'corpus' | 'app-corpus' | 'wikipedia';

interface AgentSettings {
  maxSteps?: number;
  maxTokensPerStep?: number;
  memoryTokens?: number;
  temperature?: number;
  topP?: number;
  promptExtra?: string;
  eocMarker?: string;
}

export interface EvalOptions extends AgentSettings {
  items: readonly EvalItem[];
  /** The model for one run (a shared client is fine; the replay engine makes one per run). */
  llmFor: (item: EvalItem, sample: number) => LLM;
  tools: ToolMode;
  /** Runs per question (default 1); records carry `sample`. */
  samples?: number;
  /** The user message for an item (default: the question; the CLI uses L0's `l0TaskText`). */
  taskText?: (item: EvalItem) => string;
  /** Corpus for items without their own context paragraphs (tools 'corpus'). */
  sharedCorpus?: readonly CorpusDocument[];
  /** Web tool settings (tools 'wikipedia'): base URL, fetch, ... */
  web?: Exclude<ToolSettings['web'], false | undefined>;
  /** Questions run in parallel (default 1); each question gets a fresh sandbox. */
  concurrency?: number;
  /** Runs already done (resume), as `recordKey`s: skipped. */
  skip?: ReadonlySet<string>;
  /**
   * Receives each record as soon as it is done. When given, the runner keeps no record itself
   * (a long run streams them to disk without holding trajectories in memory) and resolves with [].
   */
  onRecord?: (record: EvalRecord) => void | Promise<void>;
  onStart?: (item: EvalItem, sample: number) => void;
  /** Stops starting new items and aborts running ones; aborted items produce no record. */
  signal?: AbortSignal;
  /** Sandbox factory (default: the real Pyodide sandbox). */
  createSandbox?: (tools: Tool[]) => Promise<Sandbox>;
}

export function scoreTrajectory(item: EvalItem, trajectory: Trajectory, timeMs: number, sample = 0): EvalRecord {
  const answer = trajectory.finalAnswer ?? null;
  const scored = answer ?? L0_MISSING_ANSWER;
  const r = combinedReward(trajectory, item.answers);
  const tokens = trajectory.steps.reduce(
    (t, s) => ({ prompt: t.prompt + s.usage.promptTokens, completion: t.completion + s.usage.completionTokens }),
    { prompt: 0, completion: 0 },
  );
  return {
    id: item.id,
    sample,
    dataset: item.dataset,
    question: item.question,
    task: trajectory.task,
    answer,
    golds: item.answers,
    em: exactMatch(scored, item.answers),
    f1: f1Score(scored, item.answers),
    reward: { qa: r.qa, format: r.format, codeExecution: r.codeExecution, total: r.total },
    steps: trajectory.steps.length,
    tokens,
    timeMs,
    status: trajectory.status,
    ...(trajectory.error ? { error: trajectory.error } : {}),
    trajectory,
  };
}

export async function runEval(options: EvalOptions): Promise<EvalRecord[]> {
  const samples = Math.max(1, Math.floor(options.samples ?? 1));
  // Sample-major, as L0 runs the whole batch once per sample: a stopped run has whole samples.
  const todo = Array.from({ length: samples }, (_, sample) => options.items.map((item) => ({ item, sample })))
    .flat()
    .filter((run) => !options.skip?.has(recordKey({ id: run.item.id, sample: run.sample })));
  const kept: EvalRecord[] = [];
  const shared = options.sharedCorpus ? createCorpus(options.sharedCorpus) : undefined;
  const makeSandbox = options.createSandbox ?? ((tools: Tool[]) => createPyodideSandbox({ tools }));
  const taskText = options.taskText ?? ((item: EvalItem) => item.question);
  let next = 0;

  function toolsFor(item: EvalItem): Tool[] {
    const mode = options.tools === 'auto' ? (item.context || shared ? 'corpus' : 'wikipedia') : options.tools;
    if (mode === 'wikipedia') return defaultTools({ web: options.web ?? {} });
    const corpus = item.context ? createCorpus(documentsFromContext(item.context)) : shared;
    if (!corpus) throw new Error(`no corpus for ${item.id}: it has no context paragraphs and no shared corpus was given`);
    return mode === 'corpus' ? defaultTools({ web: { corpus, wikipedia: false } }) : defaultTools({ corpus });
  }

  // A fresh interpreter per run, as L0 gives each task a fresh kernel: nothing (variables,
  // the cell counter in tracebacks) carries over, so a record does not depend on scheduling.
  async function runOne(item: EvalItem, sample: number): Promise<void> {
    const tools = toolsFor(item);
    const sandbox = await makeSandbox(tools);
    try {
      options.onStart?.(item, sample);
      const t0 = Date.now();
      const run = runAgent({
        task: taskText(item),
        llm: options.llmFor(item, sample),
        sandbox,
        tools,
        sessionId: `eval-${item.id}${sample ? `-${sample}` : ''}`,
        maxSteps: options.maxSteps,
        maxTokensPerStep: options.maxTokensPerStep,
        memoryTokens: options.memoryTokens,
        temperature: options.temperature,
        topP: options.topP,
        promptExtra: options.promptExtra,
        eocMarker: options.eocMarker,
        signal: options.signal,
      });
      // Nobody shows the events here: take them as they come so none wait in memory.
      for await (const event of run) void event;
      // runAgent's trajectory always resolves; failures are in trajectory.status/error.
      const trajectory = await run.trajectory;
      // A run cut short by our own interrupt is not a result: a resumed run redoes it.
      if (options.signal?.aborted && trajectory.status === 'aborted') return;
      const record = scoreTrajectory(item, trajectory, Date.now() - t0, sample);
      if (options.onRecord) await options.onRecord(record);
      else kept.push(record);
    } finally {
      await sandbox.dispose();
    }
  }

  async function worker(): Promise<void> {
    while (next < todo.length && !options.signal?.aborted) {
      const { item, sample } = todo[next++]!;
      await runOne(item, sample);
    }
  }

  const n = Math.max(1, Math.min(options.concurrency ?? 1, todo.length));
  await Promise.all(Array.from({ length: n }, worker));
  const order = new Map(options.items.map((item, i) => [item.id, i]));
  return kept.sort((a, b) => order.get(a.id)! - order.get(b.id)! || a.sample - b.sample);
}
