"""The notebook runtime: the Python side of the l0 sandbox.

Executed once into the private module `_l0_runtime` (not the user namespace) by load_runtime.py.
The host functions it calls come from the JS module `_l0_host` (registered in core.ts):
  stream(name, text)            -> None      batched stdout/stderr for live display
  call_tool(name, args_json)    -> str       blocking tool call (SharedArrayBuffer + Atomics)
  call_tool_async(name, args)   -> Promise   tool call awaited through JSPI (pyodide.ffi.run_sync)
  tool_bridge                   -> 'jspi' | 'atomics' | 'none'
  can_load_packages             -> bool
Rich output (display(), figures) lives in `_l0_display` (display.py), what an import needs from the
package source in `_l0_packages` (packages.py); load_runtime.py creates both before this module.
The notepad, output capture and traceback formatting are plain Python: test/python/ runs them in
CPython with a stand-in `_l0_host` (no Pyodide needed).
"""
import ast
import asyncio
import builtins
import io
import json
import linecache
import re
import signal
import sys
import time
import traceback
import types

import _l0_display
import _l0_host
import _l0_packages

try:
    from pyodide.code import CodeRunner
except ImportError:  # CPython, where test/python/ runs the pure-Python parts
    CodeRunner = None

_MODULE_NAME = "_l0_runtime"
_STREAM_FLUSH_CHARS = 4096
_STREAM_FLUSH_SECONDS = 0.05

# ---------------------------------------------------------------------------------------------
# Notepad: the real state lives here; the user namespace only holds a thin facade.
# ---------------------------------------------------------------------------------------------

_notepad_state = {"todos": [], "facts": [], "draft": ""}
_final_answer = None
_tool_specs = {}          # name -> list of parameter names
_tool_functions = {}      # name -> python callable
_counter = 0
user_ns = {}


def _as_items(items, what):
    if isinstance(items, str):
        items = [items]
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"{what} expects a string or a list of strings, got {type(items).__name__}") from None
    out = []
    for it in items:
        if not isinstance(it, str):
            it = str(it)
        it = it.strip()
        if it:
            out.append(it)
    return out


def _find_todo(key, method="mark_done"):
    todos = _notepad_state["todos"]
    if isinstance(key, bool):
        raise TypeError(f"{method} expects an index (int) or the text of a todo item")
    if isinstance(key, int):
        idx = key if key >= 0 else len(todos) + key
        if 0 <= idx < len(todos):
            return idx
        raise IndexError(f"notepad has {len(todos)} todo item(s); index {key} is out of range (indexes start at 0)")
    if isinstance(key, str):
        text = key.strip()
        for i, t in enumerate(todos):
            if t["text"] == text:
                return i
        low = text.lower()
        for i, t in enumerate(todos):
            if low and (low in t["text"].lower()):
                return i
        raise ValueError(f"no todo item matches {key!r}")
    raise TypeError(f"{method} expects an index (int) or the text of a todo item")


# Status words a model may pass to the todo aliases (update_todo(i, status="done") and friends).
_DONE_WORDS = {"done", "complete", "completed", "finished", "resolved", "checked", "x", "[x]", "true", "yes", "✓", "✅"}
_OPEN_WORDS = {"todo", "to do", "open", "pending", "not done", "not_done", "undone", "incomplete", "in progress",
               "in_progress", "doing", "unchecked", "[ ]", "false", "no"}


def _status_done(status, method):
    if isinstance(status, bool):
        return status
    word = str(status).strip().lower()
    if word in _DONE_WORDS:
        return True
    if word in _OPEN_WORDS:
        return False
    raise ValueError(
        f"{method}: unknown status {status!r}; use 'done' or 'pending' "
        "(or notepad.mark_done(index_or_text) to tick an item)"
    )


def _tick(index_or_text, done=True, method="mark_done"):
    keys = index_or_text if isinstance(index_or_text, (list, tuple)) else [index_or_text]
    for k in keys:
        _notepad_state["todos"][_find_todo(k, method)]["done"] = done


_METHODS = (
    "add_todo(items)",
    "mark_done(index_or_text)",
    "add_facts(items)",
    "write_draft(text)",
)
_ALIASES = "update_todo(index_or_text, status='done'), complete_todo(...), mark_todo_done(...)"


class Notepad:
    """Your durable memory: a todo list, facts and a draft. It is shown to you before every step."""

    __slots__ = ()

    def add_todo(self, items):
        """Add one todo (a string) or several (a list of strings)."""
        for it in _as_items(items, "add_todo"):
            _notepad_state["todos"].append({"text": it, "done": False})

    def mark_done(self, index_or_text):
        """Mark a todo done by its 0-based index or by (part of) its text; a list marks several."""
        _tick(index_or_text)

    def add_facts(self, items):
        """Add one fact (a string) or several (a list of strings)."""
        _notepad_state["facts"].extend(_as_items(items, "add_facts"))

    def write_draft(self, text):
        """Replace the draft answer."""
        _notepad_state["draft"] = text if isinstance(text, str) else str(text)

    # Aliases a trained model may use to tick a todo (its checkpoint may know another name).

    def complete_todo(self, index_or_text):
        """Alias of mark_done."""
        _tick(index_or_text, method="complete_todo")

    def mark_todo_done(self, index_or_text):
        """Alias of mark_done."""
        _tick(index_or_text, method="mark_todo_done")

    def update_todo(self, index_or_text, status=None, *, done=None, completed=None, text=None):
        """Set a todo's status ('done' / 'pending', or done=True/False) and/or its text."""
        idx = _find_todo(index_or_text, "update_todo")
        flag = next((v for v in (status, done, completed) if v is not None), None)
        if flag is None and text is None:
            flag = True  # update_todo(i) is how a model says "this one is done"
        if flag is not None:
            _notepad_state["todos"][idx]["done"] = _status_done(flag, "update_todo")
        if text is not None:
            new = _as_items(text, "update_todo")
            if len(new) != 1:
                raise ValueError("update_todo: text must be one non-empty string")
            _notepad_state["todos"][idx]["text"] = new[0]

    @property
    def todos(self):
        return [dict(t) for t in _notepad_state["todos"]]

    @property
    def facts(self):
        return list(_notepad_state["facts"])

    @property
    def draft(self):
        return _notepad_state["draft"]

    def __getattr__(self, name):
        # Only reached for names the class does not have: say which ones it does.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"'Notepad' object has no attribute {name!r}. Its methods are "
            + ", ".join(f"notepad.{m}" for m in _METHODS)
            + f" (also {_ALIASES}); its attributes: todos, facts, draft."
        )

    def __repr__(self):
        return render_notepad(_notepad_state)

    __str__ = __repr__


# JavaScript's String.prototype.trim() whitespace: the notepad text the model is shown is made by
# renderNotepad() in src/agent/notepad-render.ts, and repr(notepad) must be that very text.
_JS_SPACE = frozenset("\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                      "\u2028\u2029\u202f\u205f\u3000\ufeff")


def _js_blank(s):
    return all(c in _JS_SPACE for c in s)


def render_notepad(state):
    """The notepad as the model sees it: the same text as renderNotepad() in notepad-render.ts."""
    todos = state["todos"]
    facts = state["facts"]
    draft = state["draft"]
    todo_text = (
        "\n".join(f"{i}. [{'x' if t['done'] else ' '}] {t['text']}" for i, t in enumerate(todos))
        if todos else "(empty: make a plan with notepad.add_todo([...]))"
    )
    fact_text = "\n".join(f"- {f}" for f in facts) if facts else "(none yet)"
    draft_text = draft if not _js_blank(draft) else "(empty)"
    return f"<notepad>\n## Todo\n{todo_text}\n## Facts\n{fact_text}\n## Draft\n{draft_text}\n</notepad>"


notepad = Notepad()


def submit_final_answer(answer):
    """Submit the final answer to the user's task. Call it once, when you are done."""
    global _final_answer
    _final_answer = answer if isinstance(answer, str) else str(answer)
    print(f"Final answer submitted: {_final_answer}")


def get_notepad_json():
    return json.dumps(_notepad_state)


def set_notepad_json(text):
    data = json.loads(text)
    todos = []
    for t in data.get("todos") or []:
        if isinstance(t, dict) and isinstance(t.get("text"), str):
            todos.append({"text": t["text"], "done": bool(t.get("done"))})
    facts = [str(f) for f in (data.get("facts") or [])]
    draft = data.get("draft") or ""
    _notepad_state["todos"] = todos
    _notepad_state["facts"] = facts
    _notepad_state["draft"] = draft if isinstance(draft, str) else str(draft)


# ---------------------------------------------------------------------------------------------
# Tools: plain synchronous Python functions whose work runs on the host.
# ---------------------------------------------------------------------------------------------


class ToolError(Exception):
    """Raised when a tool call fails (the message starts with the tool's name)."""


ToolError.__module__ = "builtins"


def _make_tool(name, params, doc):
    def tool(*args, **kwargs):
        if len(args) > len(params):
            raise TypeError(f"{name}() takes {len(params)} positional argument(s) but {len(args)} were given")
        call = dict(zip(params, args))
        for k, v in kwargs.items():
            if k not in params:
                raise TypeError(f"{name}() got an unexpected keyword argument {k!r} (parameters: {', '.join(params)})")
            if k in call:
                raise TypeError(f"{name}() got multiple values for argument {k!r}")
            call[k] = v
        try:
            args_json = json.dumps(call)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}(): arguments must be JSON-serialisable ({e})") from None
        bridge = _l0_host.tool_bridge
        if bridge == "jspi":
            from pyodide.ffi import run_sync
            reply = run_sync(_l0_host.call_tool_async(name, args_json))
        elif bridge == "atomics":
            reply = _l0_host.call_tool(name, args_json)
        else:
            raise ToolError(f"{name}: tools cannot be called in this browser (needs JS Promise Integration or cross-origin isolation)")
        reply = json.loads(str(reply))
        if reply.get("interrupted"):
            raise KeyboardInterrupt(f"{name}: interrupted while waiting for the tool")
        if not reply.get("ok"):
            raise ToolError(f"{name}: {reply.get('error', 'failed')}")
        return reply.get("result")

    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = doc
    tool.__module__ = "builtins"
    return tool


def set_tools(specs_json):
    _tool_specs.clear()
    _tool_functions.clear()
    for spec in json.loads(specs_json):
        _tool_specs[spec["name"]] = spec["params"]
        _tool_functions[spec["name"]] = _make_tool(spec["name"], spec["params"], spec.get("doc") or "")


def _no_input(prompt=""):
    raise RuntimeError("input() is not available: cells run without a keyboard; put the value in the code instead")


def _restore_names():
    # Model code may delete or rebind these; the agent relies on them, so put them back every cell.
    user_ns["notepad"] = notepad
    user_ns["submit_final_answer"] = submit_final_answer
    user_ns["ToolError"] = ToolError
    user_ns.update(_tool_functions)
    user_ns["display"] = _l0_display.display
    _l0_display.install_hook()
    user_ns.setdefault("__name__", "__main__")
    user_ns.setdefault("__builtins__", builtins)
    builtins.input = _no_input


def reset_namespace():
    # A fresh namespace is a fresh notebook: cell numbers restart, so tracebacks ("Cell In[1]")
    # do not depend on what ran before (the eval runner reuses one sandbox across questions).
    global _counter
    _counter = 0
    user_ns.clear()
    _restore_names()


# ---------------------------------------------------------------------------------------------
# Output capture: a per-cell character budget shared by stdout, stderr and the result repr.
# ---------------------------------------------------------------------------------------------


class _Capture:
    def __init__(self, limit):
        self.limit = limit
        self.used = 0
        self.kept = {"stdout": [], "stderr": []}
        self.dropped = {"stdout": 0, "stderr": 0}
        self.pending = []
        self.pending_chars = 0
        self.last_flush = 0.0

    def write(self, name, s):
        n = len(s)
        room = self.limit - self.used
        if room <= 0:
            self.dropped[name] += n
            return
        if n > room:
            self.dropped[name] += n - room
            s = s[:room]
        self.used += len(s)
        self.kept[name].append(s)
        self.pending.append((name, s))
        self.pending_chars += len(s)
        now = time.monotonic()
        if self.pending_chars >= _STREAM_FLUSH_CHARS or now - self.last_flush >= _STREAM_FLUSH_SECONDS or self.used >= self.limit:
            self.flush(now)

    def flush(self, now=None):
        if not self.pending:
            return
        # Merge consecutive chunks of the same stream into one message.
        merged = []
        for name, s in self.pending:
            if merged and merged[-1][0] == name:
                merged[-1][1].append(s)
            else:
                merged.append((name, [s]))
        self.pending = []
        self.pending_chars = 0
        self.last_flush = time.monotonic() if now is None else now
        for name, parts in merged:
            _l0_host.stream(name, "".join(parts))

    def text(self, name):
        return "".join(self.kept[name])


class _Writer(io.TextIOBase):
    def __init__(self, capture, name):
        self._capture = capture
        self._name = name

    @property
    def encoding(self):
        return "utf-8"

    @property
    def name(self):
        return "<" + self._name + ">"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._capture.write(self._name, s)
        return len(s)

    def flush(self):
        pass


def _marker(cut, limit):
    return f"\n[... output truncated: {cut:,} more characters were cut (limit {limit:,} characters per cell) ...]\n"


# ---------------------------------------------------------------------------------------------
# Tracebacks: only the cells' own frames, named like Jupyter ("Cell In[3], line 2").
# ---------------------------------------------------------------------------------------------

_CELL_FILE = re.compile(r'File "<cell-(\d+)>", line (\d+)')
_INTERNAL = ("/_pyodide/", "/pyodide/", "<l0-", "/asyncio/")


def _keep_frame(fs):
    fn = fs.filename or ""
    if fn.startswith("<cell-"):
        return True
    return not any(p in fn for p in _INTERNAL) and fn not in ("<exec>", "<string>")


def _filter_te(te, seen=None):
    seen = set() if seen is None else seen
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if _keep_frame(f)])
    for sub in (te.__cause__, te.__context__):
        if sub is not None:
            _filter_te(sub, seen)
    for sub in getattr(te, "exceptions", None) or []:
        _filter_te(sub, seen)


def format_error(e):
    ename = type(e).__name__
    if isinstance(e, ModuleNotFoundError):
        msg = _l0_packages.module_not_found_message(e, _l0_host.can_load_packages)
        if msg:
            e.args = (msg,)
            e.msg = msg
            if hasattr(e, "__notes__"):
                del e.__notes__
    te = traceback.TracebackException(type(e), e, e.__traceback__, compact=True)
    _filter_te(te)
    lines = []
    for chunk in te.format():
        chunk = _CELL_FILE.sub(lambda m: f"Cell In[{m.group(1)}], line {m.group(2)}", chunk)
        lines.extend(chunk.rstrip("\n").split("\n"))
    if isinstance(e, SyntaxError):
        evalue = str(e.msg) + (f" (Cell In[{_counter}], line {e.lineno})" if e.lineno else "")
    else:
        try:
            evalue = str(e)
        except BaseException:
            evalue = "<unprintable>"
    return {"ename": ename, "evalue": evalue, "traceback": lines}


def _cap_text(text, limit):
    if len(text) <= limit:
        return text
    return text[:limit] + _marker(len(text) - limit, limit).rstrip("\n")


def _cap_error(error, limit):
    """An error is output too: a huge message (raise ValueError("x" * 10**6)) is cut like a huge
    print, so it reaches the host (whose channel refuses oversized fields) and the model as text."""
    lines = [_cap_text(line, limit) for line in error["traceback"]]
    if sum(map(len, lines)) > limit or len(lines) > 200:
        # Keep the head (where it started) and the tail (the exception line), drop the middle.
        head, tail, used = [], [], 0
        for line in lines:
            if used + len(line) > limit // 2 or len(head) >= 100:
                break
            head.append(line)
            used += len(line)
        used = 0
        for line in reversed(lines[len(head):]):
            if (used + len(line) > limit // 2 or len(tail) >= 100) and tail:
                break
            tail.insert(0, line)
            used += len(line)
        cut = len(lines) - len(head) - len(tail)
        lines = head + ([f"[... {cut:,} traceback lines cut ...]"] if cut else []) + tail
    return {"ename": error["ename"][:200], "evalue": _cap_text(error["evalue"], limit), "traceback": lines}


# ---------------------------------------------------------------------------------------------
# Running a cell
# ---------------------------------------------------------------------------------------------


def _safe_repr(value):
    try:
        return repr(value)
    except BaseException as e:  # a broken __repr__ should not lose the cell
        return f"<repr failed: {type(e).__name__}: {e}>"


_current_task = None


def cancel_current():
    """Cancels the running cell when it is parked on an await (SIGINT only acts while Python runs).

    A cell suspended inside a blocking call (time.sleep through JSPI lets the worker take this very
    message meanwhile) is still running, not awaiting: cancelling its task would discard the cell's
    result when it returns. SIGINT reaches it as soon as it runs again.
    """
    task = _current_task
    if task is None or task.done():
        return
    if getattr(task.get_coro(), "cr_running", False):
        return
    task.cancel()


def _late_interrupt(signum, frame):
    """SIGINT outside a cell's code: ignored.

    The host re-sends SIGINT every 150 ms until the cell's reply arrives (Pyodide now and then
    raises a KeyboardInterrupt where the cell swallows it). One that lands after the cell's code
    ended, while this runtime formats the error, collects figures or lists files, is for nobody:
    raised there it would escape run_cell and lose the cell's result.
    """


def _interrupt_the_cell(signum, frame):
    """SIGINT while a cell runs: KeyboardInterrupt, if Python is running the cell at that moment.

    While the cell is suspended in a blocking call (time.sleep through JSPI), the worker goes on
    running other Python: the event loop's callbacks, cancel_current(). A KeyboardInterrupt raised
    there would escape into JavaScript as an uncaught error and never reach the cell; ignored
    instead, the host's next SIGINT (150 ms later) finds the cell running.
    """
    f = frame
    while f is not None:
        if f.f_code.co_filename.startswith("<cell-") or (f.f_code.co_name == "run_cell" and f.f_code.co_filename == "<l0-runtime>"):
            raise KeyboardInterrupt
        f = f.f_back


def _interrupts_reach_code(on):
    signal.signal(signal.SIGINT, _interrupt_the_cell if on else _late_interrupt)


# Until the first cell runs (the package step before it included), as between any two cells.
_interrupts_reach_code(False)


async def run_cell(code, limit):
    global _counter, _final_answer, _current_task
    _counter += 1
    n = _counter
    filename = f"<cell-{n}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    _restore_names()
    _final_answer = None
    cap = _Capture(int(limit))
    _l0_display.begin_cell(limit)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Writer(cap, "stdout"), _Writer(cap, "stderr")
    result = None
    error = None
    started = time.monotonic()
    try:
        _current_task = asyncio.current_task()
    except RuntimeError:
        _current_task = None
    try:
        try:
            _interrupts_reach_code(True)  # (also undoes a handler the last cell's code installed)
            runner = CodeRunner(
                code,
                return_mode="last_expr",
                quiet_trailing_semicolon=True,
                filename=filename,
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            ).compile()
            value = await runner.run_async(user_ns)
            # Reprs and figures run the model's code too: still interruptible.
            if value is not None:
                result = _safe_repr(value)
                _l0_display.show_result(value)
            _l0_display.flush_figures()
            _interrupts_reach_code(False)
        except BaseException as e:  # KeyboardInterrupt (interrupt/timeout) included: it is data too
            _interrupts_reach_code(False)
            error = _cap_error(format_error(e), cap.limit)
            e.__traceback__ = None
            del e
        finally:
            _interrupts_reach_code(False)
            _l0_display.flush_figures()  # what a failed cell drew before its error
    finally:
        sys.stdout, sys.stderr = saved
        _current_task = None
    outputs, notes = _l0_display.end_cell()
    for note in notes:
        cap.write("stderr", note + "\n")
    truncated = False
    if result is not None:
        room = cap.limit - cap.used
        if len(result) > room:
            cut = len(result) - max(room, 0)
            result = result[: max(room, 0)] + _marker(cut, cap.limit).rstrip("\n")
            truncated = True
    for name in ("stdout", "stderr"):
        if cap.dropped[name]:
            truncated = True
            m = _marker(cap.dropped[name], cap.limit)
            cap.kept[name].append(m)
            cap.pending.append((name, m))
    cap.flush()
    out = {
        "n": n,
        "stdout": cap.text("stdout"),
        "stderr": cap.text("stderr"),
        "truncated": truncated,
        "notepad": _notepad_state,
        "elapsed": time.monotonic() - started,
    }
    if result is not None:
        out["result"] = result
    if outputs:
        out["outputs"] = outputs
    if error is not None:
        out["error"] = error
    if _final_answer is not None:
        out["finalAnswer"] = _final_answer
    return json.dumps(out)


def python_version():
    return sys.version.split()[0]


reset_namespace()
