// How much model-written text the UI renders at once, and when Markdown is too risky to parse.
// Pure functions (no DOM), shared by the page and the widget, unit-tested in Node.
//
// Why: `marked` recurses per nesting level (a few thousand `>` or list markers overflow the stack),
// its emphasis and list handling is super-linear (20,000 characters of `_a_a…` take over a second,
// a 1,000-level nested list over ten), and the browser lays out whatever we insert. Model text is
// hostile, so every renderer works on a bounded prefix and shows the rest on request, in chunks.

/** Characters of one text parsed as Markdown; the rest is shown as plain text on request. */
export const MARKDOWN_MAX_CHARS = 20_000;
/** Deepest nesting of block quotes and list items that is parsed as Markdown (32 levels parse in ~ms). */
const MARKDOWN_MAX_DEPTH = 32;
/** Most emphasis, strike, code and link marks (`* _ ~ \` [ ]`) outside code fences in one Markdown text. */
const MARKDOWN_MAX_INLINE_MARKS = 2_000;
/** Most such marks in one run of inline text (a paragraph, or a line that starts a block): marked's
 * delimiter handling is quadratic per run (1,300 `*em*` marks in one paragraph take ~90 ms, 20,000
 * `_a` marks over a second); 400 keep each run to a few ms and the whole text to tens of ms. */
const MARKDOWN_MAX_RUN_MARKS = 400;
/** Characters of a plain text shown before "Show all" (thinking, code, draft remainder). */
export const TEXT_PREVIEW_CHARS = 20_000;
/** Characters per chunk when "Show all" reveals a long text (one chunk per task, so input stays responsive). */
export const TEXT_CHUNK_CHARS = 50_000;
/** Characters of one list item (a fact, a todo) shown before its own "Show all". */
export const ITEM_PREVIEW_CHARS = 2_000;
/** List items (facts, todos) rendered before "Show all". */
export const LIST_PREVIEW_ITEMS = 100;
/** List items appended per task once "Show all" was pressed. */
export const LIST_BATCH_ITEMS = 500;
/** Saved cells rendered per task when a session is opened. */
export const CELL_BATCH = 20;
/** Code longer than this is shown as plain text instead of highlighted. */
export const HIGHLIGHT_MAX_CHARS = 20_000;
/** Largest `data:` image URL kept inline (bigger ones are dropped). */
const DATA_IMAGE_MAX_CHARS = 200_000;

/**
 * Splits `text` into a head of at most `max` characters and the rest, cutting after a blank line
 * or a line break in the second half of the window when there is one (so Markdown blocks and text
 * lines stay whole), else exactly at `max`.
 */
export function splitAtBoundary(text: string, max: number): [head: string, rest: string] {
  if (text.length <= max) return [text, ''];
  const floor = Math.floor(max / 2);
  // Searched in the window only: lastIndexOf on a 20 MB string costs tens of ms.
  const window = text.slice(0, max);
  let cut = window.lastIndexOf('\n\n');
  if (cut >= floor) cut += 2;
  else {
    cut = window.lastIndexOf('\n');
    cut = cut >= floor ? cut + 1 : max;
  }
  // Never split a UTF-16 surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return [text.slice(0, cut), text.slice(cut)];
}

/** Splits a long text into display chunks (each at most `size` characters, cut at line breaks when possible). */
export function* textChunks(text: string, size = TEXT_CHUNK_CHARS): Generator<string> {
  let rest = text;
  while (rest.length > size) {
    const [head, tail] = splitAtBoundary(rest, size);
    yield head;
    rest = tail;
  }
  if (rest) yield rest;
}

const LIST_MARKER = /^(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)/;
const FENCE = /^ {0,3}(?:`{3,}|~{3,})/;

const BLOCK_START = /^ {0,3}(?:#{1,6}(?:[ \t]|$)|\|)/;

/** Emphasis, strike, code and link marks in a line: `* _ ~ \` [ ]`. */
function inlineMarks(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 42 || c === 95 || c === 126 || c === 96 || c === 91 || c === 93) n += 1;
  }
  return n;
}

/** Nesting depth of one line's container prefix: `>` quotes and list markers, plus indentation of a list item. */
function lineDepth(line: string): number {
  let depth = 0;
  let i = 0;
  let indent = 0;
  for (;;) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) {
      indent += line[i] === '\t' ? 4 : 1;
      i += 1;
    }
    if (line[i] === '>') {
      depth += 1;
      i += 1;
      continue;
    }
    const m = LIST_MARKER.exec(line.slice(i, i + 12));
    if (!m) break;
    depth += 1;
    i += m[0].length;
  }
  // A nested list item is indented about two columns per level.
  return depth > 0 ? depth + Math.floor(indent / 2) : 0;
}

/**
 * Why `markdown` should not be parsed as Markdown (too deeply nested, or too many inline marks),
 * or undefined when it is safe to parse. Linear in the text; call it on the bounded head only.
 */
export function markdownRisk(markdown: string): string | undefined {
  let marks = 0;
  let runMarks = 0;
  let inFence = false;
  let start = 0;
  while (start <= markdown.length) {
    let end = markdown.indexOf('\n', start);
    if (end < 0) end = markdown.length;
    const line = markdown.slice(start, end);
    start = end + 1;
    if (FENCE.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const depth = lineDepth(line);
    if (depth > MARKDOWN_MAX_DEPTH) return `it is nested more than ${MARKDOWN_MAX_DEPTH} levels deep`;
    // A blank line ends an inline run; a line that opens a block (quote, list item, heading, table
    // row) starts a new one; any other line continues the paragraph.
    if (!line.trim() || depth > 0 || BLOCK_START.test(line)) runMarks = 0;
    const lineMarks = inlineMarks(line);
    marks += lineMarks;
    runMarks += lineMarks;
    if (runMarks > MARKDOWN_MAX_RUN_MARKS) return `one paragraph has more than ${MARKDOWN_MAX_RUN_MARKS} emphasis and link marks`;
    if (marks > MARKDOWN_MAX_INLINE_MARKS) return `it has more than ${MARKDOWN_MAX_INLINE_MARKS.toLocaleString('en-US')} emphasis and link marks`;
  }
  return undefined;
}

/** `data:` image URLs kept inline: raster types only (no SVG), base64, size-capped. */
export function isSafeDataImage(url: string): boolean {
  return url.length <= DATA_IMAGE_MAX_CHARS && /^data:image\/(?:png|gif|jpeg|webp|avif);base64,[a-z0-9+/]+={0,2}$/i.test(url.trim());
}
