"""Packages from the package source, seen from Python: which imports of a cell are missing (the
worker asks before each cell, then the host fetches their wheels), and what ModuleNotFoundError
says about a package.

Executed once into the module `_l0_packages` by load_runtime.py; core.ts calls
  set_index(json, why)     {import name: package name} of the package source's lock file, or why
                           there is none (the package source could not be read)
  missing_imports(code)    JSON list of the top-level modules the cell imports that are not importable now
  note_failures(json)      {package name: why it could not be loaded} for this cell's imports
and runtime.py calls module_not_found_message(e, can_load) when a cell raises ModuleNotFoundError.
Plain Python: test/python/ runs it in CPython.
"""
import ast
import importlib.util
import json
import sys

_index = {}      # import name -> package name (from the lock file)
_failures = {}   # package name -> why it could not be loaded
_unavailable = ""  # why the package source's lock file could not be read (then nothing loads)
_MAX_NAMES = 200


def set_index(text, unavailable=""):
    global _unavailable
    _index.clear()
    _index.update({str(k): str(v) for k, v in json.loads(text).items()})
    _unavailable = str(unavailable or "")


def note_failures(text):
    _failures.clear()
    _failures.update({str(k): str(v) for k, v in json.loads(text).items()})


def imported_names(code):
    """Top-level module names of the absolute imports in `code` (none when it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = [node.module]
        else:
            continue
        for name in found:
            top = name.split(".")[0]
            if top and top not in names:
                names.append(top)
    return names


def _importable(name):
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return True  # refused by the import guard, or a broken module: not for the package source


def missing_imports(code):
    """JSON: the modules `code` imports that are not importable now (the host looks them up in the lock)."""
    return json.dumps([n for n in imported_names(code) if not _importable(n)][:_MAX_NAMES])


def module_not_found_message(e, can_load):
    """A ModuleNotFoundError message that says where packages come from, or None to keep Python's."""
    name = (getattr(e, "name", None) or "").split(".")[0]
    if not name or name in sys.modules:
        return None
    if not can_load:
        return (
            f"No module named '{name}'. The package '{name}' is not available offline in this sandbox: "
            "only the Python standard library is bundled (no pip, no network)."
        )
    if _unavailable:
        return (
            f"No module named '{name}'. Packages could not be loaded: the package source was not reachable "
            f"({_unavailable}); only the Python standard library is available. Restart Python to try again."
        )
    package = _index.get(name)
    if package is not None and package in _failures:
        return f"No module named '{name}': package {package} could not be loaded ({_failures[package]})."
    if package is not None:
        return (
            f"No module named '{name}': package {package} is in the package source but was not loaded. "
            f"Import it with a plain `import {name}` statement in a cell (imports are detected before the cell runs)."
        )
    return (
        f"No module named '{name}': it is neither in the Python standard library nor in the package source "
        "(pip and other package indexes are not available)."
    )
