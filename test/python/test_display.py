"""The display protocol and the figure hook (src/sandbox/python/display.py) and the package
messages (packages.py) in CPython. Run by test/unit/python-runtime.test.ts
(`python3 test/python/test_display.py`)."""
import base64
import json
import struct
import sys
import types
import unittest
import warnings
import zlib

from runtime_loader import load_module

display = load_module("_l0_display", "display.py")
packages = load_module("_l0_packages", "packages.py")


def make_png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = (bytes([0]) + bytes(width)) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def items(output):
    return {i["mime"]: i for i in output["items"]}


class Rich:
    def _repr_html_(self):
        return "<table><tr><td>1</td></tr></table>"

    def _repr_png_(self):
        return make_png(3, 2)

    def __repr__(self):
        return "Rich()"


class DisplayProtocolTest(unittest.TestCase):
    def setUp(self):
        display.begin_cell(10_000)

    def tearDown(self):
        display.end_cell()

    def test_every_repr_method_and_text_plain(self):
        class All:
            def _repr_html_(self): return "<b>h</b>"
            def _repr_markdown_(self): return "**m**"
            def _repr_svg_(self): return '<svg width="10" height="5"></svg>'
            def _repr_png_(self): return make_png(4, 3)
            def _repr_jpeg_(self): return None
            def _repr_json_(self): return {"a": [1, 2]}
            def __repr__(self): return "All()"
        display.display(All())
        outputs, notes = display.end_cell()
        self.assertEqual(notes, [])
        (out,) = outputs
        self.assertEqual(out["type"], "display_data")
        got = items(out)
        self.assertEqual([i["mime"] for i in out["items"]], ["text/html", "text/markdown", "image/svg+xml", "image/png", "application/json", "text/plain"])
        self.assertEqual(got["text/plain"]["data"], "All()")
        self.assertEqual(json.loads(got["application/json"]["data"]), {"a": [1, 2]})
        self.assertEqual(base64.b64decode(got["image/png"]["data"]), make_png(4, 3))
        self.assertEqual((got["image/png"]["width"], got["image/png"]["height"]), (4, 3))
        self.assertEqual((got["image/svg+xml"]["width"], got["image/svg+xml"]["height"]), (10, 5))

    def test_mimebundle_wins_and_metadata_sizes(self):
        class Bundle:
            def _repr_mimebundle_(self, include=None, exclude=None):
                return ({"text/html": "<i>b</i>", "image/png": base64.b64encode(make_png(2, 2)).decode(), "x/unknown": "no"},
                        {"image/png": {"width": 20, "height": 10}})
            def _repr_html_(self): return "<i>not me</i>"
        display.display(Bundle())
        (out,), _ = display.end_cell()
        got = items(out)
        self.assertEqual(got["text/html"]["data"], "<i>b</i>")
        self.assertNotIn("x/unknown", got)
        self.assertEqual((got["image/png"]["width"], got["image/png"]["height"]), (20, 10))

    def test_broken_repr_falls_back_and_says_so(self):
        class Broken:
            def _repr_html_(self): raise ValueError("boom")
            def __repr__(self): return "Broken()"
        display.display(Broken())
        (out,), notes = display.end_cell()
        self.assertEqual([i["mime"] for i in out["items"]], ["text/plain"])
        self.assertIn("_repr_html_ of Broken failed: ValueError: boom", notes[0])

    def test_objects_that_answer_every_name_and_classes_are_plain(self):
        class Anything:
            def __getattr__(self, name): return lambda *a, **k: "<script>x</script>"
            def __repr__(self): return "Anything()"
        display.display(Anything(), Rich)
        outputs, _ = display.end_cell()
        self.assertEqual([[i["mime"] for i in o["items"]] for o in outputs], [["text/plain"], ["text/plain"]])

    def test_result_output_only_for_rich_values(self):
        self.assertIsNone(display.result_output(42))
        self.assertIsNone(display.result_output("text"))
        out = display.result_output(Rich())
        self.assertEqual(out["type"], "execute_result")
        self.assertEqual(set(items(out)), {"text/html", "image/png", "text/plain"})

    def test_raw_bundles(self):
        display.display({"text/markdown": "# hi", "text/plain": "hi"}, raw=True)
        (out,), _ = display.end_cell()
        self.assertEqual(items(out)["text/markdown"]["data"], "# hi")

    def test_caps(self):
        class Huge:
            def _repr_html_(self): return "x" * (display.MAX_ITEM_CHARS + 1)
            def __repr__(self): return "y" * 20_000
        display.display(Huge())
        for _ in range(display.MAX_OUTPUTS + 5):
            display.display(1)
        outputs, notes = display.end_cell()
        self.assertEqual(len(outputs), display.MAX_OUTPUTS)
        self.assertEqual([i["mime"] for i in outputs[0]["items"]], ["text/plain"])
        self.assertLess(len(outputs[0]["items"][0]["data"]), 10_100)
        self.assertTrue(any("too large" in n for n in notes))
        self.assertTrue(any("6 more display outputs" in n for n in notes))

    def test_bad_base64_and_json_are_dropped(self):
        class Bad:
            def _repr_png_(self): return "not base64 <script>"
            def _repr_json_(self): return "{not json"
        display.display(Bad())
        (out,), _ = display.end_cell()
        self.assertEqual([i["mime"] for i in out["items"]], ["text/plain"])

    def test_jpeg_size(self):
        # SOI, APP0 (length 16), SOF0 with height 7, width 9
        jpeg = b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + bytes(9) + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 7, 9) + bytes(12)
        self.assertEqual(display.image_size("image/jpeg", base64.b64encode(jpeg).decode()), (9, 7))

    def test_display_outside_a_cell_is_dropped(self):
        display.end_cell()
        display.display(Rich())  # no error, nowhere to go
        self.assertEqual(display.end_cell(), ([], []))


class FigureHookTest(unittest.TestCase):
    """The hook with a stand-in pyplot exposing the calls it makes (figure, savefig, get_fignums, close, show)."""

    def setUp(self):
        plt = types.ModuleType("matplotlib.pyplot")
        plt.figs = {}
        plt.shown = 0

        class Fig:
            def __init__(self, n): self.n = n
            def savefig(self, buf, format="png", **kw): buf.write(make_png(64, 48))
            def __repr__(self): return f"<Figure size 64x48 with 1 Axes>"
        plt.figure = lambda num=None: plt.figs.setdefault(num or len(plt.figs) + 1, Fig(num))
        plt.get_fignums = lambda: sorted(plt.figs)
        plt.close = lambda which=None: plt.figs.clear()

        def show():
            plt.shown += 1
        plt.show = show
        sys.modules["matplotlib.pyplot"] = plt
        self.plt = plt
        display.begin_cell(10_000)

    def tearDown(self):
        display.end_cell()
        sys.modules.pop("matplotlib.pyplot", None)

    def test_open_figures_become_png_outputs_and_are_closed(self):
        self.plt.figure(1)
        self.plt.figure(2)
        display.flush_figures()
        outputs, _ = display.end_cell()
        self.assertEqual(len(outputs), 2)
        png = items(outputs[0])["image/png"]
        self.assertEqual((png["width"], png["height"]), (64, 48))
        self.assertEqual(items(outputs[0])["text/plain"]["data"], "<Figure size 64x48 with 1 Axes>")
        self.assertEqual(self.plt.get_fignums(), [])

    def test_show_is_patched_to_show_the_figures(self):
        display.install_hook()
        self.plt.figure(1)
        self.plt.show()
        self.assertEqual(self.plt.shown, 0)  # the original show did not run
        outputs, _ = display.end_cell()
        self.assertEqual(len(outputs), 1)

    def test_backend_is_agg(self):
        import os
        self.assertEqual(os.environ.get("MPLBACKEND"), "agg")


class PackageMessagesTest(unittest.TestCase):
    def tearDown(self):
        packages.set_index("{}", "")
        packages.note_failures("{}")

    def test_imported_names(self):
        code = "import numpy as np, os.path\nfrom pandas.io import x\nfrom . import rel\nimport matplotlib.pyplot as plt\nawait thing()"
        self.assertEqual(packages.imported_names(code), ["numpy", "os", "pandas", "matplotlib"])
        self.assertEqual(packages.imported_names("def broken("), [])

    def test_missing_imports_skip_the_standard_library(self):
        self.assertEqual(json.loads(packages.missing_imports("import json, surely_missing_pkg_xyz")), ["surely_missing_pkg_xyz"])

    def test_messages(self):
        err = ModuleNotFoundError("No module named 'numpy'", name="numpy")
        self.assertIn("only the Python standard library is bundled", packages.module_not_found_message(err, False))
        packages.set_index(json.dumps({"numpy": "numpy"}), "")
        self.assertIn("is in the package source but was not loaded", packages.module_not_found_message(err, True))
        packages.note_failures(json.dumps({"numpy": "not available offline"}))
        self.assertEqual(packages.module_not_found_message(err, True), "No module named 'numpy': package numpy could not be loaded (not available offline).")
        other = ModuleNotFoundError("x", name="nopkg")
        self.assertIn("neither in the Python standard library nor in the package source", packages.module_not_found_message(other, True))
        packages.set_index("{}", "the package source answered 404")
        self.assertIn("the package source was not reachable (the package source answered 404)", packages.module_not_found_message(err, True))


if __name__ == "__main__":
    with warnings.catch_warnings():
        unittest.main()
