import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamParser, EOC_MARKER, literalFinalAnswer, parseStep, stopStrings } from '../../src/agent/parse';

describe('parseStep', () => {
  it('reads a well-formed turn (marker dropped by the engine or kept)', () => {
    const text = '<think>Compute it.</think>\n<code>\nx = 6 * 7\nprint(x)\n</code>';
    for (const t of [text, text + EOC_MARKER]) {
      expect(parseStep(t)).toEqual({ think: 'Compute it.', code: 'x = 6 * 7\nprint(x)', complete: true, formatErrors: [] });
    }
  });

  it('keeps the indentation of the first code line', () => {
    expect(parseStep('<think>t</think><code>\n    if True:\n        pass\n</code>').code).toBe('    if True:\n        pass');
  });

  it('recovers markdown fences instead of tags', () => {
    const p = parseStep('<think>Plan.</think>\n```python\nprint(1)\n```');
    expect(p.code).toBe('print(1)');
    expect(p.formatErrors).toEqual(['markdown code fence instead of <code>..</code>']);
  });

  it('an open <code> at a stop was ended by the </code> stop string; at the length limit it was cut off', () => {
    const stopped = parseStep('<think>go</think><code>\nprint(2)\n', { finishReason: 'stop' });
    expect(stopped).toEqual({ think: 'go', code: 'print(2)', complete: true, formatErrors: [] });
    const cut = parseStep('<think>go</think><code>\nprint(2', { finishReason: 'length' });
    expect(cut).toMatchObject({ code: 'print(2', complete: false, formatErrors: [] });
  });

  it('recovers an unclosed <code> ended by the marker or by an invented <output>', () => {
    const p = parseStep(`<think>go</think><code>\nprint(2)\n${EOC_MARKER}`);
    expect(p).toMatchObject({ code: 'print(2)', complete: true, formatErrors: ['unclosed <code> (no </code> before the end-of-code marker)'] });
    const o = parseStep('<think>go</think><code>\nprint(2)\n<output>2</output>', { finishReason: 'length' });
    expect(o).toMatchObject({ code: 'print(2)', complete: true, formatErrors: ['unclosed <code> (no </code> before <output>)'] });
  });

  it('runs the first complete code block of a turn that ran on after </code> to the token limit', () => {
    const text = '<think>Search first.</think>\n<code>\nprint(1)\n</code>\n<think>Now I wait for the output and then</think>\nSome prose that goes on and on';
    expect(parseStep(text, { finishReason: 'length' })).toEqual({ think: 'Search first.', code: 'print(1)', complete: true, formatErrors: ['text after </code> was ignored'] });
    const invented = parseStep('<think>a</think><code>x = 1</code>\n<think>b</think><output>made up', { finishReason: 'length' });
    expect(invented).toMatchObject({ code: 'x = 1', complete: true, formatErrors: ['text after </code> was ignored'] });
  });

  it('a <think> that mentions <output> does not cut the turn; an <output> outside it does', () => {
    const p = parseStep('<think>The <output> will list the titles.</think>\n<code>\nprint(2)\n</code>');
    expect(p).toEqual({ think: 'The <output> will list the titles.', code: 'print(2)', complete: true, formatErrors: [] });
    expect(parseStep('<think>a</think>\n<output>fake</output>\n<code>print(3)</code>').code).toBe('');
  });

  it('strips a Markdown fence written inside <code>..</code>, with a format note', () => {
    for (const lang of ['python', 'py', '']) {
      const p = parseStep('<think>Fence.</think>\n<code>\n```' + lang + '\nx = 2\nprint(x)\n```\n</code>');
      expect(p).toEqual({ think: 'Fence.', code: 'x = 2\nprint(x)', complete: true, formatErrors: ['markdown code fence inside <code>..</code>'] });
    }
    // A fence inside a string further down is Python, not a fence.
    const draft = 'notepad.write_draft("""```python\nx\n```""")';
    expect(parseStep(`<think>Keep.</think><code>${draft}</code>`)).toMatchObject({ code: draft, formatErrors: [] });
  });

  it('follows a configured end-of-code marker', () => {
    const p = parseStep('<think>t</think><code>print(1)<|eoc|>print(2)</code>', { eocMarker: '<|eoc|>' });
    expect(p).toMatchObject({ code: 'print(1)', formatErrors: ['unclosed <code> (no </code> before the end-of-code marker)'] });
    expect(parseStep('<think>t</think><code>a = 1</code><|eoc|>', { eocMarker: '<|eoc|>' })).toMatchObject({ code: 'a = 1', formatErrors: [] });
    expect(stopStrings('<|eoc|>')).toEqual(['</code>', '<|eoc|>']);
    expect(stopStrings()).toEqual(['</code>', EOC_MARKER]);
  });

  it('uses the prose before the code as think when <think> is missing', () => {
    const p = parseStep('I will print.\n<code>print(3)</code>');
    expect(p).toEqual({ think: 'I will print.', code: 'print(3)', complete: true, formatErrors: ['missing <think>'] });
  });

  it('takes the first of two code blocks and records it', () => {
    const p = parseStep('<think>a</think><code>print(1)</code><code>print(2)</code>');
    expect(p.code).toBe('print(1)');
    expect(p.formatErrors).toEqual(['2 <code> blocks; only the first one ran']);
  });

  it('reports prose only', () => {
    const p = parseStep('The answer is probably 42.');
    expect(p.code).toBe('');
    expect(p.formatErrors).toEqual(['no code: prose only', 'missing <think>']);
  });

  it('ignores an invented <output> and text after the marker', () => {
    const p = parseStep(`<think>t</think><code>print(1)</code>${EOC_MARKER}<code>print(2)</code>`);
    expect(p).toEqual({ think: 't', code: 'print(1)', complete: true, formatErrors: [] });
    expect(parseStep('<think>t</think><code>print(1)</code>\n<output>1</output>').formatErrors).toEqual([]);
  });

  it('extracts literal submit_final_answer arguments as a hint', () => {
    expect(parseStep('<think>t</think><code>submit_final_answer("Paris")</code>').finalAnswer).toBe('Paris');
    expect(literalFinalAnswer("submit_final_answer(answer='it\\'s 4')")).toBe("it's 4");
    expect(literalFinalAnswer('submit_final_answer(42)')).toBe('42');
    expect(literalFinalAnswer('submit_final_answer("""a\nb""")')).toBe('a\nb');
    expect(literalFinalAnswer('submit_final_answer(x)')).toBeUndefined();
  });
});

describe('createStreamParser', () => {
  function stream(text: string, size: number) {
    const p = createStreamParser();
    let think = '';
    let code = '';
    for (let i = 0; i < text.length; i += size) {
      const d = p.push(text.slice(i, i + size));
      think += d.think;
      code += d.code;
    }
    return { think, code };
  }

  it('streams think then code without tag fragments, for any chunk size', () => {
    const text = '<think>Add them.</think>\n<code>\nprint(1 + 2)\n</code>';
    for (const size of [1, 2, 3, 4, 7, 50]) {
      const { think, code } = stream(text, size);
      expect(think).toBe('Add them.');
      expect(code).toBe('print(1 + 2)\n');
    }
  });

  it('streams fenced code, also inside <code>', () => {
    const { code } = stream('<think>x</think>\n```python\nprint(5)\n```', 3);
    expect(code).toBe('print(5)\n');
    for (const size of [1, 2, 5]) expect(stream('<think>x</think>\n<code>\n```python\nprint(6)\n```\n</code>', size).code).toBe('print(6)\n');
  });

  it('streams a think that mentions <output>, and stops the code at a configured marker', () => {
    for (const size of [1, 3, 8]) {
      const { think, code } = stream('<think>The <output> comes later.</think>\n<code>\nprint(7)\n</code>', size);
      expect(think).toBe('The <output> comes later.');
      expect(code).toBe('print(7)\n');
      const p = createStreamParser('<|eoc|>');
      let c = '';
      const text = '<think>t</think><code>print(8)<|eoc|>junk';
      for (let i = 0; i < text.length; i += size) c += p.push(text.slice(i, i + size)).code;
      expect(c).toBe('print(8)');
    }
  });
});

describe('properties', () => {
  it('parseStep never throws and always reports missing code', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '/', 't', 'h', 'i', 'n', 'k', 'c', 'o', 'd', 'e', '`', '\n', ' ', 'x') , maxLength: 80 }), (text) => {
        const p = parseStep(text);
        if (!p.code.trim()) expect(p.formatErrors.some((e) => e.includes('code'))).toBe(true);
      }),
    );
  });

  it('streamed deltas add up to the parsed think and code of a well-formed turn, for any chunking', () => {
    const line = fc.stringMatching(/^[a-z0-9 =+()'.]{1,20}$/);
    fc.assert(
      fc.property(line, fc.array(line, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), (think, codeLines, size) => {
        const code = codeLines.join('\n').trim() || 'x';
        const thinkText = think.trim() || 'why';
        const text = `<think>${thinkText}</think>\n<code>\n${code}\n</code>`;
        const parser = createStreamParser();
        let t = '';
        let c = '';
        for (let i = 0; i < text.length; i += size) {
          const d = parser.push(text.slice(i, i + size));
          t += d.think;
          c += d.code;
        }
        const parsed = parseStep(text);
        expect(t.trim()).toBe(parsed.think);
        expect(c.trimEnd()).toBe(parsed.code.trimEnd());
      }),
    );
  });
});
