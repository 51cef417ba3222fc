// What a finished cell shows (src/app/cell-text.ts; issue 22, items 6 and 7): the error line once,
// the sandbox's note about an interruption not repeated, and a stopped cell's printed output kept.
import { describe, expect, it } from 'vitest';
import { cellText } from '../../src/app/cell-text';
import type { CellResult } from '../../src/protocols';

const result = (r: Partial<CellResult>): CellResult => ({ status: 'ok', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, ...r });
const count = (text: string, what: string) => text.split(what).length - 1;

describe('cellText', () => {
  it('a Python error whose traceback already ends with its line shows that line once', () => {
    const shown = cellText(result({
      status: 'error',
      stdout: 'largest gap: 36\n',
      error: { ename: 'NameError', evalue: "name 'mean' is not defined", traceback: ['Traceback (most recent call last):', '  File "<cell>", line 5, in <module>', "NameError: name 'mean' is not defined"] },
    }));
    expect(shown.output).toBe('largest gap: 36\n');
    expect(count(shown.traceback!, "NameError: name 'mean' is not defined")).toBe(1);
    expect(shown.traceback!.split('\n')).toHaveLength(3);
  });

  it('a bare "KeyboardInterrupt" last line is not followed by "KeyboardInterrupt: "', () => {
    const shown = cellText(result({ status: 'interrupted', stdout: 'tick 0\ntick 1\n', error: { ename: 'KeyboardInterrupt', evalue: '', traceback: ['Traceback (most recent call last):', '  File "<cell>", line 6, in <module>', 'KeyboardInterrupt'] } }));
    expect(shown.output).toBe('tick 0\ntick 1\n');
    expect(count(shown.traceback!, 'KeyboardInterrupt')).toBe(1);
  });

  it('an error without a traceback gets its line', () => {
    expect(cellText(result({ status: 'error', error: { ename: 'SandboxCrash', evalue: 'gone', traceback: [] } })).traceback).toBe('SandboxCrash: gone');
  });

  it('a restart after Stop: the ticks, then the error line; the stderr note that repeats it and the generic restart note are left out', () => {
    const note = 'the cell was interrupted; the interpreter was restarted; variables were lost (the notepad was kept)';
    const shown = cellText(result({ status: 'interrupted', restarted: true, stdout: 'tick 0\ntick 1\n', stderr: `[${note}]\n`, error: { ename: 'KeyboardInterrupt', evalue: note, traceback: [`KeyboardInterrupt: ${note}`] } }));
    expect(shown.output).toBe('tick 0\ntick 1\n');
    expect(shown.traceback).toBe(`KeyboardInterrupt: ${note}`);
    expect(count(shown.output + shown.traceback, 'restarted')).toBe(1);
  });

  it('a stopped cell whose result carries no output keeps what it printed while it ran', () => {
    const shown = cellText(result({ status: 'interrupted', error: { ename: 'KeyboardInterrupt', evalue: 'the run was cancelled', traceback: [] } }), 'tick 0\ntick 1\ntick 2\n');
    expect(shown.output).toBe('tick 0\ntick 1\ntick 2\n');
    expect(shown.traceback).toBe('KeyboardInterrupt: the run was cancelled');
  });

  it('a finished cell shows its own result, not the streamed text (a reopened session looks the same)', () => {
    expect(cellText(result({ stdout: 'a\n', result: '42' }), 'a\npartial').output).toBe('a\n42');
    expect(cellText(result({ stdout: 'x', truncated: true })).output).toBe('x\n[output truncated by the sandbox]');
  });

  it('a MemoryError says the restart once, in the sandbox\'s note', () => {
    const shown = cellText(result({ status: 'error', restarted: true, stderr: '[out of memory: the interpreter was restarted; variables were lost (the notepad was kept)]\n', error: { ename: 'MemoryError', evalue: '', traceback: ['MemoryError'] } }));
    expect(count(shown.output, 'restarted')).toBe(1);
    expect(shown.traceback).toBe('MemoryError');
  });
});
