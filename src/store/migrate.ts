// Schema versions and the migrations between them. The version lives under ['schema']; a database
// without it was written by schema v0 (or is new). Each migration is idempotent and moves one old
// record per transaction, so two tabs opening the same old database at once cannot lose or double
// anything, and a record that cannot be converted is reported and left where it is.
import { EMPTY_NOTEPAD, type CellResult, type NotepadState, type RunStatus, type TrajectoryStep } from '../protocols';
import { SCHEMA_KEY, metaKey, notepadKey, runKey, settingKey, stepKey, type StoreKey } from './keys';
import type { KV, WritePlan } from './kv';
import { checkMeta, checkNotepad, checkRun, checkStep, storeIssue, type RunHeader, type StoreIssue } from './records';

// Within v1, run headers gained `turns` (follow-up questions) without a version bump: nothing
// needs converting, since `turnsOf` reads a header without them as one question.
export const SCHEMA_VERSION = 1;

// ---- schema v0: what a hypothetical earlier build wrote -------------------------------------
// One blob per session under 'session:<id>', all settings in one object under 'settings'.
export interface V0Session {
  id: string;
  task: string;
  title?: string;
  model?: string;
  status: 'running' | 'done' | 'failed' | 'stopped';
  createdAt: number;
  updatedAt?: number;
  /** Todos were plain strings, '[x] ' or '[ ] ' in front. */
  notepad?: { todos: string[]; facts: string[]; draft: string };
  steps: Array<{ think: string; code: string; output: string; error?: string; at?: number }>;
  answer?: string;
}
export const V0_SESSION_PREFIX = 'session:';
export const V0_SETTINGS_KEY = 'settings';

const V0_STATUS: Record<V0Session['status'], RunStatus> = {
  running: 'running',
  done: 'answered',
  failed: 'error',
  stopped: 'aborted',
};

function v0Notepad(n: V0Session['notepad']): NotepadState {
  if (!n) return structuredClone(EMPTY_NOTEPAD);
  return {
    todos: n.todos.map((t) => ({ done: /^\[x\]\s?/i.test(t), text: t.replace(/^\[[ x]\]\s?/i, '') })),
    facts: [...n.facts],
    draft: n.draft,
  };
}

function v0Cell(s: V0Session['steps'][number]): CellResult {
  const cell: CellResult = { status: s.error ? 'error' : 'ok', stdout: s.output, stderr: '', durationMs: 0, truncated: false, restarted: false };
  if (s.error) {
    // v0 kept the last traceback line only, e.g. "ZeroDivisionError: division by zero".
    const m = /^([A-Za-z_][\w.]*)(?::\s*(.*))?$/s.exec(s.error.split('\n').pop() ?? '');
    cell.error = { ename: m?.[1] ?? 'Error', evalue: m?.[2] ?? s.error, traceback: s.error.split('\n') };
  }
  return cell;
}

/** Converts one v0 blob to the v1 records; throws with a reason when the blob is unusable. */
export function convertV0Session(blob: unknown): Array<[StoreKey, unknown]> {
  const b = blob as V0Session;
  if (typeof b !== 'object' || b === null || typeof b.id !== 'string' || typeof b.task !== 'string' || !Array.isArray(b.steps)) {
    throw new Error('not a v0 session blob (id, task, steps)');
  }
  if (!(b.status in V0_STATUS)) throw new Error(`unknown v0 status ${JSON.stringify(b.status)}`);
  const notepad = v0Notepad(b.notepad);
  const status = V0_STATUS[b.status];
  const updatedAt = b.updatedAt ?? b.createdAt;
  const steps: TrajectoryStep[] = b.steps.map((s, i) => ({
    index: i + 1,
    raw: `<think>${s.think}</think>\n<code>${s.code}</code>`,
    think: s.think,
    code: s.code,
    formatErrors: [],
    finishReason: 'stop',
    cell: v0Cell(s),
    observation: `<output>${s.output}</output>`,
    // v0 kept only the latest notepad, so every migrated step carries that one.
    notepad,
    collapsedBefore: false,
    timings: { startedAt: s.at ?? b.createdAt, generateMs: 0, cellMs: 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
  }));
  const run: RunHeader = {
    version: 1,
    sessionId: b.id,
    task: b.task,
    systemPrompt: '',
    modelId: b.model ?? 'unknown',
    settings: { maxSteps: Math.max(steps.length, 1), memoryTokens: 0, maxTokensPerStep: 0, tools: [] },
    finalAnswer: b.answer,
    status,
    formatErrorCount: 0,
    startedAt: b.createdAt,
    endedAt: status === 'running' ? undefined : updatedAt,
  };
  const meta = {
    id: b.id,
    title: b.title ?? b.task.slice(0, 80),
    task: b.task,
    status,
    modelId: run.modelId,
    stepCount: steps.length,
    createdAt: b.createdAt,
    updatedAt,
    ...(b.answer !== undefined ? { finalAnswer: b.answer } : {}),
  };
  const problem = checkMeta(meta) ?? checkRun(run) ?? checkNotepad(notepad) ?? steps.map(checkStep).find(Boolean);
  if (problem) throw new Error(problem);
  return [
    [metaKey(b.id), meta],
    [notepadKey(b.id), { rev: 1, state: notepad }],
    [runKey(b.id), { rev: 1, run }],
    ...steps.map((s): [StoreKey, unknown] => [stepKey(b.id, s.index), s]),
  ];
}

async function migrateV0toV1(kv: KV, report: (i: StoreIssue) => void): Promise<void> {
  const keys = await kv.keys();
  for (const key of keys) {
    if (typeof key !== 'string') continue;
    if (key.startsWith(V0_SESSION_PREFIX)) {
      await kv.transact([key], ([blob]): WritePlan => {
        if (blob === undefined) return {}; // another tab migrated it first
        try {
          return { put: convertV0Session(blob), del: [key] };
        } catch (e) {
          report(storeIssue(key, `cannot migrate from schema v0 (${(e as Error).message})`, key.slice(V0_SESSION_PREFIX.length)));
          return {}; // leave the old record untouched
        }
      });
    } else if (key === V0_SETTINGS_KEY) {
      await kv.transact([key], ([blob]): WritePlan => {
        if (blob === undefined) return {};
        if (typeof blob !== 'object' || blob === null || Array.isArray(blob)) {
          report(storeIssue(key, 'cannot migrate v0 settings (not an object)'));
          return {};
        }
        return { put: Object.entries(blob).map(([name, value]): [StoreKey, unknown] => [settingKey(name), { value }]), del: [key] };
      });
    }
  }
}

/** Migrations by the version they start from. */
const MIGRATIONS: Record<number, (kv: KV, report: (i: StoreIssue) => void) => Promise<void>> = {
  0: migrateV0toV1,
};

export interface MigrationResult {
  from: number;
  to: number;
}

/** Brings the database to SCHEMA_VERSION. Never deletes a record it could not convert. */
export async function migrate(kv: KV, report: (i: StoreIssue) => void): Promise<MigrationResult> {
  const stored = await kv.get(SCHEMA_KEY);
  let version: number;
  if (typeof stored === 'number' && Number.isInteger(stored) && stored >= 0) version = stored;
  else if (stored === undefined) version = 0; // new database, or one written by schema v0
  else {
    report(storeIssue(SCHEMA_KEY, 'the schema version is unreadable; assuming v0'));
    version = 0;
  }
  const from = version;
  if (version > SCHEMA_VERSION) {
    report(storeIssue(SCHEMA_KEY, `written by a newer version of the app (schema v${version}, this build knows v${SCHEMA_VERSION}); records it cannot read are skipped`));
    return { from, to: version };
  }
  while (version < SCHEMA_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new Error(`no migration from schema v${version}`);
    await step(kv, report);
    const next = version + 1;
    await kv.transact([SCHEMA_KEY], ([cur]) => ({ put: typeof cur === 'number' && cur >= next ? [] : [[SCHEMA_KEY, next]] }));
    version = next;
  }
  return { from, to: version };
}
