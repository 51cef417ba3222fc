// The sandbox's Python as Python (issue 17.3): the pure-Python parts of src/sandbox/python/runtime.py
// run in Debian's CPython with a stand-in host (test/python/), the generated sources module is
// current, and the notepad has one format: repr(notepad) in the sandbox is exactly the text the
// model is shown (renderNotepad), over the same states, in CPython and in the real Pyodide sandbox.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNotepad } from '../../src/agent/notepad-render';
import type { NotepadState, Sandbox } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';

const ROOT = resolve(import.meta.dirname, '../..');
const PY_DIR = resolve(ROOT, 'test/python');

function python(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  // -B: no __pycache__ in the repository.
  const r = spawnSync('python3', ['-B', ...args], { cwd: PY_DIR, input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`python3 could not be run (${r.error.message}): install it with apt-get install -y python3`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Notepad states both renderers must agree on, edge cases included. */
const STATES: NotepadState[] = [
  { todos: [], facts: [], draft: '' },
  { todos: [{ text: 'Search the capital', done: true }, { text: 'Check the population', done: false }], facts: [], draft: '' },
  { todos: [], facts: ['Paris is the capital (source: wiki)', '- already a dash'], draft: 'Paris.' },
  { todos: Array.from({ length: 12 }, (_, i) => ({ text: `step ${i}`, done: i % 3 === 0 })), facts: ['x'], draft: 'line one\nline two\n' },
  // Drafts that are blank to JavaScript's trim() (NBSP, BOM, line separators) and ones that are not.
  { todos: [], facts: [], draft: ' \t\n\u00a0\ufeff\u2028\u3000' },
  { todos: [], facts: [], draft: '\u200b' },
  { todos: [], facts: [], draft: '\x1c' },
  { todos: [{ text: 'multi\nline todo', done: false }], facts: ['émoji 🎉 fact', 'tab\tfact'], draft: '  padded  ' },
];

describe('runtime.py in CPython', () => {
  it('passes its unit tests (notepad and aliases, output capture, traceback formatting)', () => {
    const r = python(['test_runtime.py']);
    expect(r.stderr).toMatch(/\nOK\s*$/);
    expect(r.status).toBe(0);
  });

  it('renders the notepad exactly as the model is shown it (renderNotepad)', () => {
    const r = python(['render_notepads.py'], JSON.stringify(STATES));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(STATES.map(renderNotepad));
  });
});

describe('src/sandbox/python/sources.ts', () => {
  it('is generated from the current .py files', () => {
    expect(() => execFileSync('node', ['scripts/gen-python-sources.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });
});

describe('repr(notepad) in the real sandbox (Pyodide)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createPyodideSandbox();
  });
  afterAll(async () => {
    await sb?.dispose();
  });

  it('takes the todo aliases a trained model may use, and names the real methods for a missing one', async () => {
    await sb.setNotepad({ todos: [{ text: 'a', done: false }, { text: 'b', done: false }, { text: 'c', done: false }], facts: [], draft: '' });
    const ok = await sb.runCell('notepad.update_todo(0, status="done")\nnotepad.complete_todo("b")\nnotepad.mark_todo_done(2)');
    expect(ok.error).toBeUndefined();
    expect(ok.notepad?.todos.map((t) => t.done)).toEqual([true, true, true]);
    const missing = await sb.runCell('notepad.tick(0)');
    expect(missing.error?.ename).toBe('AttributeError');
    expect(missing.error?.evalue).toContain('notepad.mark_done(index_or_text)');
  });

  it('is renderNotepad of the same state', async () => {
    for (const state of STATES) {
      await sb.setNotepad(state);
      const cell = await sb.runCell('notepad');
      expect(cell.error).toBeUndefined();
      expect(cell.result).toBe(renderNotepad(state));
    }
  });
});
