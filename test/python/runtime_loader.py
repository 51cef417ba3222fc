"""Loads src/sandbox/python/runtime.py into CPython with a stand-in `_l0_host` (no Pyodide): the
notepad, output capture, traceback formatting and the helper modules it imports (display.py as
`_l0_display`, packages.py as `_l0_packages`, as load_runtime.py makes them) are plain Python."""
import pathlib
import sys
import types

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[2] / "src" / "sandbox" / "python"
RUNTIME = PYTHON_DIR / "runtime.py"
HELPERS = (("_l0_display", "display.py"), ("_l0_packages", "packages.py"))


class Host(types.ModuleType):
    """What core.ts registers as `_l0_host`, recording what the runtime streams."""

    def __init__(self):
        super().__init__("_l0_host")
        self.tool_bridge = "none"
        self.can_load_packages = False
        self.streamed = []

    def stream(self, name, text):
        self.streamed.append((name, text))

    def call_tool(self, name, args_json):
        raise RuntimeError("no tools in the CPython tests")

    call_tool_async = call_tool


def load_module(name, file):
    """A fresh module `name` made from src/sandbox/python/`file` (as load_runtime.py does)."""
    module = types.ModuleType(name)
    module.__file__ = f"<{name.strip('_').replace('_', '-')}>"
    sys.modules[name] = module
    exec(compile((PYTHON_DIR / file).read_text(encoding="utf-8"), module.__file__, "exec"), module.__dict__)
    return module


def load_runtime():
    """A fresh `_l0_runtime` module and its host stand-in."""
    host = Host()
    sys.modules["_l0_host"] = host
    for name, file in HELPERS:
        load_module(name, file)
    module = types.ModuleType("_l0_runtime")
    module.__file__ = "<l0-runtime>"
    exec(compile(RUNTIME.read_text(encoding="utf-8"), "<l0-runtime>", "exec"), module.__dict__)
    return module, host
