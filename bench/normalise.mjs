// Turns each benchmark's own JSON (bench/results/<name>.json) into rows of one table:
//   { benchmark, name, value, unit, baseline?: { name, value }, ratio?, target?, met?, environment }
// A result file may carry such rows itself in `figures` (preferred for new benchmarks, see
// bench/README.md); the older shapes below get an adapter; anything else is flattened (every
// numeric leaf becomes a row without target) so no figure is silently dropped.

/** `target` is shown as text; `check(row)` says whether it is met. */
const le = (limit, on = 'value') => ({ text: `${on === 'ratio' ? 'ratio ' : ''}≤ ${limit}`, check: (r) => (on === 'ratio' ? r.ratio : r.value) <= limit });
const lt = (limit, on = 'value') => ({ text: `${on === 'ratio' ? 'ratio ' : ''}< ${limit}`, check: (r) => (on === 'ratio' ? r.ratio : r.value) < limit });

function row(benchmark, name, value, unit, extra = {}) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const r = { benchmark, name, value, unit };
  if (extra.baseline && typeof extra.baseline.value === 'number') {
    r.baseline = extra.baseline;
    r.ratio = extra.ratio ?? (extra.baseline.value ? value / extra.baseline.value : undefined);
    if (r.ratio !== undefined) r.ratio = Math.round(r.ratio * 1000) / 1000;
  }
  if (extra.target) {
    r.target = extra.target.text;
    r.met = extra.target.check(r);
  }
  r.environment = extra.environment;
  return r;
}

const at = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

const ADAPTERS = {
  agent(d) {
    const env = `Node ${d.node ?? ''}`.trim();
    return [
      row('agent', 'prefix reuse: new-token share per step (median)', at(d, 'prefixReuse.ourLayout.medianNewShare'), 'share', {
        baseline: { name: 'notepad in system prompt', value: at(d, 'prefixReuse.notepadInSystemPrompt.medianNewShare') },
        target: le(0.25),
        environment: `${env}, 20 scripted steps, 4 chars/token`,
      }),
      row('agent', 'prefix reuse at 4096-token budget (median)', at(d, 'prefixReuse.defaultBudget4096.medianNewShare'), 'share', { environment: env }),
      row('agent', 'loop ms/step, instant cells', at(d, 'overheadInstantCells.loopMsPerStep'), 'ms', {
        baseline: { name: 'no-op step', value: at(d, 'overheadInstantCells.noOpStepMs') },
        target: le(10),
        environment: env,
      }),
      row('agent', 'loop ms/step, Pyodide trivial cells', at(d, 'overheadPyodideTrivialCells.loopMsPerStep'), 'ms', {
        baseline: { name: 'no-op step', value: at(d, 'overheadPyodideTrivialCells.noOpStepMs') },
        target: le(10),
        environment: `${env}, real Pyodide (worker thread)`,
      }),
      row('agent', 'loop overhead ms/step, Pyodide cells', at(d, 'overheadPyodideTrivialCells.overheadMsPerStep'), 'ms', { target: le(10), environment: env }),
    ].filter(Boolean);
  },
  sandbox(d) {
    const env = d.browser ?? 'Chromium';
    return [
      row('sandbox', 'cold start to first cell result', at(d, 'coldStart.createPyodideSandboxFirstCellMs.median'), 'ms', {
        baseline: { name: 'bare loadPyodide+runPython', value: at(d, 'coldStart.bareLoadPyodideRunPythonMs.median') },
        ratio: at(d, 'coldStart.ratio'),
        target: le(1.15, 'ratio'),
        environment: `${env}, median of ${d.trials ?? '?'} fresh contexts`,
      }),
      row('sandbox', 'runCell round trip (median)', at(d, 'roundTrip.runCellThroughWorkerComlinkMedianMs'), 'ms', {
        baseline: { name: 'bare postMessage+runPython', value: at(d, 'roundTrip.barePostMessageRunPythonMedianMs') },
        target: lt(2),
        environment: `${env}, ${at(d, 'roundTrip.cells') ?? '?'} cells`,
      }),
      row('sandbox', 'runPython inside worker (median)', at(d, 'roundTrip.runPythonInsideWorkerMedianMs'), 'ms', { environment: env }),
    ].filter(Boolean);
  },
  ui(d) {
    const env = `Chromium, ${d.note ?? 'median of cold loads'}`;
    return [
      row('ui', 'JS+CSS transferred before interactive (gzip)', d.jsCssTransferredBeforeInteractiveKB, 'KB', {
        baseline: typeof d.blankJsCssKB === 'number' ? { name: 'blank Vite page', value: d.blankJsCssKB } : undefined,
        target: le(d.targetKB ?? 250),
        environment: env,
      }),
      row('ui', 'time to interactive', at(d, 'timeToInteractiveMs.app'), 'ms', {
        baseline: { name: 'blank Vite page', value: at(d, 'timeToInteractiveMs.blankVitePage') },
        ratio: d.ttiRatioAppOverBlank,
        environment: env,
      }),
    ].filter(Boolean);
  },
};

function unitOf(key) {
  if (/ms$/i.test(key) || /Ms[A-Z]|Ms$/.test(key)) return 'ms';
  if (/bytes$/i.test(key)) return 'B';
  if (/kb$/i.test(key)) return 'KB';
  if (/ratio|share/i.test(key)) return 'ratio';
  if (/perSec|tokPerS|tps/i.test(key)) return 'tok/s';
  return '';
}

function flatten(benchmark, data, prefix = '', out = []) {
  for (const [k, v] of Object.entries(data ?? {})) {
    if (['date', 'node', 'machine', 'environment', 'info', 'benchmark'].includes(k) && !prefix) continue;
    const name = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') out.push(row(benchmark, name, v, unitOf(k), {}));
    else if (v && typeof v === 'object' && !Array.isArray(v) && out.length < 60) flatten(benchmark, v, name, out);
  }
  return out.filter(Boolean);
}

/** Figures a result file declares itself: [{ name, value, unit, baseline?, ratio?, target?: {op, value, on?} | string }]. */
function declared(benchmark, d) {
  return d.figures
    .map((f) => {
      let target;
      if (f.target && typeof f.target === 'object') {
        const make = f.target.op === '<' ? lt : f.target.op === '>=' ? ge : f.target.op === '>' ? gt : le;
        target = make(f.target.value, f.target.on ?? 'value');
      } else if (typeof f.target === 'string') target = { text: f.target, check: () => undefined };
      const r = row(benchmark, f.name, f.value, f.unit ?? '', { baseline: f.baseline, ratio: f.ratio, target, environment: f.environment ?? d.environment?.summary ?? d.browser });
      if (r && r.met === undefined) delete r.met;
      return r;
    })
    .filter(Boolean);
}
const ge = (limit, on = 'value') => ({ text: `${on === 'ratio' ? 'ratio ' : ''}≥ ${limit}`, check: (r) => (on === 'ratio' ? r.ratio : r.value) >= limit });
const gt = (limit, on = 'value') => ({ text: `${on === 'ratio' ? 'ratio ' : ''}> ${limit}`, check: (r) => (on === 'ratio' ? r.ratio : r.value) > limit });

/** bench/webllm-run.ts writes results/webllm-<model id>.json (GPU machines only). */
function webllm(name, d) {
  const model = d.loadedModel ?? name.replace(/^webllm-/, '');
  const env = `WebGPU ${d.webgpu?.adapter ?? ''}${d.webgpu?.software ? ' (software)' : ''}`.trim();
  const s2 = at(d, 'steps.step2Reuse');
  const reused = s2 && typeof s2.prefillTokens === 'number' && s2.promptTokens ? 1 - s2.prefillTokens / s2.promptTokens : undefined;
  const s2cold = at(d, 'steps.step2Cold');
  const reusedCold = s2cold && typeof s2cold.prefillTokens === 'number' && s2cold.promptTokens ? 1 - s2cold.prefillTokens / s2cold.promptTokens : undefined;
  return [
    row('webllm', `${model}: decode`, d.decodeTokensPerS, 'tok/s', { environment: env }),
    row('webllm', `${model}: prefill`, d.prefillTokensPerS, 'tok/s', { environment: env }),
    row('webllm', `${model}: load (download or cache)`, d.loadMs, 'ms', { environment: env }),
    row('webllm', `${model}: prompt tokens reused at step 2`, reused, 'share', {
      baseline: reusedCold !== undefined ? { name: 'changed system prompt (cold cache)', value: reusedCold } : undefined,
      environment: env,
    }),
    row('webllm', `${model}: time to first token, reuse vs cold`, at(d, 'kvReuse.ttftSpeedup'), '× faster', { environment: env }),
  ].filter(Boolean);
}

export function normalise(name, data) {
  if (Array.isArray(data?.figures)) return declared(name, data);
  if (ADAPTERS[name]) return ADAPTERS[name](data);
  if (name.startsWith('webllm-')) return webllm(name, data);
  return flatten(name, data);
}
