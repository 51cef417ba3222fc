"""The pure-Python parts of the sandbox runtime (src/sandbox/python/runtime.py) in CPython:
notepad (and the aliases a trained model may use), output capture, traceback formatting.
Run by test/unit/python-runtime.test.ts (`python3 test/python/test_runtime.py`)."""
import asyncio
import json
import linecache
import os
import signal
import threading
import time
import unittest

from runtime_loader import load_runtime


class NotepadTest(unittest.TestCase):
    def setUp(self):
        self.rt, self.host = load_runtime()
        self.np = self.rt.notepad

    def state(self):
        return json.loads(self.rt.get_notepad_json())

    def test_add_and_tick(self):
        self.np.add_todo(["search the capital", "check the population"])
        self.np.add_todo("write the answer")
        self.np.mark_done(0)
        self.np.mark_done("population")  # part of the text
        self.np.add_facts("Paris is the capital")
        self.np.write_draft(42)
        self.assertEqual(self.state(), {
            "todos": [{"text": "search the capital", "done": True}, {"text": "check the population", "done": True},
                      {"text": "write the answer", "done": False}],
            "facts": ["Paris is the capital"], "draft": "42"})
        self.np.mark_done([-1])
        self.assertTrue(all(t["done"] for t in self.np.todos))

    def test_bad_keys_say_why(self):
        self.np.add_todo(["a"])
        with self.assertRaisesRegex(IndexError, r"1 todo item\(s\); index 5 is out of range"):
            self.np.mark_done(5)
        with self.assertRaisesRegex(ValueError, "no todo item matches 'zzz'"):
            self.np.mark_done("zzz")
        with self.assertRaisesRegex(TypeError, "mark_done expects an index"):
            self.np.mark_done(True)
        with self.assertRaisesRegex(TypeError, "add_todo expects a string or a list"):
            self.np.add_todo(5)

    def test_tick_aliases(self):
        self.np.add_todo(["a", "b", "c", "d", "e"])
        self.np.complete_todo(0)
        self.np.mark_todo_done("b")
        self.np.update_todo(2, status="done")
        self.np.update_todo("d", "completed")
        self.np.update_todo(4)  # no status: done
        self.assertEqual([t["done"] for t in self.np.todos], [True] * 5)
        self.np.update_todo(0, status="pending")
        self.np.update_todo(1, done=False)
        self.np.update_todo(2, completed=False, text="c, again")
        self.assertEqual([(t["text"], t["done"]) for t in self.np.todos][:3], [("a", False), ("b", False), ("c, again", False)])
        with self.assertRaisesRegex(ValueError, "unknown status 'maybe'"):
            self.np.update_todo(0, "maybe")
        with self.assertRaisesRegex(TypeError, "update_todo expects an index"):
            self.np.update_todo(None)

    def test_missing_method_lists_the_real_ones(self):
        with self.assertRaises(AttributeError) as cm:
            self.np.tick_todo(0)
        msg = str(cm.exception)
        for name in ("add_todo(", "mark_done(", "add_facts(", "write_draft(", "update_todo(", "todos, facts, draft"):
            self.assertIn(name, msg)
        self.assertFalse(hasattr(self.np, "__deepcopy__"))

    def test_set_notepad_json_keeps_only_valid_items(self):
        self.rt.set_notepad_json(json.dumps({"todos": [{"text": "ok", "done": 1}, {"done": True}, "bad"], "facts": [1, "two"], "draft": None}))
        self.assertEqual(self.state(), {"todos": [{"text": "ok", "done": True}], "facts": ["1", "two"], "draft": ""})


class CaptureTest(unittest.TestCase):
    def setUp(self):
        self.rt, self.host = load_runtime()

    def test_budget_shared_by_streams_and_marker(self):
        cap = self.rt._Capture(10)
        out, err = self.rt._Writer(cap, "stdout"), self.rt._Writer(cap, "stderr")
        out.write("hello ")
        err.write("world!!")
        out.write("more")
        self.assertEqual(cap.text("stdout"), "hello ")
        self.assertEqual(cap.text("stderr"), "worl")
        self.assertEqual(cap.dropped, {"stdout": 4, "stderr": 3})
        self.assertIn("3 more characters were cut (limit 10", self.rt._marker(3, 10))
        with self.assertRaisesRegex(TypeError, "write\\(\\) argument must be str"):
            out.write(b"x")

    def test_chunks_of_one_stream_are_merged_when_flushed(self):
        cap = self.rt._Capture(1000)
        cap.last_flush = 10 ** 12  # never due by time: only the explicit flush below sends
        for s in ("a", "b"):
            self.rt._Writer(cap, "stdout").write(s)
        self.rt._Writer(cap, "stderr").write("c")
        self.rt._Writer(cap, "stdout").write("d")
        cap.flush()
        self.assertEqual(self.host.streamed, [("stdout", "ab"), ("stderr", "c"), ("stdout", "d")])


RUNNER = """
def run(code, filename, format_error):
    try:
        exec(compile(code, filename, "exec"), {})
    except BaseException as e:
        return format_error(e)
"""


class FormatErrorTest(unittest.TestCase):
    def setUp(self):
        self.rt, self.host = load_runtime()

    def run_cell_source(self, n, code):
        """Runs `code` as cell n from a frame that is the runtime's, as run_cell does."""
        filename = f"<cell-{n}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        runner = {}
        exec(compile(RUNNER, "<l0-runtime>", "exec"), runner)
        return runner["run"](code, filename, self.rt.format_error)

    def test_cell_frames_named_like_jupyter(self):
        err = self.run_cell_source(3, "def f():\n    return 1 / 0\nf()\n")
        self.assertEqual(err["ename"], "ZeroDivisionError")
        self.assertEqual(err["evalue"], "division by zero")
        text = "\n".join(err["traceback"])
        self.assertIn("Cell In[3], line 3", text)
        self.assertIn("Cell In[3], line 2, in f", text)
        self.assertIn("return 1 / 0", text)
        self.assertNotIn("runtime", text)
        self.assertEqual(err["traceback"][-1], "ZeroDivisionError: division by zero")

    def test_missing_package_says_offline(self):
        err = self.run_cell_source(1, "import numpy_not_here\n")
        self.assertEqual(err["ename"], "ModuleNotFoundError")
        self.assertIn("not available offline in this sandbox", err["evalue"])

    def test_syntax_error_names_the_cell(self):
        self.rt._counter = 4
        try:
            compile("x = (", "<cell-4>", "exec")
        except SyntaxError as e:
            err = self.rt.format_error(e)
        self.assertEqual(err["ename"], "SyntaxError")
        self.assertIn("(Cell In[4], line 1)", err["evalue"])

    def test_unprintable_exception(self):
        class Bad(Exception):
            def __str__(self):
                raise RuntimeError("no")
        try:
            raise Bad()
        except Bad as e:
            err = self.rt.format_error(e)
        self.assertEqual(err["evalue"], "<unprintable>")


class ExecRunner:
    """Pyodide's CodeRunner, as far as run_cell uses it (the cell's code as plain statements)."""

    def __init__(self, code, **_options):
        self.code = code

    def compile(self):
        return self

    async def run_async(self, namespace):
        exec(compile(self.code, "<cell-1>", "exec"), namespace)


class LateInterruptTest(unittest.TestCase):
    """The host re-sends SIGINT until a cell's reply arrives: one that lands after the cell's code
    ended (while the runtime formats the error or lists outputs) must not escape run_cell."""

    def tearDown(self):
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def test_sigint_storm_ends_each_cell_with_its_error(self):
        rt, _host = load_runtime()
        rt.CodeRunner = ExecRunner
        stop = threading.Event()

        def storm():
            while not stop.is_set():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.0005)

        # The cell's code starts the storm, so every SIGINT arrives once run_cell is running.
        rt.user_ns["start_storm"] = lambda: threading.Thread(target=storm, daemon=True).start()
        try:
            for _ in range(20):
                stop.clear()
                out = json.loads(asyncio.run(rt.run_cell("start_storm()\nwhile True:\n    pass\n", 100_000)))
                stop.set()
                time.sleep(0.005)
                self.assertEqual(out["error"]["ename"], "KeyboardInterrupt")
        finally:
            stop.set()

    def test_sigint_outside_the_cells_code_is_not_raised(self):
        """While a cell is suspended (time.sleep through JSPI) the worker runs other Python: the
        event loop's callbacks, cancel_current(). SIGINT must not raise there."""
        rt, _host = load_runtime()
        rt._interrupts_reach_code(True)  # as while a cell runs
        raised = False
        try:
            for _ in range(50):
                signal.raise_signal(signal.SIGINT)  # handled right here: no cell frame on the stack
                rt.cancel_current()
        except KeyboardInterrupt:
            raised = True
        self.assertFalse(raised)
        # In the cell's own code it is raised.
        with self.assertRaises(KeyboardInterrupt):
            exec(compile("import signal\nsignal.raise_signal(signal.SIGINT)\n", "<cell-7>", "exec"), {})


if __name__ == "__main__":
    unittest.main(verbosity=2)
