// Copies chosen Pyodide packages, with every dependency the lock file names, from a downloaded
// Pyodide distribution into this site, so a deployment loads them with no third-party host and,
// once each was loaded, fully offline.
//
//   npm run vendor-packages -- --from DIR numpy pandas matplotlib [--out public/packages]
//
// DIR is a Pyodide distribution of the bundled version (the "full" folder of its release archive:
// pyodide-lock.json and the wheels). Names are package names or import names (sklearn, PIL...).
// Each file is checked against the lock's sha256 before it is copied; the output folder gets the
// files and a pyodide-lock.json listing only them. Run it before `npm run build`: the build then
// makes `packages/` the app's default package source (vite.config.ts, src/ui/services.ts).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalName, importIndex, installOrder, readLock } from '../src/sandbox/package-lock.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const DEFAULT_OUT = join(ROOT, 'public/packages');

/**
 * Copies `names` and their dependencies from the distribution `from` into `out`. Returns what was
 * copied; throws (naming every problem) when a name is unknown or a file is missing or damaged.
 */
export function vendorPackages({ from, out = DEFAULT_OUT, names }) {
  const lockPath = join(from, 'pyodide-lock.json');
  if (!existsSync(lockPath)) throw new Error(`${lockPath} not found: --from must be a Pyodide distribution folder`);
  const raw = JSON.parse(readFileSync(lockPath, 'utf8'));
  const { lock } = readLock(raw);
  const byImport = importIndex(lock);
  const wanted = names.map((n) => (lock.packages[canonicalName(n)] ? n : (byImport.get(n) ?? n)));
  const { order, unknown } = installOrder(lock, wanted);
  if (unknown.length) throw new Error(`not in ${lockPath}: ${unknown.join(', ')}`);
  const problems = [];
  for (const pkg of order) {
    const file = join(from, pkg.fileName);
    if (!existsSync(file)) problems.push(`${pkg.fileName} is missing`);
    else if (createHash('sha256').update(readFileSync(file)).digest('hex') !== pkg.sha256) problems.push(`${pkg.fileName} does not match the lock's sha256`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
  mkdirSync(out, { recursive: true });
  // An earlier run's packages stay listed: vendoring is additive.
  const previous = existsSync(join(out, 'pyodide-lock.json')) ? JSON.parse(readFileSync(join(out, 'pyodide-lock.json'), 'utf8')).packages ?? {} : {};
  const packages = { ...previous };
  const rawByName = new Map(Object.entries(raw.packages).map(([k, v]) => [canonicalName(v?.name ?? k), [k, v]]));
  let bytes = 0;
  for (const pkg of order) {
    copyFileSync(join(from, pkg.fileName), join(out, pkg.fileName));
    bytes += readFileSync(join(out, pkg.fileName)).length;
    const [key, entry] = rawByName.get(canonicalName(pkg.name));
    packages[key] = entry;
  }
  writeFileSync(join(out, 'pyodide-lock.json'), JSON.stringify({ ...raw, packages }, null, 1));
  return { copied: order.map((p) => `${p.name} ${p.version}`), bytes, out };
}

function parseArgs(argv) {
  const names = [];
  let from;
  let out;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--from') from = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--help' || argv[i] === '-h') return { help: true };
    else names.push(argv[i]);
  }
  return { from, out, names };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || !args.from || !args.names?.length) {
    console.log('usage: npm run vendor-packages -- --from PYODIDE_DIST_DIR NAME... [--out DIR]\n  default DIR: public/packages (then npm run build)');
    process.exit(args.help ? 0 : 1);
  }
  try {
    const r = vendorPackages({ from: resolve(args.from), out: args.out ? resolve(args.out) : DEFAULT_OUT, names: args.names });
    console.log(`copied ${r.copied.length} packages (${(r.bytes / 2 ** 20).toFixed(1)} MB) into ${r.out}:\n  ${r.copied.join('\n  ')}`);
  } catch (e) {
    console.error(`vendor-packages: ${e.message}`);
    process.exit(1);
  }
}
