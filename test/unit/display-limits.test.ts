// The display limits and the Markdown risk screen (src/ui/display-limits.ts), in Node against the
// real `marked`: the bombs that overflow marked's stack or take seconds are flagged, real documents
// are not, and whatever passes the screen parses.
import { readFileSync } from 'node:fs';
import { Marked } from 'marked';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MARKDOWN_MAX_CHARS, isSafeDataImage, markdownRisk, splitAtBoundary, textChunks } from '../../src/ui/display-limits';

const marked = new Marked({ async: false, gfm: true });
const parse = (s: string) => marked.parse(s) as string;

describe('splitAtBoundary and textChunks', () => {
  it('cut after a blank line, else a line break, else at the limit, and lose nothing', () => {
    expect(splitAtBoundary('short', 10)).toEqual(['short', '']);
    expect(splitAtBoundary('aaaa\n\nbbbbbbbbbb', 10)).toEqual(['aaaa\n\n', 'bbbbbbbbbb']);
    expect(splitAtBoundary('aaaaaa\nbbbbbbbbbb', 10)).toEqual(['aaaaaa\n', 'bbbbbbbbbb']);
    expect(splitAtBoundary('a'.repeat(25), 10)).toEqual(['a'.repeat(10), 'a'.repeat(15)]);
    // A surrogate pair at the cut stays whole.
    const [head, rest] = splitAtBoundary('a'.repeat(9) + '😀' + 'b', 10);
    expect(head).toBe('a'.repeat(9));
    expect(rest).toBe('😀b');
  });

  it('chunks join back to the text, none longer than the chunk size', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', ' ', 'é', '😀'), maxLength: 400 }), fc.integer({ min: 4, max: 50 }), (text, size) => {
        const chunks = [...textChunks(text, size)];
        expect(chunks.join('')).toBe(text);
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(size);
      }),
    );
  });
});

/** Inputs that make marked throw "Maximum call stack size exceeded" or run for seconds (measured on marked 18). */
const BOMBS: Record<string, string> = {
  'block quotes 5,000 deep': '>'.repeat(5000) + ' x',
  'spaced block quotes': '> '.repeat(5000) + 'x',
  'list markers on one line': '- '.repeat(5000) + 'x',
  'ordered markers on one line': '1. '.repeat(5000) + 'x',
  'quote and list': '> - '.repeat(1000) + 'x',
  'a list nested 1,000 levels (13 s)': Array.from({ length: 1000 }, (_, i) => '  '.repeat(i) + '- x').join('\n'),
  'emphasis run': '*'.repeat(5000) + 'x' + '*'.repeat(5000),
  'underscores (quadratic: 1.4 s for 20,000 characters)': '_a'.repeat(10_000),
  'mixed delimiters': '*a_b**c__'.repeat(2000),
  'one paragraph of 1,300 emphasis marks (90 ms)': 'Lorem *ipsum* dolor sit amet.\n'.repeat(660),
};

describe('markdownRisk', () => {
  for (const [name, bomb] of Object.entries(BOMBS)) {
    it(`flags ${name}`, () => {
      const [head] = splitAtBoundary(bomb, MARKDOWN_MAX_CHARS);
      expect(markdownRisk(head)).toMatch(/nested more than|emphasis and link marks/);
    });
  }

  it('the deepest bomb really overflows marked (so the screen is needed)', () => {
    expect(() => parse(BOMBS['block quotes 5,000 deep']!)).toThrow(/call stack/);
  });

  it('passes real documents: this repository’s README and docs', () => {
    for (const file of ['README.md', 'docs/security.md', 'docs/architecture.md', 'docs/embedding.md']) {
      const [head] = splitAtBoundary(readFileSync(file, 'utf8'), MARKDOWN_MAX_CHARS);
      expect(markdownRisk(head), file).toBeUndefined();
    }
    // The same emphasis spread over paragraphs is fine (the cost is per paragraph).
    expect(markdownRisk('Lorem *ipsum* dolor sit amet.\n\n'.repeat(300))).toBeUndefined();
    // Code fences do not count: a long Python listing full of underscores is fine.
    expect(markdownRisk('```python\n' + 'self.__init__(a_b, c_d)\n'.repeat(1000) + '```\n')).toBeUndefined();
  });

  it('whatever it lets through, marked parses without throwing', () => {
    const token = fc.constantFrom('>', '> ', '- ', '* ', '1. ', '  ', '    ', '\n', '\n\n', '*', '_', '**', '~~', '`', '[', ']', '(', ')', '![', '<div>', '</div>', '|', 'a', 'word ', '#', '```\n');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6000 }), (parts) => {
        const text = parts.join('');
        if (markdownRisk(text) === undefined) expect(() => parse(text)).not.toThrow();
      }),
      { numRuns: 60 },
    );
  });
});

describe('isSafeDataImage', () => {
  it('keeps small raster data: images only', () => {
    expect(isSafeDataImage('data:image/png;base64,iVBORw0KGgo=')).toBe(true);
    expect(isSafeDataImage('data:image/jpeg;base64,/9j/4AAQ')).toBe(true);
    expect(isSafeDataImage('data:image/svg+xml;base64,PHN2Zz4=')).toBe(false);
    expect(isSafeDataImage('data:text/html;base64,PGI+')).toBe(false);
    expect(isSafeDataImage('data:image/png,<svg>')).toBe(false);
    expect(isSafeDataImage('https://example.com/a.png')).toBe(false);
    expect(isSafeDataImage('data:image/png;base64,' + 'A'.repeat(300_000))).toBe(false);
  });
});
