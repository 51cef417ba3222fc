// What a person can set (saved in the store by the page), and reading saved engine choices of
// earlier versions.
import type { EngineChoice } from '../llm/engine-spec';
import { DEMO_ENGINE } from './labels';

export interface AppSettings {
  maxSteps: number;
  /** Prompt budget in tokens; 0 fits the model's own context window (the agent's default). */
  memoryTokens: number;
  temperature?: number;
  /** Names of the enabled tools; undefined enables every tool there is. */
  tools?: string[];
  /** Ask before a tool fetches from a host that is not on `allowedHosts` nor one of the deployment's services. */
  askBeforeFetch?: boolean;
  /** Hosts fetched without asking: `example.org`, `example.org:8080`, `*.example.org`. */
  allowedHosts?: string[];
  /** The page's reader for sites other than Wikipedia (a Jina Reader URL, e.g. https://r.jina.ai); none when empty. */
  jinaReaderUrl?: string;
}

export const DEFAULT_SETTINGS: AppSettings = { maxSteps: 12, memoryTokens: 0, temperature: 0.6 };

export const SETTINGS_KEY = 'ui.settings';
export const ENGINE_KEY = 'ui.engine';

/** Settings read back from the store: unknown or malformed fields fall back to the defaults. */
export function settingsFromSaved(saved: unknown, defaults: AppSettings = DEFAULT_SETTINGS): AppSettings {
  if (!saved || typeof saved !== 'object') return { ...defaults };
  const v = saved as Record<string, unknown>;
  const num = (k: keyof AppSettings, ok: (n: number) => boolean) => (typeof v[k] === 'number' && ok(v[k] as number) ? (v[k] as number) : defaults[k]);
  const tools = Array.isArray(v.tools) && v.tools.every((t) => typeof t === 'string') && v.tools.length ? (v.tools as string[]) : defaults.tools;
  const hosts = Array.isArray(v.allowedHosts) && v.allowedHosts.every((t) => typeof t === 'string') ? (v.allowedHosts as string[]) : defaults.allowedHosts;
  const ask = typeof v.askBeforeFetch === 'boolean' ? v.askBeforeFetch : defaults.askBeforeFetch;
  const reader = typeof v.jinaReaderUrl === 'string' && v.jinaReaderUrl ? v.jinaReaderUrl : defaults.jinaReaderUrl;
  return {
    maxSteps: num('maxSteps', (n) => Number.isInteger(n) && n > 0) as number,
    memoryTokens: num('memoryTokens', (n) => n >= 0) as number,
    temperature: num('temperature', (n) => n >= 0) as number | undefined,
    ...(tools && { tools }),
    ...(ask !== undefined && { askBeforeFetch: ask }),
    ...(hosts && { allowedHosts: hosts }),
    ...(reader && { jinaReaderUrl: reader }),
  };
}

/**
 * An engine choice saved by this version or an earlier one (`{kind:'demo'}`, `{kind:'webllm',
 * modelId}`); undefined when the record is not one. An API key is read only from a record saved
 * with `rememberKey` (the user asked to keep it on this device).
 */
export function engineFromSaved(saved: unknown): EngineChoice | undefined {
  if (!saved || typeof saved !== 'object') return undefined;
  const v = saved as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
  const ctx = typeof v.contextWindow === 'number' ? { contextWindow: v.contextWindow } : {};
  switch (v.kind) {
    case 'demo':
      return DEMO_ENGINE;
    case 'webllm': {
      const model = str('model') ?? str('modelId');
      const weightsBase = str('weightsBase');
      return model ? { kind: 'webllm', model, ...ctx, ...(weightsBase && { weightsBase }) } : undefined;
    }
    case 'openai': {
      const baseUrl = str('baseUrl');
      const model = str('model');
      const apiKey = keyRemembered(saved) ? str('apiKey') : undefined;
      return baseUrl && model ? { kind: 'openai', baseUrl, model, ...ctx, ...(apiKey && { apiKey }) } : undefined;
    }
    case 'replay': {
      const scriptUrl = str('scriptUrl');
      return scriptUrl ? { kind: 'replay', scriptUrl } : undefined;
    }
    default:
      return undefined;
  }
}

/** True for a saved engine record that keeps its API key (saved with `rememberKey`). */
export function keyRemembered(saved: unknown): boolean {
  const v = saved as { kind?: unknown; rememberKey?: unknown; apiKey?: unknown } | undefined;
  return v?.kind === 'openai' && v.rememberKey === true && typeof v.apiKey === 'string' && v.apiKey !== '';
}

/**
 * What is saved of an engine choice: an API key only when the user asked to remember it on this
 * device (then unencrypted, in the app's IndexedDB settings, marked `rememberKey`).
 */
export function engineToSave(choice: EngineChoice, rememberKey = false): EngineChoice & { rememberKey?: true } {
  if (choice.kind !== 'openai') return choice;
  const { apiKey, ...rest } = choice;
  return rememberKey && apiKey ? { ...rest, apiKey, rememberKey: true } : rest;
}
