// The widget's wiring for the app controller: the agent loop, sandbox, store and corpus code load
// on the first run (dynamic imports of runtime.ts), and WebLLM's only when a WebLLM engine is
// chosen, so mount() is cheap and the host page stays fast.
import type { AppServices } from '../app/index';
import { L0Error, type ErrorData, type Tool } from '../protocols';
import type { ResolvedAssets } from './assets';
import type { MountOptions } from './options';

const runtime = () => import('./runtime');
const absolute = (url: string) => new URL(url, document.baseURI).href;

export function createEmbedServices(options: MountOptions, assets: ResolvedAssets, dbName: string): AppServices {
  let warn: ((w: ErrorData) => void) | undefined;
  let tools: Promise<Tool[]> | undefined;
  return {
    // IndexedDB while it works; in memory (with a warning shown) where storage is blocked or full.
    store: async () => (await runtime()).createResilientStore({ dbName, onWarning: (w) => warn?.(w) }),
    onStoreWarning: (listener) => void (warn = listener),
    tools: () =>
      (tools ??= runtime()
        .then(async ({ corpusTools }) => {
          const corpus = await corpusTools(options.corpus);
          const names = new Set(corpus.map((t) => t.name));
          for (const t of options.tools ?? []) if (names.has(t.name)) throw new L0Error({ kind: 'tool', message: `two tools are named '${t.name}'` });
          return [...corpus, ...(options.tools ?? [])];
        })
        .catch((e: unknown) => {
          tools = undefined; // e.g. the corpus URL failed: the next run fetches it again
          throw e;
        })),
    createSandbox: async (t, onProgress) =>
      (await runtime()).createPyodideSandbox({
        tools: t,
        indexURL: assets.pyodideIndexURL,
        onProgress,
        // Relative to the host page, like the widget's other URLs.
        ...(options.packageBaseUrl ? { packageBaseUrl: absolute(String(options.packageBaseUrl)) } : {}),
      }),
    async createEngine(choice, opts) {
      const { createEngine } = await import('../llm/engine-spec');
      // URLs in options and attributes are relative to the host page.
      if (choice.kind === 'openai' && choice.baseUrl) return createEngine({ ...choice, baseUrl: absolute(choice.baseUrl) }, opts);
      if (choice.kind === 'replay' && choice.scriptUrl) return createEngine({ ...choice, scriptUrl: absolute(String(choice.scriptUrl)) }, opts);
      return createEngine(choice, opts);
    },
    runAgent: async (o) => (await runtime()).runAgent(o),
  };
}
