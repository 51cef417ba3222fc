// The sandbox's working directory /workspace in Node against the real Pyodide (issue 18, files in
// and out): Python's cwd (also after reset and restart), files written, listed and read (binary
// too), the cell result's listing, names that try to leave /workspace, size limits, files put
// back into a fresh worker, and what a cell must not be able to do with the host's copies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L0Error, type Sandbox } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { sanitizeFileName, workspacePathProblem } from '../../src/sandbox/workspace-names';
import { fileListing } from '../../src/sandbox/channel-schema';
import { validate } from '../../src/channel/validate';

const enc = new TextEncoder();
const bytes = (text: string) => enc.encode(text);
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

let sb: Sandbox;
beforeAll(async () => {
  sb = await createPyodideSandbox({ maxFileBytes: 64 * 1024, timeoutMs: 5_000 } as Parameters<typeof createPyodideSandbox>[0]);
});
afterAll(async () => {
  await sb?.dispose();
});

async function fileError(p: Promise<unknown>): Promise<L0Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(L0Error);
  expect((e as L0Error).kind).toBe('file');
  return e as L0Error;
}

describe('the working directory', () => {
  it('is /workspace, and stays so after reset() and restart()', async () => {
    expect((await sb.runCell('import os\nos.getcwd()')).result).toBe("'/workspace'");
    await sb.runCell('os.chdir("/tmp")');
    await sb.reset();
    expect((await sb.runCell('import os\nos.getcwd()')).result).toBe("'/workspace'");
    await sb.restart();
    expect((await sb.runCell('import os\nos.getcwd()')).result).toBe("'/workspace'");
  });

  it('is empty in a fresh sandbox; clearFiles() empties it again', async () => {
    await sb.clearFiles();
    expect(await sb.listFiles()).toEqual([]);
    expect((await sb.runCell('import os\nos.listdir(".")')).result).toBe('[]');
  });
});

describe('files in and out', () => {
  it('writes text and binary files that Python reads by name (open, csv) and lists them', async () => {
    await sb.clearFiles();
    const listing = await sb.writeFiles([
      { name: 'data.csv', data: bytes('city,population\nAda,120\nBabbage,80\n') },
      { name: 'blob.bin', data: allBytes },
    ]);
    expect(listing.map((f) => [f.name, f.size])).toEqual([
      ['blob.bin', 256],
      ['data.csv', 35],
    ]);
    const cell = await sb.runCell(
      'import csv\nrows = list(csv.DictReader(open("data.csv")))\nb = open("blob.bin", "rb").read()\nprint(sum(int(r["population"]) for r in rows), len(b), b[255])',
    );
    expect(cell.stdout).toBe('200 256 255\n');
    expect(await sb.readFile('blob.bin')).toEqual(allBytes);
  });

  it('lists what a cell wrote in its result, subfolders by relative path, and reads it out', async () => {
    await sb.clearFiles();
    const cell = await sb.runCell(
      'import os\nos.makedirs("out", exist_ok=True)\nopen("result.csv", "w").write("x,y\\n1,2\\n")\nopen("out/plot.bin", "wb").write(bytes(range(10)))\nos.symlink("/lib", "escape")',
    );
    expect(cell.status).toBe('ok');
    expect(cell.files?.map((f) => [f.name, f.size])).toEqual([
      ['out/plot.bin', 10],
      ['result.csv', 8],
    ]);
    expect(cell.files?.every((f) => f.mtime > 0)).toBe(true);
    expect(new TextDecoder().decode(await sb.readFile('result.csv'))).toBe('x,y\n1,2\n');
    expect(await sb.readFile('out/plot.bin')).toEqual(Uint8Array.from({ length: 10 }, (_, i) => i));
    // The symlink is not listed and is not followed.
    await fileError(sb.readFile('escape/python3.14/os.py'));
  });

  it('refuses names that leave /workspace or are not plain names, writing nothing', async () => {
    await sb.clearFiles();
    for (const name of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a\\b', 'nul\u0000.txt', '.', '..', 'a//b', 'dir/', '', 'x'.repeat(256), 'line\nbreak']) {
      const e = await fileError(sb.writeFiles([{ name: 'ok.txt', data: bytes('fine') }, { name, data: bytes('evil') }]));
      expect(e.message).toMatch(/^Not written: /);
      await fileError(sb.readFile(name));
    }
    expect(await sb.listFiles()).toEqual([]);
    expect((await sb.runCell('import os\nos.path.exists("/etc/passwd") and open("/etc/passwd").read() == "evil"')).result).toBe('False');
  });

  it('refuses files over the size limit, in and out, with a clear message', async () => {
    await sb.clearFiles();
    const e = await fileError(sb.writeFiles([{ name: 'big.bin', data: new Uint8Array(64 * 1024 + 1) }]));
    expect(e.message).toMatch(/big\.bin is 64\.0 KB, over the limit of 64\.0 KB per file/);
    expect(await sb.listFiles()).toEqual([]);
    await sb.runCell('open("huge.bin", "wb").write(bytes(100_000))');
    const out = await fileError(sb.readFile('huge.bin'));
    expect(out.message).toMatch(/over the limit/);
    await fileError(sb.readFile('missing.txt'));
  });

  it('replaces a symlink planted under an attachment\'s name instead of writing through it', async () => {
    await sb.clearFiles();
    await sb.runCell('import os\nos.symlink("/tmp/target.txt", "data.csv")');
    await sb.writeFiles([{ name: 'data.csv', data: bytes('mine') }]);
    const cell = await sb.runCell('import os\n(os.path.islink("data.csv"), open("data.csv").read(), os.path.exists("/tmp/target.txt"))');
    expect(cell.result).toBe("(False, 'mine', False)");
  });
});

describe('files survive a fresh worker', () => {
  it('a restart (and a runaway cell that gets the worker replaced) puts the files back, change times kept', async () => {
    await sb.clearFiles();
    await sb.writeFiles([{ name: 'in.txt', data: bytes('attached') }]);
    await sb.runCell('open("made.txt", "w").write("by a cell")');
    const before = await sb.listFiles();
    await sb.restart();
    expect(await sb.listFiles()).toEqual(before);
    const cell = await sb.runCell('open("in.txt").read() + " / " + open("made.txt").read()');
    expect(cell.result).toBe("'attached / by a cell'");
  });

  it('files written by a cell that then hung are back after the kill, as of the last finished cell', async () => {
    const platform = await import('../../src/sandbox/node-host');
    const { PyodideSandbox } = await import('../../src/sandbox/host');
    // No shared memory: a busy loop cannot be interrupted, so the worker is replaced.
    const noInterrupt = { ...platform.nodePlatform(), sharedMemory: false };
    const box = await PyodideSandbox.start(noInterrupt, { timeoutMs: 1_500 });
    try {
      await box.runCell('open("kept.txt", "w").write("before")');
      const hung = await box.runCell('open("lost.txt", "w").write("during")\nwhile True: pass');
      expect(hung.restarted).toBe(true);
      expect((await box.listFiles()).map((f) => f.name)).toEqual(['kept.txt']);
      expect((await box.runCell('import os\n(os.getcwd(), open("kept.txt").read())')).result).toBe("('/workspace', 'before')");
    } finally {
      await box.dispose();
    }
  });
});

describe('names (workspace-names.ts)', () => {
  it('sanitises a user file name into a flat name, or refuses one with nothing usable left', () => {
    expect(sanitizeFileName('data.csv')).toBe('data.csv');
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\report.xlsx')).toBe('report.xlsx');
    expect(sanitizeFileName('  tab\there.txt ')).toBe('tab_here.txt');
    expect(sanitizeFileName('..')).toBeUndefined();
    expect(sanitizeFileName('dir/')).toBeUndefined();
    const long = sanitizeFileName(`${'é'.repeat(300)}.csv`)!;
    expect(long.endsWith('.csv')).toBe(true);
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(255);
    expect(workspacePathProblem(long)).toBeUndefined();
  });

  it('drops listing entries a hostile worker names outside /workspace (the page never shows, saves or zips them)', () => {
    const entries = ['ok.csv', 'out/plot.png', '../../evil.sh', '/etc/passwd', 'a\u0000b', 'a/../../b', 'x\\y'].map((name) => ({ name, size: 1, mtime: 1 }));
    expect(validate(fileListing, entries).map((f) => f.name)).toEqual(['ok.csv', 'out/plot.png']);
    expect(() => validate(fileListing, [{ name: 'x'.repeat(2000), size: 1, mtime: 1 }])).toThrow(/longer than 1024 characters/);
  });
});
