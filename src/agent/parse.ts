/**
 * Reading one model turn: `<think>..</think>` then `<code>..</code>` then the end-of-code marker.
 *
 * L0's template names the marker `{{eoc_token}}` and fills it in from its `nbagent` package, which
 * is not in the public repository (cmriat/l0); we use `<end_code>`, the marker of smolagents'
 * CodeAgent whose conventions NB-Agent's prompt follows. The engine stops on it (stop string).
 *
 * Malformed turns never throw: whatever is recoverable is recovered and each deviation from the
 * format is named in `formatErrors` (counted in the trajectory, shown to the model when no code ran).
 */

export const EOC_MARKER = '<end_code>';
/** Stop strings for generation: the marker, and `<output>` so a model cannot invent its observation. */
export const STOP_STRINGS = [EOC_MARKER, '<output>'];

export interface ParsedStep {
  think: string;
  code: string;
  /** The literal argument of `submit_final_answer(...)` in the code, as a hint for the UI. The answer that counts comes from the sandbox. */
  finalAnswer?: string;
  formatErrors: string[];
}

const FENCE = /```[ \t]*(?:python|py|python3)?[ \t]*\n([\s\S]*?)(?:```|$)/g;

export function parseStep(text: string): ParsedStep {
  const formatErrors: string[] = [];
  // Anything after the marker (or an invented <output>) is not part of the turn.
  const body = text.split(EOC_MARKER)[0].split('<output>')[0];

  // Code: <code> blocks first, markdown fences as a fallback.
  let code = '';
  let codeStart = -1;
  const blocks = tagBlocks(body, 'code');
  if (blocks.length > 0) {
    code = blocks[0].content;
    codeStart = blocks[0].start;
    if (!blocks[0].closed) formatErrors.push('unclosed <code> (no </code> before the end-of-code marker)');
    if (blocks.length > 1) formatErrors.push(`${blocks.length} <code> blocks; only the first one ran`);
  } else {
    const fences = [...body.matchAll(FENCE)];
    if (fences.length > 0) {
      code = fences[0][1];
      codeStart = fences[0].index ?? 0;
      formatErrors.push('markdown code fence instead of <code>..</code>');
      if (fences.length > 1) formatErrors.push(`${fences.length} code blocks; only the first one ran`);
    }
  }
  code = stripBlankEdges(code);
  if (!code.trim()) formatErrors.push(codeStart < 0 ? 'no code: prose only' : 'empty code');

  // Think: the <think> block; else the prose before the code.
  let think = '';
  const thinks = tagBlocks(codeStart >= 0 ? body.slice(0, codeStart) : body, 'think');
  if (thinks.length > 0) {
    think = thinks[0].content.trim();
    if (!thinks[0].closed) formatErrors.push('unclosed <think>');
    if (thinks.length > 1) formatErrors.push(`${thinks.length} <think> blocks`);
  } else {
    think = (codeStart >= 0 ? body.slice(0, codeStart) : body).trim();
    formatErrors.push('missing <think>');
  }
  if (thinks.length > 0 && !think) formatErrors.push('empty <think>');

  const finalAnswer = literalFinalAnswer(code);
  return finalAnswer === undefined ? { think, code, formatErrors } : { think, code, finalAnswer, formatErrors };
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

const HELD_TAGS = ['<think>', '</think>', '<code>', '</code>', EOC_MARKER, '<output>', '```'];

/**
 * Incremental view of a turn being generated. `push(delta)` returns the new think and code text
 * since the last call. Text that could be the start of a tag is held back until it is decided,
 * so deltas never contain tag fragments. The final `parseStep` is authoritative.
 */
export function createStreamParser(): { push(delta: string): { think: string; code: string } } {
  let buffer = '';
  let thinkSent = 0;
  let codeSent = 0;
  return {
    push(delta: string) {
      buffer += delta;
      const view = streamView(holdBackPartialTag(buffer));
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

function holdBackPartialTag(text: string): string {
  for (let k = Math.min(text.length, 12); k > 0; k--) {
    const tail = text.slice(-k);
    if (HELD_TAGS.some((t) => t.startsWith(tail))) return text.slice(0, -k);
    if (/^```\w*$/.test(tail)) return text.slice(0, -k); // a fence and its language, before the newline
  }
  return text;
}

function streamView(text: string): { think: string; code: string } {
  const body = text.split(EOC_MARKER)[0].split('<output>')[0];
  const codeAt = body.indexOf('<code>');
  const fence = codeAt < 0 ? /```[ \t]*\w*[ \t]*\n/.exec(body) : null;
  const codeStart = codeAt >= 0 ? codeAt : fence ? fence.index : -1;
  const head = codeStart >= 0 ? body.slice(0, codeStart) : body;
  const thinkAt = head.indexOf('<think>');
  const think = thinkAt >= 0 ? head.slice(thinkAt + 7).split('</think>')[0] : head;
  let code = '';
  if (codeAt >= 0) code = body.slice(codeAt + 6).split('</code>')[0];
  else if (fence) code = body.slice(fence.index + fence[0].length).split('```')[0];
  return { think: think.replace(/^\s+/, ''), code: code.replace(/^\s*\n/, '') };
}
