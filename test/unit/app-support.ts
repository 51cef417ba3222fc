// Shared by the app controller's unit tests: a controller over the real agent loop, ScriptedLLM,
// MemoryStore and FakeSandbox (the sandbox is not the point there; app-python.test.ts runs the real
// Pyodide), recording the engines it loads, the sandboxes it makes and the notebook changes.
import { runAgent } from '../../src/agent/index';
import { createAppController, type AppController, type AppServices, type NotebookChange } from '../../src/app/index';
import type { EngineChoice } from '../../src/llm/engine-spec';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { LLM, Sandbox, Tool } from '../../src/protocols';
import { FakeSandbox, type FakeCellScript } from '../../src/sandbox/fake';
import { MemoryStore, type KVSessionStore } from '../../src/store/index';

export const turn = (code: string, think = 'Work it out.') => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;

/** The few Python lines these tests' models write, as FakeSandbox answers (the real Python is in app-python.test.ts). */
const fakePython: FakeCellScript = (code, notepad) => ({
  stdout: [...code.matchAll(/print\((\d+)\)/g)].map((m) => `${m[1]}\n`).join(''),
  notepad: { ...notepad, facts: [...notepad.facts, ...[...code.matchAll(/add_facts\(\["([^"]*)"\]\)/g)].map((m) => m[1]!)] },
  ...(/submit_final_answer\("([^"]*)"\)/.exec(code) && { finalAnswer: /submit_final_answer\("([^"]*)"\)/.exec(code)![1] }),
});
export const fakeSandbox = () => new FakeSandbox({ fallback: fakePython });
export const ANSWER = turn('submit_final_answer("42")');

export interface Harness {
  app: AppController;
  store: KVSessionStore;
  engineLoads: EngineChoice[];
  sandboxes: FakeSandbox[];
  changes: NotebookChange[];
}

export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((ok, ko) => ((resolve = ok), (reject = ko)));
  return { promise, resolve, reject };
}

export function harness(opts: {
  engine?: EngineChoice | LLM;
  llm?: (choice: EngineChoice) => Promise<LLM> | LLM;
  sandbox?: () => Promise<Sandbox> | Sandbox;
  store?: KVSessionStore;
  tools?: Tool[];
  services?: Partial<AppServices>;
  options?: Partial<Parameters<typeof createAppController>[0]>;
} = {}): Harness {
  const store = opts.store ?? new MemoryStore();
  const engineLoads: EngineChoice[] = [];
  const sandboxes: FakeSandbox[] = [];
  const changes: NotebookChange[] = [];
  const app = createAppController({
    services: {
      store: () => store,
      tools: () => opts.tools ?? [],
      createSandbox: async () => {
        if (opts.sandbox) return opts.sandbox();
        const s = fakeSandbox();
        sandboxes.push(s);
        return s;
      },
      createEngine: async (choice) => {
        engineLoads.push(choice);
        return opts.llm ? opts.llm(choice) : new ScriptedLLM(() => ANSWER);
      },
      runAgent,
      ...opts.services,
    },
    engine: opts.engine ?? { kind: 'openai', baseUrl: 'http://model.test/v1', model: 'm' },
    ...opts.options,
  });
  app.onNotebook((c) => changes.push(c));
  return { app, store, engineLoads, sandboxes, changes };
}

