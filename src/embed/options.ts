// Options of an embedded agent, and how the <l0-agent> element's attributes map onto them.
import type { AgentEvent, ErrorData, LLM, Tool, Trajectory, TrajectoryStep } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';
import type { CorpusOption } from './corpus';

export type EmbedTheme = 'light' | 'dark' | 'auto';

export interface MountOptions {
  /**
   * The engine (`{kind:'webllm', model}`, `{kind:'openai', baseUrl, model, apiKey?}`,
   * `{kind:'replay', scriptUrl}` or `{kind:'replay', turns}`), or a ready LLM object (e.g. a
   * ScriptedLLM or your own adapter).
   */
  engine?: EngineChoice | LLM;
  /** A URL of a JSON list of documents, the documents, or the host's own search function. */
  corpus?: CorpusOption;
  /** Host-defined tools, exposed to Python as functions. */
  tools?: Tool[];
  /**
   * Ask the reader before a tool fetches from a host that is not in `allowedHosts` nor one of the
   * services the tools and the engine were set up with (default true). Applies to tools that declare
   * `destinations` (the shipped web tools do).
   */
  askBeforeFetch?: boolean;
  /** Hosts fetched without asking: `docs.example.org`, `example.org:8080`, `*.example.org`. */
  allowedHosts?: string[];
  /** Put this task in the task box. */
  task?: string;
  /** Run `task` at once. */
  autorun?: boolean;
  /** Step limit of a run (default 8). */
  maxSteps?: number;
  theme?: EmbedTheme;
  /** Names the IndexedDB database `l0-browser:<namespace>` (default 'default'). */
  namespace?: string;
  /** How many runs stay saved in the host site's IndexedDB, newest first (default 20; 0 keeps none). */
  keepSessions?: number;
  /** Where `pyodide/` and the workers are served. Default: next to the library's own files. */
  assetsBaseUrl?: string | URL;
  /** Heading of the widget. */
  title?: string;
  /** Appended to the system prompt (e.g. "Answer from the documentation of Foo; cite the page url."). */
  promptExtra?: string;
  onStep?(step: TrajectoryStep): void;
  onAnswer?(answer: string): void;
  onError?(error: ErrorData): void;
  onDone?(trajectory: Trajectory): void;
  /** Every agent event, for hosts that want to draw their own progress. */
  onEvent?(event: AgentEvent): void;
}

export const DEFAULT_MAX_STEPS = 8;
export const DEFAULT_KEEP_SESSIONS = 20;
export const DEFAULT_NAMESPACE = 'default';

/** The IndexedDB database of one embedding. */
export function databaseName(namespace: string | undefined): string {
  return `l0-browser:${namespace?.trim() || DEFAULT_NAMESPACE}`;
}

/** The attributes <l0-agent> reads. */
export const ELEMENT_ATTRIBUTES = [
  'engine',
  'model',
  'base-url',
  'script-url',
  'corpus-url',
  'max-steps',
  'theme',
  'namespace',
  'keep-sessions',
  'task',
  'autorun',
  'assets-base-url',
  'heading',
  'ask-before-fetch',
  'allowed-hosts',
] as const;

type Attr = (typeof ELEMENT_ATTRIBUTES)[number];

/** Reads the element's attributes into options (callbacks and JS-only options come from properties). */
export function optionsFromAttributes(get: (name: Attr) => string | null): MountOptions {
  const opts: MountOptions = {};
  const engine = (get('engine') ?? '').trim().toLowerCase();
  const model = get('model') ?? '';
  if (engine === 'openai') opts.engine = { kind: 'openai', baseUrl: get('base-url') ?? '', model };
  else if (engine === 'replay') opts.engine = { kind: 'replay', scriptUrl: get('script-url') ?? '' };
  else if (engine === 'webllm' || (engine === '' && model)) opts.engine = { kind: 'webllm', model };
  else if (engine !== '') throw new Error(`<l0-agent>: unknown engine "${engine}" (use webllm, openai or replay)`);
  const corpusUrl = get('corpus-url');
  if (corpusUrl) opts.corpus = corpusUrl;
  const maxSteps = Number.parseInt(get('max-steps') ?? '', 10);
  if (Number.isFinite(maxSteps) && maxSteps > 0) opts.maxSteps = maxSteps;
  const keep = Number.parseInt(get('keep-sessions') ?? '', 10);
  if (Number.isFinite(keep) && keep >= 0) opts.keepSessions = keep;
  const theme = get('theme');
  if (theme === 'light' || theme === 'dark' || theme === 'auto') opts.theme = theme;
  for (const [attr, key] of [['namespace', 'namespace'], ['task', 'task'], ['assets-base-url', 'assetsBaseUrl'], ['heading', 'title']] as const) {
    const v = get(attr);
    if (v) opts[key] = v;
  }
  const autorun = get('autorun');
  if (autorun !== null && autorun !== 'false') opts.autorun = true;
  const ask = get('ask-before-fetch');
  if (ask !== null) opts.askBeforeFetch = ask.trim().toLowerCase() !== 'false';
  const hosts = get('allowed-hosts');
  if (hosts !== null) opts.allowedHosts = hosts.split(/[\s,]+/).filter(Boolean);
  return opts;
}
