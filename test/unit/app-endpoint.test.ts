// The app controller and endpoints (issue 22, items 4 and 5), in Node: an endpoint is tested before
// it is taken (its models offered), a failed try leaves no session, a 401 without a key says keys
// are not kept across reloads, and "remember the key on this device" is saved only when asked.
import { describe, expect, it } from 'vitest';
import { ENGINE_KEY, engineFromSaved, engineToSave, keyRemembered } from '../../src/app/settings';
import type { EngineChoice } from '../../src/llm/engine-spec';
import { L0Error, type LLM } from '../../src/protocols';
import { MemoryStore } from '../../src/store/index';
import { harness } from './app-support';

const endpoint = (model = 'l0', apiKey?: string): EngineChoice => ({ kind: 'openai', baseUrl: 'http://model.test/v1', model, ...(apiKey && { apiKey }) });
const listing = (models: string[] | Error) => async () => {
  if (models instanceof Error) throw models;
  return models;
};

describe('choosing an endpoint', () => {
  it('is tested first: a failure is shown in the panel, nothing is taken or loaded', async () => {
    const h = harness({ engine: { kind: 'replay', scriptUrl: 'demo/primes.json' }, services: { listEndpointModels: listing(new L0Error({ kind: 'cors', message: 'no CORS' })) } });
    expect(await h.app.chooseEngine(endpoint())).toBe(false);
    expect(h.app.state.engine).toEqual({ kind: 'replay', scriptUrl: 'demo/primes.json' });
    expect(h.app.state.engineStatus).toEqual({ error: 'cors: no CORS' });
    expect(h.app.state.error).toBeUndefined(); // not the page's banner too
    expect(h.engineLoads).toHaveLength(0);
  });

  it('a listed model is taken; with no name and one model, that one; otherwise the models are offered', async () => {
    const h = harness({ services: { listEndpointModels: listing(['l0', 'qwen']) } });
    expect(await h.app.chooseEngine(endpoint('qwen'))).toBe(true);
    expect(h.app.state.engine).toMatchObject({ model: 'qwen' });
    expect(await h.app.chooseEngine(endpoint(''))).toBe(false);
    expect(h.app.state.engineStatus.endpointModels).toEqual({ baseUrl: 'http://model.test/v1', models: ['l0', 'qwen'] });
    expect(await h.app.chooseEngine(endpoint('typo'))).toBe(false);
    expect(h.app.state.engineStatus.endpointModels?.requested).toBe('typo');
    expect(h.app.state.engine).toMatchObject({ model: 'qwen' });
    expect(await h.app.chooseEngine(endpoint('typo'), { untested: true })).toBe(true);
    expect(h.app.state.engine).toMatchObject({ model: 'typo' });
    const one = harness({ services: { listEndpointModels: listing(['only']) } });
    expect(await one.app.chooseEngine(endpoint(''))).toBe(true);
    expect(one.app.state.engine).toMatchObject({ model: 'only' });
  });

  it('a server without a model list (404) is taken as named', async () => {
    const h = harness({ services: { listEndpointModels: listing(new L0Error({ kind: 'http', message: '404', detail: { status: 404 } })) } });
    expect(await h.app.chooseEngine(endpoint('l0'))).toBe(true);
    expect(await h.app.chooseEngine(endpoint(''))).toBe(false);
    expect(h.app.state.engineStatus.error).toMatch(/enter the model name/);
  });
});

describe('runs that fail before their first step', () => {
  it('leave no session behind, and show the error once', async () => {
    const down: LLM = { id: 'down', generate: () => Promise.reject(new L0Error({ kind: 'network', message: 'Could not reach it' })) };
    const h = harness({ llm: () => down, options: { listSessions: true } });
    for (const task of ['One.', 'Two.']) {
      const outcome = await h.app.run(task);
      expect(outcome.trajectory?.status).toBe('error');
      expect(h.app.state.error?.message).toBe('Could not reach it');
      expect(h.app.state.status).toBe('Run failed.');
    }
    expect(await h.store.listSessions()).toEqual([]);
    expect(h.app.state.sessions).toEqual([]);
    expect(h.app.state.sessionId).toBeUndefined();
  });

  it('a 401 without a key says keys are not kept across reloads; with a key it does not', async () => {
    const unauthorized: LLM = { id: 'x', generate: () => Promise.reject(new L0Error({ kind: 'http', message: 'The server answered 401. Check the API key.', detail: { status: 401 } })) };
    const h = harness({ llm: () => unauthorized, engine: endpoint() });
    await h.app.run('Anything.');
    expect(h.app.state.error?.message).toMatch(/No API key was sent: API keys are not kept across reloads/);
    const k = harness({ llm: () => unauthorized, engine: endpoint('l0', 'sk-wrong') });
    await k.app.run('Anything.');
    expect(k.app.state.error?.message).toBe('The server answered 401. Check the API key.');
  });
});

describe('remembering the API key', () => {
  it('is saved with the engine only when asked, and read back only then', async () => {
    const store = new MemoryStore();
    const h = harness({ store, options: { persistSettings: true }, services: { listEndpointModels: listing(['l0']) } });
    await h.app.ready;
    await h.app.chooseEngine(endpoint('l0', 'sk-1'));
    await expect.poll(() => store.getSetting(ENGINE_KEY)).toEqual({ kind: 'openai', baseUrl: 'http://model.test/v1', model: 'l0' });
    expect(h.app.state.keyRemembered).toBe(false);
    await h.app.chooseEngine(endpoint('l0', 'sk-1'), { rememberKey: true });
    await expect.poll(() => store.getSetting(ENGINE_KEY)).toMatchObject({ apiKey: 'sk-1', rememberKey: true });
    expect(h.app.state.keyRemembered).toBe(true);
    // A new page over the same store gets the key back, and says it is remembered.
    const again = harness({ store, options: { persistSettings: true } });
    await again.app.ready;
    expect(again.app.state.engine).toMatchObject({ apiKey: 'sk-1' });
    expect(again.app.state.keyRemembered).toBe(true);
    // Unticked: the stored key goes.
    await again.app.chooseEngine(endpoint('l0', 'sk-1'), { rememberKey: false, untested: true });
    await expect.poll(() => store.getSetting(ENGINE_KEY)).toEqual({ kind: 'openai', baseUrl: 'http://model.test/v1', model: 'l0' });
  });

  it('a record without the flag never yields a key (earlier versions, or a key written by hand)', () => {
    const saved = { kind: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-old' };
    expect(engineFromSaved(saved)).toEqual({ kind: 'openai', baseUrl: 'http://x/v1', model: 'm' });
    expect(keyRemembered(saved)).toBe(false);
    expect(engineToSave({ kind: 'openai', baseUrl: 'http://x/v1', model: 'm', apiKey: 'k' })).toEqual({ kind: 'openai', baseUrl: 'http://x/v1', model: 'm' });
  });
});
