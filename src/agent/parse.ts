/**
 * Reading one model turn: `<think>..</think>` then `<code>..</code>` then the end-of-code marker.
 *
 * L0's template names the marker `{{eoc_token}}` and fills it in from its `nbagent` package, which
 * is not in the public repository (cmriat/l0); we use `<end_code>`, the marker of smolagents'
 * CodeAgent whose conventions NB-Agent's prompt follows. It is configurable per run (`eocMarker`).
 * Generation stops at `</code>` or at the marker (stop strings); the context shows the turn with
 * both restored (see context.ts).
 *
 * Where a turn ends:
 * - at the end-of-code marker: anything after it is not part of the turn;
 * - at an invented `<output>`, unless it sits inside the `<think>..</think>` block (a model may
 *   reason about the output it expects);
 * - the code is the first `<code>` block outside the think block, up to its `</code>`. Text after
 *   that is ignored (a turn that runs on after `</code>` until the token limit still runs its
 *   complete code block).
 *
 * Malformed turns never throw: whatever is recoverable is recovered and each deviation from the
 * format is named in `formatErrors` (counted in the trajectory, shown to the model).
 */
import type { FinishReason } from '../protocols';

export const EOC_MARKER = '<end_code>';
export const CODE_CLOSE = '</code>';
const CODE_OPEN = '<code>';
const OUTPUT_OPEN = '<output>';

/** Stop strings for generation: the end of the code block and the end-of-code marker. */
export function stopStrings(eocMarker = EOC_MARKER): string[] {
  return eocMarker === CODE_CLOSE ? [CODE_CLOSE] : [CODE_CLOSE, eocMarker];
}

export interface ParsedStep {
  think: string;
  code: string;
  /**
   * False when the code block was cut off: the turn hit the token limit before the block ended.
   * Such code is not run. (A turn the engine stopped at `</code>` is complete.)
   */
  complete: boolean;
  /** The literal argument of `submit_final_answer(...)` in the code, as a hint for the UI. The answer that counts comes from the sandbox. */
  finalAnswer?: string;
  formatErrors: string[];
}

export interface ParseOptions {
  eocMarker?: string;
  /** How generation ended; 'length' means a code block that did not end was cut off. Default 'stop'. */
  finishReason?: FinishReason;
}

/** A code block located in a turn: where it starts, where its content is, and how it ended. */
interface CodeBlock {
  kind: 'tag' | 'fence';
  start: number;
  contentStart: number;
  contentEnd: number;
  /** Just after the block (after `</code>` or the closing fence), or the end of the turn. */
  end: number;
  /** 'closed' (its own end tag), 'cut' (the marker or an invented <output> ended the turn first), 'open' (the text ended). */
  ending: 'closed' | 'cut' | 'open';
}

export interface TurnLayout {
  /** The turn: the text before the marker and before an invented <output>. */
  head: string;
  /** Where the turn was cut: at the marker or an invented <output> (-1: not cut). */
  cutAt: number;
  cutBy?: 'marker' | 'output';
  /** The first closed `<think>..</think>` block, if any. */
  think?: { start: number; end: number };
  code?: CodeBlock;
}

const FENCE_OPEN = /```[ \t]*[\w+-]*[ \t]*\n/g;
const FENCE_CLOSE = '```';

/** Finds the parts of a turn (shared by the parser and the context's marker restoration). */
export function layoutTurn(text: string, eocMarker = EOC_MARKER): TurnLayout {
  const markerAt = text.indexOf(eocMarker);
  let head = markerAt >= 0 ? text.slice(0, markerAt) : text;
  let cutAt = markerAt;
  let cutBy: TurnLayout['cutBy'] = markerAt >= 0 ? 'marker' : undefined;
  const think = closedThink(head);
  const outside = (i: number) => !think || i < think.start || i >= think.end;
  const outputAt = firstOutside(head, OUTPUT_OPEN, outside);
  if (outputAt >= 0) {
    head = head.slice(0, outputAt);
    cutAt = outputAt;
    cutBy = 'output';
  }
  const ending = (closed: boolean): CodeBlock['ending'] => (closed ? 'closed' : cutAt >= 0 ? 'cut' : 'open');

  const tagAt = firstOutside(head, CODE_OPEN, outside);
  if (tagAt >= 0) {
    const contentStart = tagAt + CODE_OPEN.length;
    const close = head.indexOf(CODE_CLOSE, contentStart);
    const contentEnd = close >= 0 ? close : head.length;
    const end = close >= 0 ? close + CODE_CLOSE.length : head.length;
    return { head, cutAt, cutBy, think, code: { kind: 'tag', start: tagAt, contentStart, contentEnd, end, ending: ending(close >= 0) } };
  }
  for (const m of head.matchAll(FENCE_OPEN)) {
    if (!outside(m.index)) continue;
    const contentStart = m.index + m[0].length;
    const close = head.indexOf(FENCE_CLOSE, contentStart);
    const contentEnd = close >= 0 ? close : head.length;
    const end = close >= 0 ? close + FENCE_CLOSE.length : head.length;
    return { head, cutAt, cutBy, think, code: { kind: 'fence', start: m.index, contentStart, contentEnd, end, ending: ending(close >= 0) } };
  }
  return { head, cutAt, cutBy, think };
}

export function parseStep(text: string, options: ParseOptions = {}): ParsedStep {
  const finishReason = options.finishReason ?? 'stop';
  const formatErrors: string[] = [];
  const { head, code: block, cutBy } = layoutTurn(text, options.eocMarker ?? EOC_MARKER);

  let code = '';
  let complete = false;
  if (block) {
    code = head.slice(block.contentStart, block.contentEnd);
    // An open block at a stop was ended by the `</code>` stop string; at the token limit it was cut off.
    complete = block.ending !== 'open' || finishReason !== 'length';
    if (block.kind === 'tag') {
      if (block.ending === 'cut') formatErrors.push(`unclosed <code> (no </code> before ${cutBy === 'output' ? '<output>' : 'the end-of-code marker'})`);
      const fenced = stripFence(code);
      if (fenced !== undefined) {
        code = fenced;
        formatErrors.push('markdown code fence inside <code>..</code>');
      }
    } else formatErrors.push('markdown code fence instead of <code>..</code>');
    const after = head.slice(block.end);
    const more = block.kind === 'tag' ? countOccurrences(after, CODE_OPEN) : [...after.matchAll(FENCE_OPEN)].length;
    if (more > 0) formatErrors.push(`${more + 1} ${block.kind === 'tag' ? '<code>' : 'code'} blocks; only the first one ran`);
    else if (after.trim()) formatErrors.push(`text after ${block.kind === 'tag' ? '</code>' : 'the code block'} was ignored`);
  }
  code = stripBlankEdges(code);
  if (!code.trim()) formatErrors.push(!block ? 'no code: prose only' : 'empty code');

  // Think: the <think> block; else the prose before the code.
  const before = block ? head.slice(0, block.start) : head;
  let think: string;
  const thinks = tagBlocks(before, 'think');
  if (thinks.length > 0) {
    think = thinks[0].content.trim();
    if (!thinks[0].closed) formatErrors.push('unclosed <think>');
    if (thinks.length > 1) formatErrors.push(`${thinks.length} <think> blocks`);
  } else {
    think = before.trim();
    formatErrors.push('missing <think>');
  }
  if (thinks.length > 0 && !think) formatErrors.push('empty <think>');

  const finalAnswer = literalFinalAnswer(code);
  return finalAnswer === undefined ? { think, code, complete, formatErrors } : { think, code, complete, finalAnswer, formatErrors };
}

function closedThink(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf('<think>');
  if (start < 0) return undefined;
  const close = text.indexOf('</think>', start);
  return close < 0 ? undefined : { start, end: close + '</think>'.length };
}

function firstOutside(text: string, needle: string, outside: (i: number) => boolean): number {
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) if (outside(i)) return i;
  return -1;
}

function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * The code inside a Markdown fence written within `<code>..</code>` (```python ... ```), or
 * undefined when the code does not start with a fence line. Only a leading fence counts: a fence
 * inside a string further down is legitimate Python.
 */
function stripFence(code: string): string | undefined {
  const open = /^\s*```[ \t]*[\w+-]*[ \t]*\n/.exec(code);
  if (!open) return undefined;
  return code.slice(open[0].length).replace(/(^|\n)[ \t]*```[ \t]*\s*$/, '$1');
}

interface TagBlock {
  start: number;
  content: string;
  closed: boolean;
}

/** `<tag>..</tag>` blocks in order; an unclosed last block runs to the end of the text. */
function tagBlocks(text: string, tag: string): TagBlock[] {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const out: TagBlock[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(open, from);
    if (start < 0) return out;
    const contentStart = start + open.length;
    const end = text.indexOf(close, contentStart);
    if (end < 0) {
      out.push({ start, content: text.slice(contentStart), closed: false });
      return out;
    }
    out.push({ start, content: text.slice(contentStart, end), closed: true });
    from = end + close.length;
  }
}

/** Drops leading/trailing blank lines but keeps the indentation of the first code line. */
function stripBlankEdges(code: string): string {
  return code.replace(/^\s*\n/, '').replace(/\s+$/, '');
}

const STRING_LITERAL = String.raw`("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|-?\d+(?:\.\d+)?)`;
const SUBMIT_CALL = new RegExp(String.raw`submit_final_answer\(\s*(?:answer\s*=\s*)?` + STRING_LITERAL + String.raw`\s*\)`);

/** The literal argument of submit_final_answer(...), when it is a plain string or number literal. */
export function literalFinalAnswer(code: string): string | undefined {
  const m = SUBMIT_CALL.exec(code);
  if (!m) return undefined;
  const lit = m[1];
  if (/^-?\d/.test(lit)) return lit;
  if (lit.startsWith('"""') || lit.startsWith("'''")) return lit.slice(3, -3);
  return unescapePython(lit.slice(1, -1));
}

function unescapePython(s: string): string {
  return s.replace(/\\(n|t|r|\\|'|")/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

// ---------------------------------------------------------------------------------------------
// Streaming: think and code deltas while the tokens arrive.
// ---------------------------------------------------------------------------------------------

/**
 * Incremental view of a turn being generated. `push(delta)` returns the new think and code text
 * since the last call. Text that could be the start of a tag is held back until it is decided,
 * so deltas never contain tag fragments. The final `parseStep` is authoritative.
 */
export function createStreamParser(eocMarker = EOC_MARKER): { push(delta: string): { think: string; code: string } } {
  const held = ['<think>', '</think>', CODE_OPEN, CODE_CLOSE, eocMarker, OUTPUT_OPEN, '```'];
  const longest = Math.max(...held.map((t) => t.length));
  let buffer = '';
  let thinkSent = 0;
  let codeSent = 0;
  return {
    push(delta: string) {
      buffer += delta;
      const view = streamView(holdBackPartialTag(buffer, held, longest), eocMarker);
      const out = { think: view.think.slice(thinkSent), code: view.code.slice(codeSent) };
      // Only ever append: a view that shrank (e.g. prose re-read as code) emits nothing new.
      if (view.think.length > thinkSent) thinkSent = view.think.length;
      else out.think = '';
      if (view.code.length > codeSent) codeSent = view.code.length;
      else out.code = '';
      return out;
    },
  };
}

function holdBackPartialTag(text: string, held: string[], longest: number): string {
  for (let k = Math.min(text.length, longest); k > 0; k--) {
    const tail = text.slice(-k);
    if (held.some((t) => t.startsWith(tail))) return text.slice(0, -k);
    if (/^```\w*$/.test(tail)) return text.slice(0, -k); // a fence and its language, before the newline
  }
  return text;
}

function streamView(text: string, eocMarker: string): { think: string; code: string } {
  const { head, code: block } = layoutTurn(text, eocMarker);
  const before = block ? head.slice(0, block.start) : head;
  const thinkAt = before.indexOf('<think>');
  const think = thinkAt >= 0 ? before.slice(thinkAt + 7).split('</think>')[0] : before;
  let code = block ? head.slice(block.contentStart, block.contentEnd) : '';
  const fence = block?.kind === 'tag' ? /^\s*```[ \t]*[\w+-]*[ \t]*\n/.exec(code) : null;
  if (fence) code = code.slice(fence[0].length).split('```')[0];
  return { think: think.replace(/^\s+/, ''), code: code.replace(/^\s*\n/, '') };
}
