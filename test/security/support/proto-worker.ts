// A bare Pyodide worker for the red-team suite: `control` runs model code with nothing but
// Pyodide (what "Pyodide alone" gives), `hardened` applies the real hardenWorkerScope. Used to prove
// the attempts are real (they escape the control) and to test the hardening on its own.
import { hardenWorkerScope } from '../../../src/sandbox/harden';
import { isFunctionWrapperModule } from '../../../src/sandbox/package-install';
import { captureOriginals, runJsProbes, type Originals } from './js-probes';

type Py = { runPythonAsync(code: string): Promise<unknown>; setStdout(o: object): void; setStderr(o: object): void };
let py: Py | undefined;
let originals: Originals = {};
const post = globalThis.postMessage.bind(globalThis);

globalThis.addEventListener('message', (ev: MessageEvent) => void answer(ev));
async function answer(ev: MessageEvent): Promise<void> {
  const { id, op, code, indexURL } = ev.data as { id: number; op: string; code?: string; indexURL?: string };
  try {
    if (op === 'init') {
      const mod = (await import(/* @vite-ignore */ indexURL + 'pyodide.mjs')) as { loadPyodide(o: object): Promise<Py> };
      const loaded = await mod.loadPyodide({ indexURL });
      py = loaded;
      originals = captureOriginals();
      // hardened-packages: the gate a package source sets, with no wheel being installed (nothing
      // compiles but Emscripten's import-only function wrappers), as package-install.ts's compileAllowed.
      const report =
        self.name === 'hardened' ? hardenWorkerScope(loaded as never)
        : self.name === 'hardened-packages' ? hardenWorkerScope(loaded as never, { compileAllowed: isFunctionWrapperModule })
        : undefined;
      post({ id, ok: true, report });
    } else if (op === 'probe' && py) {
      const p = py as unknown as Record<string, unknown>;
      const findings = await runJsProbes(code ?? '', originals, { pyodide: p, api: p._api, module: p._module });
      post({ id, ok: true, findings });
    } else if (op === 'run' && py) {
      let stdout = '';
      let stderr = '';
      py.setStdout({ batched: (s: string) => (stdout += s + '\n') });
      py.setStderr({ batched: (s: string) => (stderr += s + '\n') });
      let error: string | undefined;
      try {
        await py.runPythonAsync(code ?? '');
      } catch (e) {
        error = String((e as Error)?.message ?? e).split('\n').slice(-3).join('\n');
      }
      post({ id, ok: true, stdout, stderr, error });
    }
  } catch (e) {
    post({ id, ok: false, error: String(e) });
  }
}
