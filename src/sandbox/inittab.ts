// Taking built-in modules out of the interpreter (hardening, issue 16). A meta-path finder that
// refuses `ctypes` can be removed by the Python it guards (`sys.meta_path[:] = []`); a module that
// is not in CPython's table of built-in modules cannot be imported by any Python route
// (`import`, `importlib`, `_imp.create_builtin`, `BuiltinImporter`): the lookup by name fails.
//
// CPython keeps that table twice: `PyImport_Inittab` (a pointer, here to a heap copy since Pyodide
// extends the table with `_pyodide_core`) and the copy the runtime made at start-up
// (`_PyRuntime.imports.inittab`, which `_imp` searches). Each entry is
// `{ const char *name; PyObject *(*initfunc)(void); }`, 8 bytes in wasm32. We point the names of
// the removed modules at the empty string (the NUL that ends their own name), in both tables.
//
// Limit: Python can still write the Wasm heap (a PyProxy of a bytearray hands out a view of it,
// `getBuffer()`), so a determined program could put an entry back. That is the power ctypes
// would give anyway; what holds then is the realm's lockdown (lockdown.ts).
import type { PyodideAPI } from 'pyodide';

/** ctypes's C half, and CPython's test modules (raw memory reads and writes, crashes on purpose). */
export const REMOVED_BUILTINS = [
  '_ctypes', '_testcapi', '_testinternalcapi', '_testlimitedcapi', '_testbuffer', '_testclinic',
  '_testclinic_limited', '_xxtestfuzz', '_remote_debugging',
];

interface EmscriptenHeap {
  HEAPU32: Uint32Array;
  HEAPU8: Uint8Array;
  UTF8ToString(ptr: number): string;
  _PyImport_Inittab?: number;
  __PyRuntime?: number;
}

/** How far into `_PyRuntime` the runtime's copy pointer is searched (it sits about 2 KB in). */
const RUNTIME_SCAN_BYTES = 64 * 1024;

export interface InittabReport {
  removed: string[];
  failed: string[];
}

/** Removes `names` from both built-in module tables. Call before any model code runs. */
export function removeBuiltinModules(py: PyodideAPI, names: readonly string[] = REMOVED_BUILTINS): InittabReport {
  const m = (py as unknown as { _module?: EmscriptenHeap })._module;
  const report: InittabReport = { removed: [], failed: [] };
  if (!m?._PyImport_Inittab || !m.__PyRuntime) {
    report.failed.push('inittab: symbols not exported by this Pyodide build');
    return report;
  }
  const u32 = m.HEAPU32;
  const table = u32[m._PyImport_Inittab >>> 2]!;
  const first = [u32[table >>> 2], u32[(table >>> 2) + 1]];
  // The runtime's copy: the pointer inside _PyRuntime to another table with the same first entry.
  const copies: number[] = [];
  const start = m.__PyRuntime >>> 2;
  for (let i = start; i < start + RUNTIME_SCAN_BYTES / 4; i++) {
    const p = u32[i]!;
    if (p && p !== table && (p & 3) === 0 && p < m.HEAPU8.length - 8 && u32[p >>> 2] === first[0] && u32[(p >>> 2) + 1] === first[1]) copies.push(p);
  }
  if (copies.length !== 1) report.failed.push(`inittab: found ${copies.length} runtime copies of the table (expected 1)`);
  const wanted = new Set(names);
  for (const t of [table, ...copies]) {
    for (let e = t >>> 2; u32[e] !== 0; e += 2) {
      const name = m.UTF8ToString(u32[e]!);
      if (!wanted.has(name)) continue;
      u32[e] = u32[e]! + new TextEncoder().encode(name).length; // now the empty string
      if (t === table) report.removed.push(name);
    }
  }
  return report;
}
