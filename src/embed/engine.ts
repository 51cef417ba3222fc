// The embed's engine option to an LLM, through the llm part's createEngine. The engine code is
// imported on the first run only, and WebLLM's own code only when a WebLLM engine is chosen.
import { L0Error, type LLM, type LoadProgress } from '../protocols';
import type { EmbedEngine } from './options';

/** Token delay of replays: readers see the turns stream like a model's. */
const REPLAY_TOKEN_DELAY_MS = 6;

export function isLLM(engine: unknown): engine is LLM {
  return typeof engine === 'object' && engine !== null && typeof (engine as LLM).generate === 'function';
}

const absolute = (url: string | URL) => new URL(String(url), document.baseURI).href;

export async function createEmbedEngine(engine: EmbedEngine | undefined, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<LLM> {
  if (!engine) throw new L0Error({ kind: 'internal', message: 'No engine chosen: set engine="webllm" with a model, engine="openai" with base-url and model, or engine="replay" with script-url.' });
  const { createEngine } = await import('../llm/engine-spec');
  switch (engine.kind) {
    case 'openai':
      if (!engine.baseUrl || !engine.model) throw new L0Error({ kind: 'internal', message: 'The openai engine needs base-url and model.' });
      return createEngine({ engine: 'openai', baseUrl: absolute(engine.baseUrl), model: engine.model, apiKey: engine.apiKey }, { onProgress, signal });
    case 'replay': {
      if (engine.turns) {
        const { ScriptedLLM } = await import('../llm/scripted');
        return new ScriptedLLM(engine.turns, { id: 'replay', tokenDelayMs: REPLAY_TOKEN_DELAY_MS });
      }
      if (!engine.scriptUrl) throw new L0Error({ kind: 'internal', message: 'The replay engine needs script-url (a JSON list of assistant turns).' });
      return createEngine({ engine: 'replay', script: absolute(engine.scriptUrl), tokenDelayMs: REPLAY_TOKEN_DELAY_MS }, { onProgress, signal });
    }
    case 'webllm':
      if (!engine.model) throw new L0Error({ kind: 'internal', message: 'The webllm engine needs a model id (attribute model), e.g. L0-4B-q4f16_1-MLC.' });
      return createEngine({ engine: 'webllm', model: engine.model }, { onProgress, signal });
  }
}
