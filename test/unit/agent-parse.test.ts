import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamParser, EOC_MARKER, literalFinalAnswer, parseStep } from '../../src/agent/parse';

describe('parseStep', () => {
  it('reads a well-formed turn (marker dropped by the engine or kept)', () => {
    const text = '<think>Compute it.</think>\n<code>\nx = 6 * 7\nprint(x)\n</code>';
    for (const t of [text, text + EOC_MARKER]) {
      expect(parseStep(t)).toEqual({ think: 'Compute it.', code: 'x = 6 * 7\nprint(x)', formatErrors: [] });
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

  it('recovers an unclosed <code> stopped at the marker', () => {
    const p = parseStep('<think>go</think><code>\nprint(2)\n');
    expect(p.code).toBe('print(2)');
    expect(p.formatErrors).toEqual(['unclosed <code> (no </code> before the end-of-code marker)']);
  });

  it('uses the prose before the code as think when <think> is missing', () => {
    const p = parseStep('I will print.\n<code>print(3)</code>');
    expect(p).toEqual({ think: 'I will print.', code: 'print(3)', formatErrors: ['missing <think>'] });
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
    expect(p).toEqual({ think: 't', code: 'print(1)', formatErrors: [] });
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

  it('streams fenced code', () => {
    const { code } = stream('<think>x</think>\n```python\nprint(5)\n```', 3);
    expect(code).toBe('print(5)\n');
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
