import { describe, expect, it } from 'vitest';
import { buildSystemPrompt, importableLibraries } from '../../src/agent/prompt';
import { assistantContent, buildObservation, messagesForStep } from '../../src/agent/context';
import { capTokens, estimateTokens, makeTokenCounter } from '../../src/agent/memory';
import { renderNotepad } from '../../src/agent/notepad-render';
import { EOC_MARKER, parseStep } from '../../src/agent/parse';
import type { CellResult } from '../../src/protocols';
import { FOUR_TOOLS } from './agent-support';

const count = makeTokenCounter({});
const cell = (r: Partial<CellResult>): CellResult => ({ status: 'ok', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, ...r });
const notepad = { todos: [{ text: 'find it', done: true }, { text: 'answer', done: false }], facts: ['x = 42'], draft: '' };

describe('buildSystemPrompt', () => {
  it('documents the tools, the notepad and the rules, within 1,200 tokens with four tools', () => {
    const prompt = buildSystemPrompt(FOUR_TOOLS, { maxSteps: 20 });
    expect(estimateTokens(prompt)).toBeLessThanOrEqual(1200);
    for (const t of FOUR_TOOLS) {
      expect(prompt).toContain(t.signature);
      expect(prompt).toContain(t.example);
    }
    for (const s of ['notepad.add_todo', 'notepad.mark_done', 'notepad.add_facts', 'notepad.write_draft', 'submit_final_answer(answer: str)', EOC_MARKER, 'at most 20 steps']) {
      expect(prompt).toContain(s);
    }
  });
  it("has L0's rules: the user's language, Markdown reports, importable libraries, the files folder, minimal comments", () => {
    const prompt = buildSystemPrompt(FOUR_TOOLS);
    for (const s of ["in the user's language", 'readable Markdown report', "You can import Python's standard library.", 'you work in /workspace, where the user\'s attached files are. Save the files you create or download there: the user can download them.', 'minimal comments']) {
      expect(prompt).toContain(s);
    }
    const custom = buildSystemPrompt([], { libraries: ['numpy', 'pandas'], workdir: '/home/pyodide', eocMarker: '<|eoc|>' });
    expect(custom).toContain('You can import: numpy, pandas.');
    expect(custom).toContain('you work in /home/pyodide,');
    expect(custom).toContain('</code><|eoc|>');
    expect(custom).not.toContain(EOC_MARKER);
  });
});

describe('importableLibraries (the prompt says what can be imported now)', () => {
  const pkg = (name: string, imports: string[], cached = false) => ({ name, version: '1', imports, cached });
  const info = { baseUrl: 'https://x/', packages: [pkg('numpy', ['numpy']), pkg('pandas', ['pandas']), pkg('scikit-learn', ['sklearn']), pkg('l0demo', ['l0demo'], true), pkg('requests', ['requests']), pkg('other', ['other'])] };
  it('names the standard library, notable packages the source has, and the cached ones; counts the rest', () => {
    const libs = importableLibraries(info, true)!;
    expect(libs).toEqual(["Python's standard library", 'numpy', 'pandas', 'sklearn', 'l0demo', '1 more packages of the Pyodide distribution (loaded on first import; no pip)']);
    const prompt = buildSystemPrompt([], { libraries: libs });
    expect(prompt).toContain("You can import: Python's standard library, numpy, pandas, sklearn, l0demo, 1 more packages");
  });
  it('offline: only what is cached; without a source or with an unreadable one: the standard library', () => {
    expect(importableLibraries(info, false)).toEqual(["Python's standard library", 'l0demo']);
    expect(importableLibraries({ ...info, unavailable: 'offline' })).toEqual(["Python's standard library"]);
    expect(importableLibraries(undefined)).toBeUndefined();
  });
});

describe('renderNotepad', () => {
  it('shows todos with 0-based indices and ticks, facts and draft', () => {
    expect(renderNotepad(notepad)).toBe('<notepad>\n## Todo\n0. [x] find it\n1. [ ] answer\n## Facts\n- x = 42\n## Draft\n(empty)\n</notepad>');
  });
});

describe('observations', () => {
  const base = { finishReason: 'stop' as const, notepad, maxObservationTokens: 300, count };
  it('shows output, the last value and the traceback, then the notepad', async () => {
    const obs = await buildObservation({
      ...base,
      parsed: parseStep('<think>t</think><code>x</code>'),
      cell: cell({ status: 'error', stdout: 'hi\n', result: '3', error: { ename: 'NameError', evalue: 'y', traceback: ['Traceback:', "NameError: name 'y' is not defined"] } }),
    });
    expect(obs).toBe(`<output>\nhi\n3\nTraceback:\nNameError: name 'y' is not defined\n</output>\n\n${renderNotepad(notepad)}`);
  });
  it('shows rich outputs as text only: text/plain and a marker of what the user was shown', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNiAAAABgADNjd8qAAAAABJRU5ErkJggg==';
    const obs = await buildObservation({
      ...base,
      parsed: parseStep('<think>t</think><code>x</code>'),
      cell: cell({
        stdout: 'printed\n',
        result: '   a\n0  1',
        outputs: [
          { type: 'display_data', data: { 'image/png': png, 'text/plain': '<Figure size 640x480 with 1 Axes>' }, metadata: { 'image/png': { width: 640, height: 480 } } },
          { type: 'display_data', data: { 'text/plain': "{'a': 1}" } },
          { type: 'display_data', data: { 'image/svg+xml': '<svg><script>x</script></svg>', 'text/plain': '<SVG>' } },
          { type: 'execute_result', data: { 'text/html': '<table><tr><td>secret-html</td></tr></table>', 'text/plain': '   a\n0  1' } },
        ],
      }),
    });
    expect(obs).toBe(
      `<output>\nprinted\n<Figure size 640x480 with 1 Axes>\n[image/png 640×480 shown to the user]\n{'a': 1}\n<SVG>\n[image/svg+xml shown to the user]\n   a\n0  1\n[text/html shown to the user]\n</output>\n\n${renderNotepad(notepad)}`,
    );
    expect(obs).not.toContain(png);
    expect(obs).not.toContain('secret-html');
  });
  it('says when nothing ran and why', async () => {
    const obs = await buildObservation({ ...base, parsed: parseStep('just prose') });
    expect(obs).toContain('[No code ran: no code: prose only; missing <think>.');
    const long = await buildObservation({ ...base, finishReason: 'length', parsed: parseStep('<think>t</think><code>x = [', { finishReason: 'length' }) });
    expect(long).toContain('length limit');
  });
  it('caps long output in tokens, keeping head and tail', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const capped = await capTokens(text, 200, count);
    expect(capped.cut).toBe(true);
    expect(estimateTokens(capped.text)).toBeLessThanOrEqual(200);
    expect(capped.text.startsWith('line 0\n')).toBe(true);
    expect(capped.text.endsWith('line 1999')).toBe(true);
    const obs = await buildObservation({ ...base, parsed: parseStep('<think>t</think><code>x</code>'), cell: cell({ stdout: text }) });
    expect(obs).toContain('[Output truncated.]');
  });
});

describe('assistantContent', () => {
  it('restores what the stop strings took: </code> of a block still open at a stop, then the marker', () => {
    const done = `<think>t</think><code>x</code>${EOC_MARKER}`;
    expect(assistantContent('<think>t</think><code>x')).toBe(done); // stopped at </code>
    expect(assistantContent('<think>t</think><code>x</code>')).toBe(done); // an engine that keeps the stop string
    expect(assistantContent(done)).toBe(done);
    expect(assistantContent('<think>t</think><code>x</code>\n<output>')).toBe(done);
    expect(assistantContent('prose only')).toBe('prose only');
  });
  it('cuts the text a model ran on with after </code>, and does not close a block the length limit cut', () => {
    expect(assistantContent('<think>t</think><code>x</code>\n<think>more</think> and so on', 'length')).toBe(`<think>t</think><code>x</code>${EOC_MARKER}`);
    expect(assistantContent('<think>t</think><code>x = [1,', 'length')).toBe(`<think>t</think><code>x = [1,${EOC_MARKER}`);
  });
  it('uses the configured marker', () => {
    expect(assistantContent('<think>t</think><code>x', 'stop', '<|eoc|>')).toBe('<think>t</think><code>x</code><|eoc|>');
  });
});

describe('messagesForStep', () => {
  it('rebuilds history, collapses where the trajectory says so', () => {
    const step = (index: number, collapsedBefore = false) => ({
      index, raw: `r${index}`, think: '', code: '', formatErrors: [], finishReason: 'stop' as const, observation: `o${index}`,
      notepad: { todos: [], facts: [`f${index}`], draft: '' }, collapsedBefore, timings: { startedAt: 0, generateMs: 0, cellMs: 0 }, usage: { promptTokens: 0, completionTokens: 0 },
    });
    const traj = { systemPrompt: 'S', task: 'T', settings: { maxSteps: 5, memoryTokens: 1, maxTokensPerStep: 1, tools: [] }, steps: [step(1), step(2), step(3, true)] };
    expect(messagesForStep(traj, 1).map((m) => m.content)).toEqual(['S', `T\n\n${renderNotepad({ todos: [], facts: [], draft: '' })}`]);
    expect(messagesForStep(traj, 2).map((m) => m.content).slice(2)).toEqual(['r1', 'o1']);
    const third = messagesForStep(traj, 3);
    expect(third).toHaveLength(2);
    expect(third[1].content).toContain('Steps 1-2 were cleared');
    expect(third[1].content).toContain('- f2');
    expect(messagesForStep(traj, 4).map((m) => m.content).slice(2)).toEqual(['r3', 'o3']);
  });
});
