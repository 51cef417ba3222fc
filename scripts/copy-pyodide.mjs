// Copies Pyodide's runtime from node_modules into public/pyodide/ so the built site serves it
// from its own origin (never a CDN). Run by `npm run build` / `npm run dev`; the copy is ignored by git.
import { copyFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'node_modules', 'pyodide');
const dest = join(root, 'public', 'pyodide');
export const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

if (!existsSync(src)) {
  console.error('copy-pyodide: node_modules/pyodide is missing; run `npm install` first.');
  process.exit(1);
}
mkdirSync(dest, { recursive: true });
let copied = 0;
for (const f of PYODIDE_FILES) {
  const from = join(src, f);
  const to = join(dest, f);
  if (existsSync(to) && statSync(to).size === statSync(from).size && statSync(to).mtimeMs >= statSync(from).mtimeMs) continue;
  copyFileSync(from, to);
  copied++;
}
if (copied) console.log(`copy-pyodide: copied ${copied} file(s) to public/pyodide/`);
