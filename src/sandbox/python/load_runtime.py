"""The one place that creates the notebook runtime module `_l0_runtime` from runtime.py.

Run by runtime-module.ts with two globals: `_src` (runtime.py's text) and `_prewarm`.
- prewarm (the warm-start snapshot, snapshot.ts): the runtime runs against a pure-Python stand-in
  for `_l0_host`, because a snapshot cannot hold JS objects; the module is tagged with its source
  and the stand-in leaves sys.modules again.
- install (core.ts, every worker start): a module tagged with this very source (restored from a
  snapshot) only has its `_l0_host` rebound to the real host module; otherwise the runtime runs
  now. The last expression is the module.
"""
import sys, types


def _host_stand_in():
    host = types.ModuleType("_l0_host")
    host.tool_bridge = "none"
    host.can_load_packages = False
    host.stream = lambda name, text: None

    def no_tool(*args):
        raise RuntimeError("no tools while snapshotting")

    host.call_tool = host.call_tool_async = no_tool
    return host


def _create(source):
    module = types.ModuleType("_l0_runtime")
    module.__file__ = "<l0-runtime>"
    sys.modules["_l0_runtime"] = module
    try:
        exec(compile(source, "<l0-runtime>", "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop("_l0_runtime", None)
        raise
    module.__l0_source__ = source
    return module


def _install(source):
    module = sys.modules.get("_l0_runtime")
    if module is not None and getattr(module, "__l0_source__", None) == source:
        import _l0_host
        module._l0_host = _l0_host
        return module
    return _create(source)


def _prewarm_snapshot(source):
    sys.modules["_l0_host"] = _host_stand_in()
    try:
        _create(source)
    finally:
        del sys.modules["_l0_host"]
    import gc
    gc.collect()


_module = None
if _prewarm:
    _prewarm_snapshot(_src)
else:
    _module = _install(_src)
_module
