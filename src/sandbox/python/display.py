"""Rich output for the notebook: IPython's display protocol, and matplotlib figures shown as PNG.

Executed once into the module `_l0_display` by load_runtime.py. runtime.py calls, per cell:
  begin_cell(limit)        a fresh list of outputs (`limit`: characters of one text/plain)
  result_output(value)     the last expression as an execute_result, or None when it has only text
  flush_figures()          open matplotlib figures become PNG outputs and are closed
  end_cell()               the cell's outputs (JSON-ready) and the notes about what was dropped
and puts `display` in the namespace. An output is {"type": "display_data" | "execute_result",
"items": [{"mime", "data", "width"?, "height"?}]}: text as is, images as base64, application/json
as JSON text. The user sees the richest form; the model only ever sees text/plain (the agent adds a
marker such as "[image/png 640×480 shown to the user]").

Plain Python: test/python/ runs it in CPython.
"""
import base64
import binascii
import importlib.abc
import importlib.machinery
import io
import json
import os
import re
import struct
import sys

# matplotlib in a worker: no browser backend can draw there; Agg renders PNGs (before any import).
os.environ["MPLBACKEND"] = "agg"

# Richest first, as Jupyter orders them; text/plain is always there.
MIMES = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "application/json", "text/plain")
_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
)
_BINARY = ("image/png", "image/jpeg")

#: Characters of one rich item (a 3 MB PNG is 4 Mi characters of base64). Bigger ones are dropped.
MAX_ITEM_CHARS = 4 * 2**20
#: Characters of rich items in one cell; beyond it only text/plain is kept.
MAX_CELL_RICH_CHARS = 16 * 2**20
#: Outputs kept per cell.
MAX_OUTPUTS = 50

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")


class _Cell:
    def __init__(self, limit):
        self.limit = limit
        self.outputs = []
        self.rich_chars = 0
        self.dropped_outputs = 0
        self.notes = []


_cell = None


def begin_cell(limit):
    global _cell
    _cell = _Cell(int(limit))


def end_cell():
    """The cell's outputs and what could not be kept (as lines for stderr)."""
    global _cell
    cell, _cell = _cell, None
    if cell is None:
        return [], []
    notes = list(cell.notes)
    if cell.dropped_outputs:
        notes.append(f"[{cell.dropped_outputs} more display outputs were not shown (limit {MAX_OUTPUTS} per cell)]")
    return cell.outputs, notes


# ---------------------------------------------------------------------------------------------
# The display protocol
# ---------------------------------------------------------------------------------------------


def _answers_everything(obj):
    # An object whose __getattr__ answers every name (a mock, a proxy) has no real _repr_*_ methods.
    try:
        return getattr(obj, "_l0_canary_method_should_not_exist_", None) is not None
    except Exception:
        return True


def _call(obj, name, **kwargs):
    try:
        method = getattr(obj, name, None)
    except Exception:
        return None
    if method is None or not callable(method):
        return None
    try:
        return method(**kwargs)
    except Exception as e:  # a broken repr must not lose the cell: fall back to the others
        if _cell is not None:
            _cell.notes.append(f"[{name} of {type(obj).__name__} failed: {type(e).__name__}: {e}]"[:500])
        return None


def _safe_repr(obj):
    try:
        return repr(obj)
    except BaseException as e:
        return f"<repr failed: {type(e).__name__}: {e}>"


def _as_text(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _normalise(mime, value):
    """The item's data as a string, or None when it is not usable."""
    if mime in _BINARY:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return base64.b64encode(bytes(value)).decode("ascii")
        if isinstance(value, str) and _BASE64.match(value):
            return "".join(value.split())
        return None
    if mime == "application/json":
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return None
    return _as_text(value)


def _png_size(data):
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _jpeg_size(data):
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.I | re.S)
_SVG_ATTR = re.compile(r"""\b(width|height|viewBox)\s*=\s*["']([^"']*)["']""", re.I)


def _svg_size(text):
    tag = _SVG_TAG.search(text[:20000])
    if not tag:
        return None
    attrs = {k.lower(): v for k, v in _SVG_ATTR.findall(tag.group(0))}
    try:
        w = float(re.sub(r"px$", "", attrs["width"].strip()))
        h = float(re.sub(r"px$", "", attrs["height"].strip()))
    except (KeyError, ValueError):
        box = attrs.get("viewbox", "").replace(",", " ").split()
        try:
            w, h = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            return None
    return (round(w), round(h)) if w > 0 and h > 0 else None


def image_size(mime, data):
    """(width, height) of an image item's data (base64 for PNG/JPEG, text for SVG), when readable."""
    try:
        if mime == "image/svg+xml":
            return _svg_size(data)
        raw = base64.b64decode(data[: 200_000 if mime == "image/jpeg" else 64], validate=False)
        return _png_size(raw) if mime == "image/png" else _jpeg_size(raw)
    except (binascii.Error, ValueError, struct.error, IndexError):
        return None


def _size_from(meta):
    if not isinstance(meta, dict):
        return None
    try:
        w, h = int(meta.get("width")), int(meta.get("height"))
    except (TypeError, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 else None


def format_bundle(obj, include_plain=True):
    """{mime: value} and {mime: metadata} for `obj` through the display protocol (unnormalised)."""
    data, meta = {}, {}
    if isinstance(obj, type) or _answers_everything(obj):
        return {"text/plain": _safe_repr(obj)}, meta
    bundle = _call(obj, "_repr_mimebundle_", include=None, exclude=None)
    if isinstance(bundle, tuple) and len(bundle) == 2:
        bundle, bundle_meta = bundle
        if isinstance(bundle_meta, dict):
            meta.update({k: v for k, v in bundle_meta.items() if k in MIMES})
    if isinstance(bundle, dict):
        data.update({k: v for k, v in bundle.items() if k in MIMES and v is not None})
    for mime, method in _REPR_METHODS:
        if mime in data:
            continue
        value = _call(obj, method)
        if isinstance(value, tuple) and len(value) == 2:
            value, item_meta = value
            meta[mime] = item_meta
        if value is not None:
            data[mime] = value
    if include_plain and "text/plain" not in data:
        data["text/plain"] = _safe_repr(obj)
    return data, meta


def _cut(text, limit):
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit:,} more characters cut ...]"


def make_output(kind, data, meta):
    """The wire form of one output: items in MIMES order, each rich one within the size caps."""
    cell = _cell
    limit = cell.limit if cell else 10_000
    items = []
    dropped = []
    for mime in MIMES:
        if mime not in data:
            continue
        value = _normalise(mime, data[mime])
        if value is None:
            continue
        if mime == "text/plain":
            items.append({"mime": mime, "data": _cut(value, limit)})
            continue
        room = MAX_CELL_RICH_CHARS - (cell.rich_chars if cell else 0)
        if len(value) > MAX_ITEM_CHARS or len(value) > room:
            dropped.append(f"{mime} of {len(value):,} characters")
            continue
        if cell:
            cell.rich_chars += len(value)
        item = {"mime": mime, "data": value}
        if mime.startswith("image/"):
            size = _size_from(meta.get(mime)) or image_size(mime, value)
            if size:
                item["width"], item["height"] = size
        items.append(item)
    if dropped and cell:
        cell.notes.append(f"[not shown, too large: {', '.join(dropped)}]")
    if not any(i["mime"] == "text/plain" for i in items):
        items.append({"mime": "text/plain", "data": ""})
    return {"type": kind, "items": items}


def display_output(output):
    cell = _cell
    if cell is None:
        return  # display() outside a running cell (a late callback): nobody is looking
    if len(cell.outputs) >= MAX_OUTPUTS:
        cell.dropped_outputs += 1
        return
    cell.outputs.append(output)


def display(*objs, raw=False, metadata=None, **_ignored):
    """Show objects under the cell: tables, images, HTML, Markdown, SVG, JSON (IPython's display).

    The user sees the richest form; you get only the text form (e.g. repr) in the output.
    With raw=True each object is a MIME bundle dict such as {"text/html": "<b>hi</b>"}.
    """
    for obj in objs:
        if raw and isinstance(obj, dict):
            data, meta = dict(obj), dict(metadata or {})
        else:
            data, meta = format_bundle(obj)
        display_output(make_output("display_data", data, meta))


display.__module__ = "builtins"


def result_output(value):
    """The last expression's execute_result when it has more than text/plain, else None."""
    data, meta = format_bundle(value)
    if set(data) == {"text/plain"}:
        return None
    return make_output("execute_result", data, meta)


def show_result(value):
    """Adds the last expression's execute_result (when it has a rich form). Never raises: the
    value's repr is the cell's result either way."""
    try:
        output = result_output(value)
    except Exception:
        return
    if output is not None:
        display_output(output)


# ---------------------------------------------------------------------------------------------
# matplotlib: pyplot's figures are shown as PNG after each cell and on plt.show(), then closed.
# ---------------------------------------------------------------------------------------------

_PYPLOT = "matplotlib.pyplot"


def flush_figures():
    """Every open pyplot figure becomes a PNG display output and is closed (as Jupyter's inline backend)."""
    plt = sys.modules.get(_PYPLOT)
    if plt is None:
        return
    try:
        numbers = list(plt.get_fignums())
    except Exception:
        return
    try:
        for num in numbers:
            try:
                fig = plt.figure(num)
                buf = io.BytesIO()
                fig.savefig(buf, format="png", bbox_inches="tight")
                data = {"image/png": buf.getvalue(), "text/plain": _safe_repr(fig)}
            except Exception as e:
                data = {"text/plain": f"[figure {num} could not be drawn: {type(e).__name__}: {e}]"}
            display_output(make_output("display_data", data, {}))
    finally:
        try:
            plt.close("all")
        except Exception:
            pass


def _show(*args, **kwargs):
    """Show the open figures under the cell (they are closed afterwards)."""
    flush_figures()


def patch_pyplot(plt):
    if getattr(plt, "show", None) is not _show:
        try:
            plt.show = _show
        except Exception:
            pass


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        patch_pyplot(module)


class PyplotHook(importlib.abc.MetaPathFinder):
    """Patches matplotlib.pyplot.show as pyplot is imported, so the first plt.show() already works."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _PYPLOT:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _PatchingLoader(spec.loader)
        return spec


def install_hook():
    """Puts the pyplot hook on sys.meta_path once (and patches a pyplot that is already imported)."""
    if not any(isinstance(f, PyplotHook) for f in sys.meta_path):
        sys.meta_path.insert(0, PyplotHook())  # before the PathFinder that would find pyplot first
    plt = sys.modules.get(_PYPLOT)
    if plt is not None:
        patch_pyplot(plt)
