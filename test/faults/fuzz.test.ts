// Property-based fuzzing (fast-check) of the two places where untrusted text crosses a boundary:
// the model-output parser (parseStep) and the notepad's JSON boundary between Python and the host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseStep, EOC_MARKER } from '../../src/agent/parse';
import { createPyodideSandbox } from '../../src/sandbox/index';
import type { NotepadState, Sandbox } from '../../src/protocols';

const TAGS = ['<think>', '</think>', '<code>', '</code>', EOC_MARKER, '<output>', '</output>', '```python\n', '```', '\n'];
/** Model-ish text: fragments of the format mixed with arbitrary Unicode. */
const modelText = fc
  .array(fc.oneof(fc.constantFrom(...TAGS), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('print(1)', 'x = "</code>"', 'submit_final_answer("a")')), { maxLength: 30 })
  .map((parts) => parts.join(''));

describe('parseStep fuzz', () => {
  it('never throws and always returns well-typed data', () => {
    fc.assert(
      fc.property(fc.oneof(modelText, fc.string({ unit: 'binary', maxLength: 2000 })), (text) => {
        const p = parseStep(text);
        expect(typeof p.think).toBe('string');
        expect(typeof p.code).toBe('string');
        expect(Array.isArray(p.formatErrors)).toBe(true);
        for (const e of p.formatErrors) expect(typeof e).toBe('string');
        if (p.finalAnswer !== undefined) expect(typeof p.finalAnswer).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  it('never runs code the model wrote after the end-of-code marker or an invented <output>', () => {
    fc.assert(
      fc.property(modelText, fc.constantFrom(EOC_MARKER, '<output>'), fc.string({ minLength: 1, maxLength: 50 }), (before, cut, after) => {
        const marker = `INJECTED_${after.length}_${Math.abs(hash(after))}`;
        const p = parseStep(`${before}${cut}<code>${marker}</code>`);
        if (!before.includes(marker)) expect(p.code).not.toContain(marker);
      }),
      { numRuns: 2000 },
    );
  });

  it('extracts a well-formed block exactly', () => {
    const safe = fc.string({ maxLength: 200 }).filter((s) => !/[<`]/.test(s) && s.trim() === s && !s.includes('\n\n'));
    fc.assert(
      fc.property(safe.filter((s) => s.length > 0), safe.filter((s) => s.length > 0), (think, code) => {
        const p = parseStep(`<think>${think}</think>\n<code>\n${code}\n</code>\n${EOC_MARKER}`);
        expect(p.code).toBe(code);
        expect(p.think).toBe(think.trim());
        expect(p.formatErrors).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.codePointAt(0)!) | 0;
  return h;
}

describe('notepad JSON boundary fuzz (real Pyodide)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createPyodideSandbox({ timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await sb?.dispose();
  });

  // Well-formed Unicode (lone surrogates cannot cross UTF-8), including quotes, backslashes,
  // NULs, tags the prompt uses, and long strings.
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => s.isWellFormed()),
    fc.constantFrom('</output>', '"}]', '\\', '\u0000', '\u2028', '${x}', "'''", '"""', 'x'.repeat(5000)),
  );
  const notepadState: fc.Arbitrary<NotepadState> = fc.record({
    todos: fc.array(fc.record({ text, done: fc.boolean() }), { maxLength: 6 }),
    facts: fc.array(text, { maxLength: 6 }),
    draft: text,
  });

  it('setNotepad -> Python -> getNotepad round-trips any state', async () => {
    await fc.assert(
      fc.asyncProperty(notepadState, async (state) => {
        await sb.setNotepad(state);
        expect(await sb.getNotepad()).toEqual(state);
      }),
      { numRuns: 60 },
    );
  });

  it('whatever Python writes into the notepad comes back as a valid NotepadState', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 5 }), text, async (facts, draft) => {
        await sb.setNotepad({ todos: [], facts: [], draft: '' });
        const r = await sb.runCell(
          `import json\nnotepad.add_facts(json.loads(${JSON.stringify(JSON.stringify(facts))}))\nnotepad.write_draft(json.loads(${JSON.stringify(JSON.stringify(draft))}))\nnotepad.add_todo(json.loads(${JSON.stringify(JSON.stringify(facts))}))`,
        );
        expect(r.status).toBe('ok');
        const np = await sb.getNotepad();
        expect(np).toEqual(r.notepad);
        expect(np.draft).toBe(draft);
        // The runtime keeps non-empty items, stripped.
        const kept = facts.map((f) => f.trim()).filter(Boolean);
        expect(np.facts).toEqual(kept);
        expect(np.todos.map((t) => t.text)).toEqual(kept);
        expect(JSON.parse(JSON.stringify(np))).toEqual(np);
      }),
      { numRuns: 40 },
    );
  });
});
