"""Loads src/sandbox/python/runtime.py into CPython with a stand-in `_l0_host` (no Pyodide): the
notepad, output capture and traceback formatting are plain Python."""
import pathlib
import sys
import types

RUNTIME = pathlib.Path(__file__).resolve().parents[2] / "src" / "sandbox" / "python" / "runtime.py"


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


def load_runtime():
    """A fresh `_l0_runtime` module and its host stand-in."""
    host = Host()
    sys.modules["_l0_host"] = host
    module = types.ModuleType("_l0_runtime")
    module.__file__ = "<l0-runtime>"
    exec(compile(RUNTIME.read_text(encoding="utf-8"), "<l0-runtime>", "exec"), module.__dict__)
    return module, host
