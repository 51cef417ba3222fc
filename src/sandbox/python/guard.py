"""The Python half of the sandbox hardening (run by harden.ts before the JS-side lockdown).

Defence in depth, not the boundary (docs/security.md): Python can undo anything Python does, so
what holds is the JS realm's lockdown. The modules that lead out of the sandbox are refused here
with a clear message; `_ctypes` and CPython's test modules (raw memory access) are also taken out
of the interpreter's table of built-in modules by harden.ts (inittab.ts), so removing this finder
does not bring them back. `_removed` (the names of those modules) is set by harden.ts.
"""
import sys, types, importlib.abc

# Modules that lead out of the sandbox: refused at import.
_BLOCKED = {"ctypes", "_ctypes", "micropip", "pyodide.http", "webbrowser"} | set(_removed)
# Modules re-imported so they resolve to the facades registered from JS.
_FACADES = {"js", "pyodide_js", "pyodide_js._api"}


def _blocked(name):
    return name in _BLOCKED or name.startswith(("pyodide.http.", "ctypes.", "pyodide_js._module"))


class _L0SandboxImportGuard(importlib.abc.MetaPathFinder):
    """Refuses modules that lead out of the sandbox, with a message the model can act on."""

    def find_spec(self, fullname, path=None, target=None):
        if _blocked(fullname):
            raise ModuleNotFoundError(
                f"module {fullname!r} is not available in the l0 sandbox "
                "(no JavaScript or network access from Python; use the provided tools)", name=fullname)
        return None


for _name in list(sys.modules):
    if _blocked(_name) or _name in _FACADES:
        sys.modules.pop(_name, None)
sys.meta_path.insert(0, _L0SandboxImportGuard())
# The removed built-in modules are not listed as built in any more.
sys.builtin_module_names = tuple(n for n in sys.builtin_module_names if n not in _BLOCKED)

# Module-level references to the original modules (pyodide's own modules keep a few) go too.
for _mod in list(sys.modules.values()):
    _d = getattr(_mod, "__dict__", None)
    if not isinstance(_d, dict):
        continue
    for _k, _v in list(_d.items()):
        if isinstance(_v, types.ModuleType) and (getattr(_v, "__name__", "") in _FACADES or _blocked(getattr(_v, "__name__", ""))):
            _d.pop(_k, None)
del _name, _mod, _d
