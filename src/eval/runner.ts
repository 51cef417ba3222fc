/**
 * The batch runner: runs the real agent (runAgent + a Pyodide sandbox) over QA items with a
 * bounded number of parallel workers, scores each answer (EM/F1 and L0's rewards) and hands one
 * record per question to `onRecord` as soon as it is done. Environment-neutral: the Node CLI and
 * the browser eval page both use it; file I/O lives in their own files.
 */
import { runAgent } from '../agent/index';
import { createPyodideSandbox } from '../sandbox/index';
import { type ErrorData, type LLM, type RunStatus, type Sandbox, type Tool, type Trajectory } from '../protocols';
import { createCorpus, type CorpusDocument } from '../tools/corpus';
import { documentsFromContext } from '../tools/corpus-sources';
import { defaultTools, type ToolSettings } from '../tools/registry';
import type { EvalItem } from './dataset';
import { exactMatch, f1Score } from './metrics';
import { combinedReward } from './rewards';

export interface EvalRecord {
  id: string;
  dataset: string;
  question: string;
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

export type ToolMode = 'corpus' | 'wikipedia';

export interface AgentSettings {
  maxSteps?: number;
  maxTokensPerStep?: number;
  memoryTokens?: number;
  temperature?: number;
  topP?: number;
  promptExtra?: string;
}

export interface EvalOptions extends AgentSettings {
  items: readonly EvalItem[];
  /** The model for one item (a shared client is fine; the replay engine makes one per item). */
  llmFor: (item: EvalItem) => LLM;
  tools: ToolMode;
  /** Corpus for items without their own context paragraphs (tools 'corpus'). */
  sharedCorpus?: readonly CorpusDocument[];
  /** Web tool settings (tools 'wikipedia'): base URL, fetch, ... */
  web?: Exclude<ToolSettings['web'], false | undefined>;
  /** Questions run in parallel (default 1); each question gets a fresh sandbox. */
  concurrency?: number;
  /** Ids already done (resume): skipped. */
  skip?: ReadonlySet<string>;
  onRecord?: (record: EvalRecord) => void | Promise<void>;
  onStart?: (item: EvalItem) => void;
  /** Stops starting new items and aborts running ones; aborted items produce no record. */
  signal?: AbortSignal;
  /** Sandbox factory (default: the real Pyodide sandbox). */
  createSandbox?: (tools: Tool[]) => Promise<Sandbox>;
}

export function scoreTrajectory(item: EvalItem, trajectory: Trajectory, timeMs: number): EvalRecord {
  const answer = trajectory.finalAnswer ?? null;
  const r = combinedReward(trajectory, item.answers);
  const tokens = trajectory.steps.reduce(
    (t, s) => ({ prompt: t.prompt + s.usage.promptTokens, completion: t.completion + s.usage.completionTokens }),
    { prompt: 0, completion: 0 },
  );
  return {
    id: item.id,
    dataset: item.dataset,
    question: item.question,
    answer,
    golds: item.answers,
    em: exactMatch(answer, item.answers),
    f1: f1Score(answer, item.answers),
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
  const todo = options.items.filter((i) => !options.skip?.has(i.id));
  const records: EvalRecord[] = [];
  const shared = options.sharedCorpus ? createCorpus(options.sharedCorpus) : undefined;
  const makeSandbox = options.createSandbox ?? ((tools: Tool[]) => createPyodideSandbox({ tools }));
  let next = 0;

  function toolsFor(item: EvalItem): Tool[] {
    if (options.tools === 'wikipedia') return defaultTools({ web: options.web ?? {} });
    const corpus = item.context ? createCorpus(documentsFromContext(item.context)) : shared;
    if (!corpus) throw new Error(`no corpus for ${item.id}: it has no context paragraphs and no shared corpus was given`);
    return defaultTools({ corpus });
  }

  // A fresh interpreter per question, as L0 gives each task a fresh kernel: nothing (variables,
  // the cell counter in tracebacks) carries over, so a record does not depend on scheduling.
  async function runItem(item: EvalItem): Promise<void> {
    const tools = toolsFor(item);
    const sandbox = await makeSandbox(tools);
    try {
      options.onStart?.(item);
      const t0 = Date.now();
      // runAgent's trajectory always resolves; failures are in trajectory.status/error.
      const trajectory: Trajectory = await runAgent({
        task: item.question,
        llm: options.llmFor(item),
        sandbox,
        tools,
        sessionId: `eval-${item.id}`,
        maxSteps: options.maxSteps,
        maxTokensPerStep: options.maxTokensPerStep,
        memoryTokens: options.memoryTokens,
        temperature: options.temperature,
        topP: options.topP,
        promptExtra: options.promptExtra,
        signal: options.signal,
      }).trajectory;
      // An item cut short by our own interrupt is not a result: a resumed run redoes it.
      if (options.signal?.aborted && trajectory.status === 'aborted') return;
      const record = scoreTrajectory(item, trajectory, Date.now() - t0);
      records.push(record);
      await options.onRecord?.(record);
    } finally {
      await sandbox.dispose();
    }
  }

  async function worker(): Promise<void> {
    while (next < todo.length && !options.signal?.aborted) await runItem(todo[next++]!);
  }

  const n = Math.max(1, Math.min(options.concurrency ?? 1, todo.length));
  await Promise.all(Array.from({ length: n }, worker));
  const order = new Map(todo.map((item, i) => [item.id, i]));
  return records.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}
