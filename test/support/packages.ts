// Real wheels for the package-loading tests, built here (no package host is reachable from the test
// machines): zip files with a dist-info (METADATA, WHEEL, RECORD with each file's sha256), a
// `pyodide-lock.json` naming them, and a local server that serves them with CORS and records every
// request. Fixture packages:
//   l0demo-base        a module with a constant
//   l0demo             depends on l0demo-base (imports it at import time) and has rich reprs
//   l0badhash          its lock entry carries the wrong sha256
//   matplotlib         a small stand-in for matplotlib.pyplot (figure, plot, savefig as a real PNG
//                      made with zlib, get_fignums, close, show): the same calls the sandbox's
//                      figure hook makes, until the real matplotlib can be loaded in tests
//   l0ext              a compiled extension: a hand-written Emscripten side module whose PyInit
//                      creates a real module with PyModule_Create2 (see extensionModuleWasm)
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';

interface FixturePackage {
  name: string;
  version: string;
  /** Path in the wheel -> content. */
  files: Record<string, string | Uint8Array>;
  depends?: string[];
  imports: string[];
}

export interface BuiltWheel {
  pkg: FixturePackage;
  fileName: string;
  bytes: Uint8Array;
  sha256: string;
}

const b64url = (buf: Buffer) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A wheel: the package's files plus a dist-info whose RECORD lists each with its sha256. */
function buildWheel(pkg: FixturePackage, tag = 'py3-none-any'): BuiltWheel {
  const dist = pkg.name.replace(/-/g, '_');
  const distInfo = `${dist}-${pkg.version}.dist-info`;
  const files: Record<string, Uint8Array> = {};
  for (const [path, content] of Object.entries(pkg.files)) files[path] = typeof content === 'string' ? strToU8(content) : content;
  files[`${distInfo}/METADATA`] = strToU8(`Metadata-Version: 2.1\nName: ${pkg.name}\nVersion: ${pkg.version}\n${(pkg.depends ?? []).map((d) => `Requires-Dist: ${d}\n`).join('')}`);
  files[`${distInfo}/WHEEL`] = strToU8(`Wheel-Version: 1.0\nGenerator: l0-browser-tests\nRoot-Is-Purelib: true\nTag: ${tag}\n`);
  const record = Object.entries(files).map(([path, data]) => `${path},sha256=${b64url(createHash('sha256').update(data).digest())},${data.length}`);
  files[`${distInfo}/RECORD`] = strToU8([...record, `${distInfo}/RECORD,,`].join('\n') + '\n');
  const bytes = zipSync(files, { level: 6, mtime: new Date('2025-01-01T00:00:00Z') });
  return { pkg, fileName: `${dist}-${pkg.version}-${tag}.whl`, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A `pyodide-lock.json` for `wheels` (entries can be overridden, e.g. a wrong sha256). */
function lockFile(wheels: BuiltWheel[], overrides: Record<string, Record<string, unknown>> = {}): string {
  const packages: Record<string, unknown> = {};
  for (const w of wheels) {
    packages[w.pkg.name] = {
      name: w.pkg.name,
      version: w.pkg.version,
      file_name: w.fileName,
      install_dir: 'site',
      package_type: 'package',
      sha256: w.sha256,
      depends: w.pkg.depends ?? [],
      imports: w.pkg.imports,
      unvendored_tests: false,
      ...overrides[w.pkg.name],
    };
  }
  return JSON.stringify({ info: { arch: 'wasm32', platform: 'emscripten_5_0_3', abi_version: '2026_0', python: '3.14.2' }, packages });
}

/** A real 1-bit greyscale PNG of width × height, stripes, made with zlib (Python makes its own in the tests). */
export const PNG_PY = `
import struct, zlib
def png_from_pixels(width, height, pixels):
    """An 8-bit greyscale PNG of \`pixels\` (width * height bytes, row by row)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\\0" + bytes(pixels[r * width:(r + 1) * width]) for r in range(height))
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
def make_png(width, height):
    return png_from_pixels(width, height, bytes(((x // 8) % 2) * 255 for x in range(width)) * height)
`;

/** The stand-in matplotlib: pyplot's figure calls the sandbox hook uses, drawing a real PNG. */
const MATPLOTLIB_STAND_IN: FixturePackage = {
  name: 'matplotlib',
  version: '0.0.1+l0standin',
  imports: ['matplotlib'],
  files: {
    'matplotlib/__init__.py': `"""A stand-in for matplotlib in the l0-browser tests (not the real library)."""
__version__ = "0.0.1+l0standin"
_backend = "agg"
def use(name):
    global _backend
    _backend = name
def get_backend():
    return _backend
`,
    'matplotlib/pyplot.py': `${PNG_PY}
_figures = {}
_current = None
show_calls = 0

def _draw(width, height, lines):
    """White canvas, two axes, each plotted series as a black polyline."""
    px = bytearray(b"\\xff" * (width * height))
    def dot(x, y):
        for xx in (x, x + 1):
            for yy in (y, y + 1):
                if 0 <= xx < width and 0 <= yy < height:
                    px[yy * width + xx] = 0
    m = min(40, width // 8, height // 8)
    for x in range(m, width - m):
        dot(x, height - m)
    for y in range(m, height - m):
        dot(m, y)
    for args in lines:
        ys = list(args[-1]) if args else []
        if len(ys) < 2:
            continue
        lo, hi = min(ys), max(ys)
        span = (hi - lo) or 1
        pts = [(m + i * (width - 2 * m) // (len(ys) - 1), height - m - int((v - lo) / span * (height - 2 * m))) for i, v in enumerate(ys)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            for k in range(steps + 1):
                dot(x0 + (x1 - x0) * k // steps, y0 + (y1 - y0) * k // steps)
    return png_from_pixels(width, height, px)

class Figure:
    def __init__(self, num, figsize=(6.4, 4.8), dpi=100):
        self.number, self.figsize, self.dpi, self.lines = num, figsize, dpi, []
    def savefig(self, fname, format="png", **kwargs):
        data = _draw(int(self.figsize[0] * self.dpi), int(self.figsize[1] * self.dpi), self.lines)
        if hasattr(fname, "write"):
            fname.write(data)
        else:
            with open(fname, "wb") as f:
                f.write(data)
    def __repr__(self):
        w, h = int(self.figsize[0] * self.dpi), int(self.figsize[1] * self.dpi)
        return f"<Figure size {w}x{h} with {1 if self.lines else 0} Axes>"

def figure(num=None, figsize=(6.4, 4.8), dpi=100):
    global _current
    if num is None:
        num = max(_figures, default=0) + 1
    if num not in _figures:
        _figures[num] = Figure(num, figsize, dpi)
    _current = _figures[num]
    return _current

def gcf():
    return _current if _current is not None else figure()

def plot(*args, **kwargs):
    gcf().lines.append(args)
    return [f"<Line2D {len(args)}>"]

def get_fignums():
    return sorted(_figures)

def close(which=None):
    global _current
    if which == "all" or which is None:
        _figures.clear()
        _current = None
    else:
        _figures.pop(getattr(which, "number", which), None)

def show(*args, **kwargs):
    global show_calls
    show_calls += 1
    import warnings
    warnings.warn("the stand-in's own show() ran: nothing shows a figure")
`,
  },
};

const DEMO_BASE: FixturePackage = {
  name: 'l0demo-base',
  version: '1.0.0',
  imports: ['l0demo_base'],
  files: { 'l0demo_base/__init__.py': 'VALUE = 41\nimport sys\nLOADED_BEFORE_DEMO = "l0demo" not in sys.modules\n' },
};

const DEMO: FixturePackage = {
  name: 'l0demo',
  version: '2.0.0',
  depends: ['l0demo-base'],
  imports: ['l0demo'],
  files: {
    'l0demo/__init__.py': `from l0demo_base import VALUE
ANSWER = VALUE + 1

class Table:
    """A table with an HTML form (like a pandas DataFrame)."""
    def __init__(self, rows):
        self.rows = rows
    def _repr_html_(self):
        body = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in self.rows)
        return f'<table class="dataframe"><thead><tr><th>name</th><th>value</th></tr></thead><tbody>{body}</tbody></table>'
    def __repr__(self):
        return "\\n".join(f"{a}  {b}" for a, b in self.rows)
`,
  },
};

const BAD_HASH: FixturePackage = {
  name: 'l0badhash',
  version: '1.0.0',
  imports: ['l0badhash'],
  files: { 'l0badhash/__init__.py': 'OK = True\n' },
};

// ---------------------------------------------------------------------------------------------
// A compiled extension: an Emscripten side module written by hand.
// ---------------------------------------------------------------------------------------------

function leb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>>= 7;
    if (n) out.push(b | 0x80);
    else {
      out.push(b);
      return out;
    }
  }
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
const name = (s: string) => [...leb(bytes(s).length), ...bytes(s)];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];

/**
 * A side module `l0ext` whose PyInit_l0ext fills in a PyModuleDef in its own memory (the name
 * pointer needs the module's memory base, so it is stored at run time), creates the module with
 * PyModule_Create2 and sets `l0ext.answer = 42` with PyModule_AddIntConstant. Python 3.14 on
 * wasm32: PyModuleDef is 52 bytes (m_base 20, m_name, m_doc, m_size, m_methods, m_slots,
 * m_traverse, m_clear, m_free), m_size -1 (single-phase init), API version 1013.
 */
function extensionModuleWasm(moduleName = 'l0ext'): Uint8Array {
  const DEF = 0; // the PyModuleDef, 52 bytes
  const NAME = 52; // "l0ext\0"
  const ATTR = NAME + moduleName.length + 1; // "answer\0"
  const data = new Uint8Array(ATTR + 'answer'.length + 1);
  const view = new DataView(data.buffer);
  view.setInt32(DEF, 1, true); // ob_refcnt
  view.setInt32(DEF + 28, -1, true); // m_size
  data.set(Buffer.from(moduleName + '\0'), NAME);
  data.set(Buffer.from('answer\0'), ATTR);
  const memBase = [0x23, 0]; // global.get 0 (__memory_base)
  const body = [
    0x01, 0x01, 0x7f, // one local: i32 (the module)
    // def.m_name = memory_base + NAME
    ...memBase, 0x41, ...sleb(DEF + 20), 0x6a, ...memBase, 0x41, ...sleb(NAME), 0x6a, 0x36, 0x02, 0x00,
    // m = PyModule_Create2(memory_base + DEF, 1013)
    ...memBase, 0x41, ...sleb(DEF), 0x6a, 0x41, ...sleb(1013), 0x10, 0x00, 0x21, 0x00,
    // if m: PyModule_AddIntConstant(m, memory_base + ATTR, 42)
    0x20, 0x00, 0x04, 0x40,
    0x20, 0x00, ...memBase, 0x41, ...sleb(ATTR), 0x6a, 0x41, ...sleb(42), 0x10, 0x01, 0x1a,
    0x0b,
    0x20, 0x00, 0x0b, // return m
  ];
  const memInfo = [...leb(data.length), ...leb(2), ...leb(0), ...leb(0)];
  const wasm = [
    0, 97, 115, 109, 1, 0, 0, 0,
    ...section(0, [...name('dylink.0'), 1, ...leb(memInfo.length), ...memInfo]),
    // types: (i32 i32) -> i32, (i32 i32 i32) -> i32, () -> i32
    ...section(1, vec([[0x60, 2, 0x7f, 0x7f, 1, 0x7f], [0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f], [0x60, 0, 1, 0x7f]])),
    ...section(2, vec([
      [...name('env'), ...name('memory'), 0x02, 0x00, 0x00],
      [...name('env'), ...name('__memory_base'), 0x03, 0x7f, 0x00],
      [...name('env'), ...name('PyModule_Create2'), 0x00, 0x00],
      [...name('env'), ...name('PyModule_AddIntConstant'), 0x00, 0x01],
    ])),
    ...section(3, vec([[2]])),
    ...section(7, vec([[...name(`PyInit_${moduleName}`), 0x00, 0x02]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
    ...section(11, vec([[0x00, ...memBase, 0x0b, ...leb(data.length), ...data]])),
  ];
  return Uint8Array.from(wasm);
}

const EXTENSION: FixturePackage = {
  name: 'l0ext',
  version: '1.0.0',
  imports: ['l0ext'],
  files: { 'l0ext.cpython-314-wasm32-emscripten.so': extensionModuleWasm() },
};

const EXTENSION_TAG = 'cp314-cp314-pyemscripten_2026_0_wasm32';

// ---------------------------------------------------------------------------------------------
// A package server
// ---------------------------------------------------------------------------------------------

export interface PackageServer {
  /** The package source URL (ends with '/'). */
  url: string;
  origin: string;
  /** Every request path received. */
  requests: string[];
  /** Replaces or adds a served file. */
  set(fileName: string, bytes: Uint8Array | string): void;
  close(): Promise<void>;
  server: Server;
}

/** Serves `files` under `/pkgs/` with CORS (any origin) and CORP cross-origin, recording requests. */
export async function startPackageServer(files: Record<string, Uint8Array | string>, extra?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<PackageServer> {
  const served = new Map<string, Buffer>(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (extra?.(req, res)) return;
    const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'no-store' };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path.startsWith('/pkgs/') ? served.get(decodeURIComponent(path.slice('/pkgs/'.length))) : undefined;
    if (!file) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    const type = path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(file.length) }).end(file);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/pkgs/`,
    origin,
    requests,
    server,
    set: (fileName, bytes) => void served.set(fileName, Buffer.from(bytes)),
    close: () => new Promise<void>((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** The fixture package source: every fixture wheel and a lock naming them (l0badhash with a wrong sha256). */
export function fixtureSource(): { files: Record<string, Uint8Array | string>; wheels: BuiltWheel[] } {
  const wheels = [buildWheel(DEMO_BASE), buildWheel(DEMO), buildWheel(BAD_HASH), buildWheel(MATPLOTLIB_STAND_IN), buildWheel(EXTENSION, EXTENSION_TAG)];
  const lock = lockFile(wheels, { l0badhash: { sha256: '0'.repeat(64) } });
  const files: Record<string, Uint8Array | string> = { 'pyodide-lock.json': lock };
  for (const w of wheels) files[w.fileName] = w.bytes;
  return { files, wheels };
}
