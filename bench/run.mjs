#!/usr/bin/env node
// `npm run bench`: builds dist/ when it is stale, runs every benchmark in bench/ (Node and the built
// app in Chromium), collects their JSON from bench/results/, normalises it into one table in
// bench/results/latest.json, prints it, and compares it with the committed bench/baseline.json.
//
// A benchmark never fails the run: one that crashes or times out becomes an error row and the
// others still run. The exit code is 0 unless this script itself is broken.
//
// Options:
//   --only a,b          run only these benchmarks (names as listed in the table, e.g. sandbox,agent)
//   --skip-build        use dist/ as it is
//   --no-run            only collect the JSON already in bench/results/ (no benchmark is run)
//   --update-baseline   write bench/results/latest.json's figures to bench/baseline.json
//   --gpu               also run the GPU benchmarks (needs WebGPU and network access to weights)
// Env: BENCH_TIMEOUT_S (per benchmark, default 300; warm-start 600).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalise } from './normalise.mjs';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const RESULTS = join(BENCH, 'results');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const optValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = optValue('--only')?.split(',').map((s) => s.trim());
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
// Benchmarks that need longer: warm-start launches fresh browser profiles for every trial.
const TIMEOUT_OVERRIDES_S = { 'warm-start': 600 };

/** Scripts in bench/ that are not benchmarks of their own, or need hardware this run lacks. */
const NOT_RUNNABLE = {
  'run.mjs': 'this runner',
  'normalise.mjs': 'this runner',
  'webllm.ts': 'page script of bench/webllm.html (run through webllm-run.ts)',
};
const GPU_ONLY = {
  'webllm-run.ts': 'needs a WebGPU-capable GPU and network access to model weights (see docs/performance.md)',
};

/** Benchmarks: every .ts/.mjs/.js file in bench/ that writes into bench/results/. Order: by name. */
function discover() {
  const found = [];
  for (const file of readdirSync(BENCH).sort()) {
    if (!/\.(ts|mjs|js)$/.test(file) || file.endsWith('.d.ts')) continue;
    if (file in NOT_RUNNABLE) continue;
    const src = readFileSync(join(BENCH, file), 'utf8');
    if (!/results/.test(src)) continue; // helpers and page scripts write nothing
    const name = basename(file, extname(file));
    const skip = file in GPU_ONLY && !flag('--gpu') ? GPU_ONLY[file] : undefined;
    found.push({ name, file, skip });
  }
  return found;
}

function newestMtime(path, skip = () => false) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path)) {
    const p = join(path, e);
    if (skip(p)) continue;
    newest = Math.max(newest, newestMtime(p, skip));
  }
  return newest;
}

function distIsStale() {
  const built = existsSync(join(ROOT, 'dist/harness.html')) ? statSync(join(ROOT, 'dist/harness.html')).mtimeMs : 0;
  if (!built) return true;
  const inputs = ['src', 'index.html', 'harness.html', 'vite.config.ts', 'package.json', 'public', 'bench/webllm.html', 'bench/webllm.ts'];
  const newest = Math.max(...inputs.map((p) => newestMtime(join(ROOT, p), (q) => q.includes(`${'public'}/pyodide`))));
  return newest > built;
}

function run(cmd, argv, { timeoutS, label }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, FORCE_COLOR: '0' } });
    let tail = '';
    const keep = (chunk) => {
      const s = chunk.toString();
      tail = (tail + s).slice(-4000);
      for (const line of s.split('\n')) if (line.trim()) process.stdout.write(`  [${label}] ${line}\n`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The benchmark's whole process group (tsx, Chromium, servers), not just the direct child.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, tail, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function commandFor(file) {
  return file.endsWith('.ts') ? ['npx', ['tsx', join('bench', file)]] : ['node', [join('bench', file)]];
}

function environment() {
  let chromium;
  try {
    chromium = execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    chromium = 'not found';
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadavg1m: Math.round(loadavg()[0] * 100) / 100,
    chromium,
    commit,
  };
}

const fmt = (v) => (v === undefined || v === null ? '' : typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3)) : String(v));
const pad = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

function changeVsBaseline(fig, baseline) {
  const base = baseline?.figures?.find((b) => b.benchmark === fig.benchmark && b.name === fig.name);
  if (!base || typeof base.value !== 'number' || typeof fig.value !== 'number' || base.value === 0) return undefined;
  return { value: base.value, change: (fig.value - base.value) / Math.abs(base.value) };
}

function printTable(figures, errors) {
  const head = `${pad('benchmark', 12)} ${pad('figure', 46)} ${pad('value', 10)} ${pad('unit', 9)} ${pad('vs same-run baseline', 34)} ${pad('target', 14)} ${pad('vs baseline.json', 16)}`;
  console.log('\n' + head + '\n' + '-'.repeat(head.length));
  for (const f of figures) {
    const base = f.baseline ? `${fmt(f.ratio)}× ${f.baseline.name} (${fmt(f.baseline.value)})` : '';
    const ch = f.vsCommitted ? `${f.vsCommitted.change >= 0 ? '+' : ''}${(f.vsCommitted.change * 100).toFixed(1)}%` : 'new';
    const ok = f.met === undefined ? '' : f.met ? ' ✓' : ' ✗';
    const name = f.stale ? `(stale) ${f.name}` : f.name;
    console.log(`${pad(f.benchmark, 12)} ${pad(name, 46)} ${pad(fmt(f.value), 10)} ${pad(f.unit ?? '', 9)} ${pad(base, 34)} ${pad((f.target ?? '') + ok, 14)} ${pad(ch, 16)}`);
  }
  for (const e of errors) console.log(`${pad(e.benchmark, 12)} ${pad('ERROR: ' + e.error, 130)}`);
  console.log('');
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const benches = discover().filter((b) => !only || only.includes(b.name));
  const errors = [];
  const runs = {};

  if (!flag('--no-run')) {
    if (!flag('--skip-build') && distIsStale()) {
      console.log('dist/ is stale: building (copy-pyodide + vite build)…');
      const b = await run('sh', ['-c', 'node scripts/copy-pyodide.mjs && npx vite build --logLevel warn'], { timeoutS: 300, label: 'build' });
      if (b.code !== 0) errors.push({ benchmark: 'build', error: `vite build failed (exit ${b.code}); browser benchmarks use the previous dist/` });
    }
    for (const b of benches) {
      if (b.skip) {
        console.log(`skip ${b.name}: ${b.skip}`);
        runs[b.name] = { skipped: b.skip };
        continue;
      }
      console.log(`run ${b.name} (${b.file})…`);
      const since = Date.now();
      const [cmd, argv] = commandFor(b.file);
      const r = await run(cmd, argv, { timeoutS: process.env.BENCH_TIMEOUT_S ? TIMEOUT_S : TIMEOUT_OVERRIDES_S[b.name] ?? TIMEOUT_S, label: b.name });
      runs[b.name] = { seconds: r.seconds, exit: r.code, timedOut: r.timedOut, startedAt: since };
      if (r.timedOut) errors.push({ benchmark: b.name, error: `timed out after ${TIMEOUT_S} s` });
      else if (r.code !== 0) errors.push({ benchmark: b.name, error: `exit ${r.code ?? r.signal}: ${r.tail.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` });
      console.log(`  ${b.name}: ${r.timedOut ? 'timed out' : r.code === 0 ? 'ok' : 'FAILED'} in ${r.seconds.toFixed(1)} s`);
    }
  }

  // Collect every result file (also ones written by benchmarks run by hand, e.g. the GPU page).
  const figures = [];
  for (const file of readdirSync(RESULTS).sort()) {
    if (!file.endsWith('.json') || file === 'latest.json') continue;
    const path = join(RESULTS, file);
    let data;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      errors.push({ benchmark: file, error: `unreadable JSON: ${e.message}` });
      continue;
    }
    const name = basename(file, '.json');
    const ran = Object.entries(runs).find(([n]) => name === n || name.startsWith(n + '-') || n.startsWith(name));
    // A result file older than this run's start of its benchmark is stale: say so.
    const mtime = statSync(path).mtimeMs;
    const stale = ran && ran[1].startedAt && mtime < ran[1].startedAt;
    try {
      for (const f of normalise(name, data)) figures.push({ ...f, resultFile: `bench/results/${file}`, measuredAt: data.date ?? new Date(mtime).toISOString(), ...(stale ? { stale: true } : {}) });
    } catch (e) {
      errors.push({ benchmark: name, error: `could not read figures: ${e.message}` });
    }
  }

  const baselinePath = join(BENCH, 'baseline.json');
  const committed = existsSync(baselinePath) ? JSON.parse(readFileSync(baselinePath, 'utf8')) : undefined;
  for (const f of figures) f.vsCommitted = changeVsBaseline(f, committed);

  const latest = { date: new Date().toISOString(), environment: environment(), runs, figures, errors };
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
  printTable(figures, errors);
  console.log(`wrote bench/results/latest.json (${figures.length} figures, ${errors.length} errors)`);
  if (committed) console.log(`compared with bench/baseline.json from ${committed.date} (${committed.environment?.cpus ?? '?'} CPUs, load ${committed.environment?.loadavg1m ?? '?'})`);

  if (flag('--update-baseline')) {
    const baseline = {
      date: latest.date,
      environment: latest.environment,
      note: 'Accepted figures. Update with `npm run bench -- --update-baseline` after a deliberate change.',
      figures: figures.map(({ benchmark, name, value, unit, ratio, target }) => ({ benchmark, name, value, unit, ratio, target })),
    };
    writeFileSync(baselinePath, JSON.stringify(baseline, null, 2) + '\n');
    console.log('updated bench/baseline.json');
  }
}

await main();
