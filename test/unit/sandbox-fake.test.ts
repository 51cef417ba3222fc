import { describe, expect, it } from 'vitest';
import { FakeSandbox } from '../../src/sandbox/index';
import type { StreamChunk } from '../../src/protocols';

describe('FakeSandbox', () => {
  it('answers cells from its script, then from the fallback, and records the code', async () => {
    const sb = new FakeSandbox({
      script: [{ stdout: 'hi\n' }, (code) => ({ result: `len=${code.length}` }), { error: { ename: 'ValueError', evalue: 'x', traceback: [] } }],
      fallback: { stdout: 'fallback\n' },
    });
    const chunks: StreamChunk[] = [];
    expect(await sb.runCell('print("hi")', { onStream: (c) => chunks.push(c) })).toMatchObject({ status: 'ok', stdout: 'hi\n' });
    expect(chunks).toEqual([{ name: 'stdout', text: 'hi\n' }]);
    expect((await sb.runCell('abc')).result).toBe('len=3');
    expect((await sb.runCell('bad')).status).toBe('error');
    expect((await sb.runCell('more')).stdout).toBe('fallback\n');
    expect(sb.cells).toEqual(['print("hi")', 'abc', 'bad', 'more']);
  });
  it('keeps a notepad that scripts can change and that reset can clear', async () => {
    const sb = new FakeSandbox({
      notepad: { todos: [], facts: ['a'], draft: '' },
      script: [(_code, np) => ({ notepad: { ...np, facts: [...np.facts, 'b'] }, finalAnswer: 'done' })],
    });
    const r = await sb.runCell('x');
    expect(r.notepad!.facts).toEqual(['a', 'b']);
    expect(r.finalAnswer).toBe('done');
    expect((await sb.getNotepad()).facts).toEqual(['a', 'b']);
    await sb.setNotepad({ todos: [{ text: 't', done: false }], facts: [], draft: 'd' });
    expect((await sb.runCell('y')).notepad!.draft).toBe('d');
    await sb.reset();
    expect((await sb.getNotepad()).draft).toBe('d');
    await sb.reset({ clearNotepad: true });
    expect(await sb.getNotepad()).toEqual({ todos: [], facts: [], draft: '' });
    await sb.dispose();
    await expect(sb.runCell('z')).rejects.toThrow(/disposed/);
  });
  it('restart() ("Restart Python") is counted and keeps the notepad, as the real sandbox does', async () => {
    const sb = new FakeSandbox({ notepad: { todos: [], facts: ['kept'], draft: '' } });
    await sb.restart();
    await sb.restart();
    expect(sb.restarts).toBe(2);
    expect((await sb.getNotepad()).facts).toEqual(['kept']);
    await sb.dispose();
    await expect(sb.restart()).rejects.toThrow(/disposed/);
  });
});
