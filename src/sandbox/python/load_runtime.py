"""The one place that creates the notebook runtime module `_l0_runtime` from runtime.py.

Run by runtime-module.ts with three globals: `_src` (runtime.py's text), `_helpers` (the modules
runtime.py imports, as [module name, source] pairs: `_l0_display` from display.py, `_l0_packages`
from packages.py) and `_prewarm`. The helpers are created first, the same way, and tagged alike.
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


def _create(source, name="_l0_runtime"):
    module = types.ModuleType(name)
    module.__file__ = f"<{name.strip('_').replace('_', '-')}>"
    sys.modules[name] = module
    try:
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    module.__l0_source__ = source
    return module


def _current(name, source):
    module = sys.modules.get(name)
    return module if module is not None and getattr(module, "__l0_source__", None) == source else None


def _install(source, helpers):
    # A runtime restored from a snapshot is kept only when its helpers were made from these sources too.
    fresh = False
    for name, helper_source in helpers:
        if _current(name, helper_source) is None:
            _create(helper_source, name)
            fresh = True
    module = None if fresh else _current("_l0_runtime", source)
    if module is not None:
        import _l0_host
        module._l0_host = _l0_host
        return module
    return _create(source)


def _prewarm_snapshot(source, helpers):
    sys.modules["_l0_host"] = _host_stand_in()
    try:
        for name, helper_source in helpers:
            _create(helper_source, name)
        _create(source)
    finally:
        del sys.modules["_l0_host"]
    import gc
    gc.collect()


_module = None
if _prewarm:
    _prewarm_snapshot(_src, _helpers)
else:
    _module = _install(_src, _helpers)
_module
