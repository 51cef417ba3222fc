// The app controller (src/app/) in Node, with the real agent loop, ScriptedLLM, MemoryStore and
// FakeSandbox (the sandbox is not the point here; app-python.test.ts runs the real Pyodide).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_ENGINE, REPLAY_TOKEN_DELAY_MS } from '../../src/app/index';
import type { EngineChoice } from '../../src/llm/engine-spec';
import { ScriptedLLM } from '../../src/llm/scripted';
import { L0Error, type LLM } from '../../src/protocols';
import { FakeSandbox } from '../../src/sandbox/fake';
import { MemoryStore, ResilientStore, memoryKV } from '../../src/store/index';
import { ANSWER, deferred, fakeSandbox, harness, turn } from './app-support';

/** Every promise rejection nobody handled while these tests ran (there must be none). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('a run', () => {
  it('streams the agent events into view state and the notebook, saves the session, and says how it ended', async () => {
    const h = harness({ llm: () => new ScriptedLLM([turn('notepad.add_facts(["x is 41"])\nprint(41)'), ANSWER]) });
    const phases: string[] = [];
    h.app.subscribe((s) => phases.at(-1) !== s.phase && phases.push(s.phase));
    const outcome = await h.app.run('  What is 6 times 7?  ');
    expect(outcome.error).toBeUndefined();
    expect(outcome.trajectory?.status).toBe('answered');
    expect(phases).toEqual(['running', 'idle']);
    const s = h.app.state;
    expect(s).toMatchObject({ phase: 'idle', task: 'What is 6 times 7?', answer: '42', step: 2, status: 'Answered in 2 steps.', error: undefined });
    expect(h.changes[0]).toEqual({ type: 'clear' });
    expect(h.changes.filter((c) => c.type === 'event').map((c) => (c.type === 'event' ? c.event.type : '')).filter((t) => t === 'step-end')).toHaveLength(2);
    expect(h.changes.at(-1)).toEqual({ type: 'ended' });
    const saved = await h.store.loadSession(s.sessionId!);
    expect(saved?.finalAnswer).toBe('42');
    expect(saved?.steps).toHaveLength(2);
  });

  it('works where crypto.randomUUID is missing (a plain-http LAN origin), and nothing rejects unhandled', async () => {
    const original = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: original.getRandomValues.bind(original) });
    expect((globalThis.crypto as { randomUUID?: unknown }).randomUUID).toBeUndefined();
    const h = harness();
    const outcome = await h.app.run('Anything.');
    expect(outcome.trajectory?.status).toBe('answered');
    expect(h.app.state.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(await h.store.loadSession(h.app.state.sessionId!)).toBeDefined();
  });

  it('an empty task is refused with a word in the status line, not an exception', async () => {
    const h = harness();
    expect((await h.app.run('   ')).error?.message).toMatch(/empty/);
    expect(h.app.state.status).toBe('Write a task first.');
    expect(h.engineLoads).toHaveLength(0);
  });

  it('a failed generation shows its error once: in `error`, not in the status line, and its empty cell goes', async () => {
    const failing: LLM = { id: 'broken', generate: () => Promise.reject(new L0Error({ kind: 'http', message: 'model "nope" does not exist' })) };
    const h = harness({ llm: () => failing });
    const outcome = await h.app.run('Anything.');
    expect(outcome.trajectory?.status).toBe('error');
    expect(h.app.state.error).toMatchObject({ kind: 'http', message: 'model "nope" does not exist' });
    expect(h.app.state.status).toBe('Run failed.');
    expect(h.changes).toContainEqual({ type: 'discard', step: 1 });
  });

  it('Stop during generation ends the run as stopped; a stop with nothing running is a no-op', async () => {
    const h = harness({ llm: () => new ScriptedLLM([turn('print(1)', 'think '.repeat(400))], { tokenDelayMs: 5 }) });
    await h.app.stop();
    const running = h.app.run('Think for long.');
    await vi.waitFor(() => expect(h.changes.some((c) => c.type === 'event' && c.event.type === 'think')).toBe(true));
    const stopped = h.app.stop();
    expect(h.app.state.phase).toBe('stopping');
    await stopped;
    const outcome = await running;
    expect(outcome.trajectory?.status).toBe('aborted');
    expect(h.app.state).toMatchObject({ phase: 'idle', status: 'Stopped.', error: undefined });
    // The cell showed its thinking: it stays.
    expect(h.changes.some((c) => c.type === 'discard')).toBe(false);
  });

  it('a second run while one is in progress is refused (views stop first)', async () => {
    const h = harness({ llm: () => new ScriptedLLM([turn('print(1)', 'think '.repeat(400)), ANSWER], { tokenDelayMs: 5 }) });
    const first = h.app.run('First.');
    expect((await h.app.run('Second.')).error?.message).toMatch(/in progress/);
    await h.app.stop();
    await first;
  });
});

describe('engines', () => {
  it('Run during a cached-model preload loads the model once', async () => {
    const load = deferred<LLM>();
    const h = harness({
      engine: { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' },
      llm: () => load.promise,
      services: { isCached: async () => true },
    });
    await h.app.ready;
    await vi.waitFor(() => expect(h.engineLoads).toHaveLength(1)); // the preload started
    const run = h.app.run('Anything.');
    await vi.waitFor(() => expect(h.app.state.status).toBe('Loading model…'));
    load.resolve(new ScriptedLLM([ANSWER]));
    expect((await run).trajectory?.status).toBe('answered');
    expect(h.engineLoads).toHaveLength(1);
  });

  it('a model whose weights moved loads again from there on the next choice; the old copy is disposed then', async () => {
    const disposed: number[] = [];
    let made = 0;
    const h = harness({
      llm: () => {
        const n = ++made;
        return Object.assign(new ScriptedLLM(() => ANSWER), { dispose: async () => void disposed.push(n) });
      },
    });
    await h.app.ready;
    const choice: EngineChoice = { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' };
    expect(await h.app.chooseEngine(choice)).toBe(true);
    expect(await h.app.chooseEngine(choice)).toBe(true);
    h.app.weightsMoved('L0-7B-q4f32_1-MLC'); // another model's folder: this one is kept
    expect(await h.app.chooseEngine(choice)).toBe(true);
    expect(h.engineLoads).toHaveLength(1);
    h.app.weightsMoved('L0-4B-q4f32_1-MLC');
    expect(disposed).toEqual([]); // kept until the next load replaces it
    expect(await h.app.chooseEngine(choice)).toBe(true);
    expect(h.engineLoads).toHaveLength(2);
    await vi.waitFor(() => expect(disposed).toEqual([1]));
    // The run uses the new copy, without a third load.
    expect((await h.app.run('Anything.')).trajectory?.status).toBe('answered');
    expect(h.engineLoads).toHaveLength(2);
  });

  it('a model that is not cached is not loaded before Run', async () => {
    const asked = deferred<void>();
    const h = harness({
      engine: { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' },
      services: { isCached: async () => (asked.resolve(), false) },
    });
    await h.app.ready;
    await asked.promise;
    await new Promise((r) => setImmediate(r)); // the preload has decided by now
    expect(h.engineLoads).toHaveLength(0);
  });

  it('an engine that fails to load falls back to the last working engine and says why', async () => {
    const store = new MemoryStore();
    const working: EngineChoice = { kind: 'openai', baseUrl: 'http://ok.test/v1', model: 'good' };
    const broken: EngineChoice = { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' };
    const h = harness({
      store,
      llm: (c) => (c.kind === 'webllm' ? Promise.reject(new L0Error({ kind: 'http', message: 'The weights at https://w.test/ answered 404.' })) : new ScriptedLLM([ANSWER])),
      options: { persistSettings: true, fallbackEngine: DEMO_ENGINE },
    });
    await h.app.ready;
    expect(await h.app.chooseEngine(working)).toBe(true);
    expect(await h.app.chooseEngine(broken)).toBe(false);
    expect(h.app.state.engine).toEqual(working);
    expect(h.app.state.engineStatus.error).toBe('http: The weights at https://w.test/ answered 404. Back to good.');
    await vi.waitFor(async () => expect(await store.getSetting('ui.engine')).toEqual(working));
    // The run uses the engine that came back.
    expect((await h.app.run('Anything.')).trajectory?.status).toBe('answered');
  });

  it('with no engine that ever worked, a saved engine that fails falls back to the default, also for a Run', async () => {
    const store = new MemoryStore();
    await store.setSetting('ui.engine', { kind: 'webllm', modelId: 'L0-4B-q4f32_1-MLC' }); // an earlier version's record
    const h = harness({
      store,
      llm: (c) => (c.kind === 'webllm' ? Promise.reject(new L0Error({ kind: 'unsupported', message: 'No WebGPU here.' })) : new ScriptedLLM([ANSWER])),
      options: { persistSettings: true, fallbackEngine: DEMO_ENGINE },
    });
    await h.app.ready;
    expect(h.app.state.engine).toEqual({ kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' });
    const outcome = await h.app.run('Anything.');
    expect(outcome.error).toMatchObject({ kind: 'unsupported' });
    expect(h.app.state.error).toMatchObject({ kind: 'unsupported', message: 'No WebGPU here.' });
    expect(h.app.state.engine).toEqual(DEMO_ENGINE);
    expect(h.app.state.engineStatus.error).toBe('unsupported: No WebGPU here. Back to Replay demo.');
  });

  it('a model picked outside a run says in the status line when it is ready', async () => {
    const h = harness({
      services: {
        createEngine: async (choice, { onProgress }) => {
          onProgress({ phase: 'download', fraction: 0.5, message: 'Downloading weights' });
          onProgress({ phase: 'ready', fraction: 1, message: `${choice.kind === 'webllm' ? choice.model : choice.kind} is ready.` });
          return new ScriptedLLM(() => ANSWER);
        },
      },
    });
    await h.app.ready;
    expect(await h.app.chooseEngine({ kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' })).toBe(true);
    expect(h.app.state.status).toBe('L0-4B-q4f32_1-MLC is ready.');
    expect(h.app.state.engineStatus.progress).toBeUndefined();
  });

  it('choosing another engine disposes the previous one', async () => {
    const disposed: string[] = [];
    const h = harness({ llm: (c) => Object.assign(new ScriptedLLM(() => ANSWER, { id: c.kind === 'openai' ? c.model : c.kind }), { dispose: async () => void disposed.push(c.kind === 'openai' ? c.model : c.kind) }) });
    await h.app.chooseEngine({ kind: 'openai', baseUrl: 'http://a.test/v1', model: 'a' });
    await h.app.chooseEngine({ kind: 'openai', baseUrl: 'http://a.test/v1', model: 'a' }); // the same one: no reload
    await h.app.chooseEngine({ kind: 'openai', baseUrl: 'http://b.test/v1', model: 'b' });
    await vi.waitFor(() => expect(disposed).toEqual(['a']));
    expect(h.engineLoads.map((c) => (c.kind === 'openai' ? c.model : c.kind))).toEqual(['a', 'b']);
    await h.app.dispose();
    expect(disposed).toEqual(['a', 'b']);
  });

  it('Stop while the model loads for a run cancels the load; the choice stays (a cancel is no failure)', async () => {
    let signal: AbortSignal | undefined;
    const h = harness({
      engine: { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' },
      services: {
        createEngine: (_choice, opts) =>
          new Promise<LLM>((_, reject) => {
            signal = opts.signal;
            opts.signal.addEventListener('abort', () => reject(new L0Error({ kind: 'aborted', message: 'Model loading was cancelled.' })));
          }),
      },
      options: { fallbackEngine: DEMO_ENGINE },
    });
    const run = h.app.run('Anything.');
    await vi.waitFor(() => expect(signal).toBeDefined());
    await h.app.stop();
    expect((await run).error?.kind).toBe('aborted');
    expect(signal!.aborted).toBe(true);
    expect(h.app.state).toMatchObject({ status: 'Stopped.', error: undefined, engine: { kind: 'webllm', model: 'L0-4B-q4f32_1-MLC' }, engineStatus: {} });
  });

  it('replays get a fresh engine every run, with the one replay token delay', async () => {
    const h = harness({ engine: { kind: 'replay', turns: [ANSWER] }, llm: (c) => new ScriptedLLM((c as { turns: string[] }).turns) });
    expect((await h.app.run('One.')).trajectory?.status).toBe('answered');
    expect((await h.app.run('Two.')).trajectory?.status).toBe('answered');
    expect(h.engineLoads).toEqual([
      { kind: 'replay', turns: [ANSWER], tokenDelayMs: REPLAY_TOKEN_DELAY_MS },
      { kind: 'replay', turns: [ANSWER], tokenDelayMs: REPLAY_TOKEN_DELAY_MS },
    ]);
  });

  it('the demo answers only the tasks it has recordings of; runDemo runs the first', async () => {
    const h = harness({ engine: DEMO_ENGINE, options: { demos: [{ task: 'The demo task.', script: DEMO_ENGINE.kind === 'replay' ? DEMO_ENGINE.scriptUrl! : '' }] } });
    const refused = await h.app.run('My own task.');
    expect(refused.error).toMatchObject({ detail: { reason: 'choose-engine' } });
    expect(h.app.state.error?.message).toMatch(/can only answer their tasks \(the examples\)/);
    expect(h.engineLoads).toHaveLength(0);
    expect((await h.app.runDemo()).trajectory?.task).toBe('The demo task.');
  });
});

describe('saved settings', () => {
  it('reads engine choices saved by earlier versions, and never saves an API key', async () => {
    const store = new MemoryStore();
    await store.setSetting('ui.engine', { kind: 'demo' });
    await store.setSetting('ui.settings', { maxSteps: 3, memoryTokens: 'lots', temperature: 0.2, tools: [] });
    const h = harness({ store, options: { persistSettings: true } });
    await h.app.ready;
    expect(h.app.state.engine).toEqual(DEMO_ENGINE);
    // Malformed fields fall back to the defaults; an empty tool list means every tool.
    expect(h.app.state.settings).toEqual({ maxSteps: 3, memoryTokens: 0, temperature: 0.2 });
    await h.app.chooseEngine({ kind: 'openai', baseUrl: 'http://h.test/v1', model: 'm', apiKey: 'secret' });
    await vi.waitFor(async () => expect(await store.getSetting('ui.engine')).toEqual({ kind: 'openai', baseUrl: 'http://h.test/v1', model: 'm' }));
    expect(h.app.state.engine).toMatchObject({ apiKey: 'secret' }); // kept in this tab's memory only
  });

  it('says "Settings saved." only once the write is done, and says so when the store refuses it', async () => {
    const store = new MemoryStore();
    const write = deferred<void>();
    const setSetting = store.setSetting.bind(store);
    store.setSetting = async (key, value) => {
      await write.promise;
      return setSetting(key, value);
    };
    const h = harness({ store, options: { persistSettings: true } });
    await h.app.ready;
    const saving = h.app.saveSettings({ ...h.app.state.settings, maxSteps: 7 });
    expect(h.app.state).toMatchObject({ settings: { maxSteps: 7 }, status: 'Saving settings…' });
    write.resolve();
    await saving;
    expect(h.app.state.status).toBe('Settings saved.');
    expect(await store.getSetting('ui.settings')).toMatchObject({ maxSteps: 7 });

    store.setSetting = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    await h.app.saveSettings({ ...h.app.state.settings, maxSteps: 9 });
    expect(h.app.state.settings.maxSteps).toBe(9); // this tab uses them
    expect(h.app.state.status).toBe('Settings apply in this tab but were not saved: The quota has been exceeded.');
    expect(await store.getSetting('ui.settings')).toMatchObject({ maxSteps: 7 });
  });

  it('says the settings were not saved when the store carries on in memory (browser storage full)', async () => {
    const disk = memoryKV();
    let full = false;
    const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const store = new ResilientStore({ primary: { ...disk, transact: (keys, plan) => (full ? Promise.reject(quota()) : disk.transact(keys, plan)) }, locks: null });
    const h = harness({ store, services: { onStoreWarning: (l) => void store.onWarning(l) }, options: { persistSettings: true } });
    await h.app.ready;
    await h.app.saveSettings({ ...h.app.state.settings, maxSteps: 5 });
    expect(h.app.state.status).toBe('Settings saved.');
    full = true;
    await h.app.saveSettings({ ...h.app.state.settings, maxSteps: 6 });
    expect(h.app.state.status).toBe('Settings apply in this tab but were not saved: browser storage is full.');
    expect(h.app.state.warning).toMatchObject({ kind: 'quota', message: expect.stringMatching(/^Browser storage is full\. /) });
    expect(h.app.state.settings.maxSteps).toBe(6);
    // Later saves say so too: the store stays in memory.
    await h.app.saveSettings({ ...h.app.state.settings, maxSteps: 7 });
    expect(h.app.state.status).toBe('Settings apply in this tab but were not saved: browser storage is full.');
  });
});

describe('sessions', () => {
  it('opens, continues and starts sessions; settings are saved', async () => {
    const store = new MemoryStore();
    const h = harness({ store, llm: () => new ScriptedLLM([turn('notepad.add_todo(["finish"])\nprint(1)'), ANSWER]), options: { persistSettings: true, listSessions: true, settings: { maxSteps: 1 } } });
    await h.app.ready;
    const first = await h.app.run('Two steps needed.');
    expect(first.trajectory?.status).toBe('max-steps');
    expect(h.app.state.status).toBe('Stopped at the step limit (1) without an answer.');
    const id = h.app.state.sessionId!;
    expect(h.app.state.sessions.map((s) => s.id)).toEqual([id]);

    h.app.newSession();
    expect(h.app.state).toMatchObject({ sessionId: undefined, task: '', answer: undefined, status: '' });
    await h.app.openSession(id);
    expect(h.app.state).toMatchObject({ sessionId: id, task: 'Two steps needed.', status: 'Session: max-steps · 1 step' });
    expect(h.changes.at(-1)).toMatchObject({ type: 'load' });

    await h.app.saveSettings({ ...h.app.state.settings, maxSteps: 4 });
    expect(await store.getSetting('ui.settings')).toMatchObject({ maxSteps: 4 });
    const continued = await h.app.continueSession(id);
    expect(continued.trajectory).toMatchObject({ sessionId: id, status: 'answered' });
    expect(continued.trajectory?.steps).toHaveLength(2);
  });

  it('keeps only the newest `keepSessions` runs; clearHistory() deletes the rest', async () => {
    const h = harness({ options: { keepSessions: 2 } });
    for (const task of ['first', 'second', 'third']) expect((await h.app.run(task)).trajectory?.status).toBe('answered');
    expect((await h.store.listSessions()).map((s) => s.task).sort()).toEqual(['second', 'third']);
    await h.app.clearHistory();
    expect(await h.store.listSessions()).toEqual([]);
    expect(h.app.state).toMatchObject({ sessionId: undefined, answer: undefined });
  });

  it('a failed import is shown as data', async () => {
    const h = harness();
    expect(await h.app.importSession('{not json')).toBeUndefined();
    expect(h.app.state.error?.message).toMatch(/^Import failed: /);
  });
});

describe('Python', () => {
  it('Python that failed to start can be restarted, and the run works after', async () => {
    let attempts = 0;
    const h = harness({
      sandbox: async () => {
        if (++attempts === 1) throw new L0Error({ kind: 'sandbox', message: 'The Python sandbox failed to start: pyodide.asm.wasm answered 503' });
        return fakeSandbox();
      },
      options: { startPython: true },
    });
    await h.app.ready;
    await vi.waitFor(() => expect(h.app.state.python.state).toBe('failed'));
    expect(h.app.state.python.message).toBe('Python failed to start: pyodide.asm.wasm answered 503');
    await h.app.restartPython();
    expect(h.app.state.python).toMatchObject({ state: 'ready', message: 'Python fake ready' });
    expect((await h.app.run('Anything.')).trajectory?.status).toBe('answered');
    expect(attempts).toBe(2);
  });

  it('Python that died mid-run is marked failed; a restart disposes it and starts a new one', async () => {
    const dead = new FakeSandbox({ fallback: () => Promise.reject(new L0Error({ kind: 'sandbox', message: 'The Python worker is gone' })) });
    const fresh = fakeSandbox();
    const boxes = [dead, fresh];
    const h = harness({ sandbox: () => boxes.shift()!, llm: () => new ScriptedLLM([turn('print(1)'), ANSWER]) });
    const outcome = await h.app.run('Anything.');
    expect(outcome.trajectory?.status).toBe('error');
    expect(h.app.state.python).toMatchObject({ state: 'failed', message: 'Python stopped working: The Python worker is gone' });
    expect(h.app.state.error?.kind).toBe('sandbox');
    await h.app.restartPython();
    expect(dead.disposed).toBe(true);
    expect(h.app.state.python.state).toBe('ready');
    expect((await h.app.run('Again.')).trajectory?.status).toBe('answered');
    expect(fresh.cells).toHaveLength(1);
  });

  it('a run of another session gets a fresh namespace; continuing the session Python holds keeps it', async () => {
    // Every run stops at its step limit, so every continue runs a step.
    const h = harness({ llm: () => new ScriptedLLM(() => turn('notepad.add_facts(["kept"])\nprint(1)')), options: { settings: { maxSteps: 1 } } });
    await h.app.run('One.');
    const one = h.app.state.sessionId!;
    const sandbox = h.sandboxes[0]!;
    expect(sandbox.resets).toBe(0);
    expect(h.app.state.python.session).toBe(one);
    await h.app.continueSession(one); // the step limit: one more step, in the same namespace
    expect(sandbox.resets).toBe(0);
    await h.app.run('Two.');
    expect(sandbox.resets).toBe(1);
    expect(h.app.state.python.session).not.toBe(one);
    const continued = await h.app.continueSession(one); // another session ran since: fresh namespace, notepad back
    expect(sandbox.resets).toBe(2);
    expect(continued.trajectory?.steps).toHaveLength(3);
    expect(continued.trajectory?.steps.at(-1)?.notepad.facts).toEqual(['kept', 'kept', 'kept']); // the notepad came back
    expect(h.sandboxes).toHaveLength(1);
  });
});

describe('no unhandled rejections', () => {
  it('none of the runs above left a rejected promise unhandled', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});
