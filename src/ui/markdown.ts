// Markdown for the draft and the final answer, in the page and the widget. Model text is hostile:
// marked parses a bounded head (size, nesting, inline marks; see display-limits.ts), the one
// sanitiser (sanitize.ts) makes the HTML inert, the rest of a long text is plain text on request,
// and any failure falls back to plain text. Never throws.
import { Marked } from 'marked';
import { h } from './dom';
import { MARKDOWN_MAX_CHARS, TEXT_PREVIEW_CHARS, markdownRisk, splitAtBoundary } from './display-limits';
import { longTextBlock, measureRender } from './long-content';
import { sanitizeHtml } from './sanitize';

let parser: Marked | undefined;
function markdownParser(): Marked {
  parser ??= new Marked({ async: false, gfm: true, breaks: false }).use({
    renderer: {
      // Task-list boxes as characters: the sanitiser allows no form controls.
      checkbox({ checked }) {
        return checked ? '☑ ' : '☐ ';
      },
    },
  });
  return parser;
}

function plainNote(reason: string): HTMLElement {
  return h('p', { class: 'render-note' }, `Shown as plain text: ${reason}.`);
}

const restLabel = (hidden: number) => `Show the rest (${hidden.toLocaleString('en-US')} more characters, as plain text)`;

/** Renders model-written Markdown into `target` (its children are replaced). */
export function renderMarkdown(target: Element, text: string): void {
  const start = performance.now();
  const markdown = typeof text === 'string' ? text : String(text ?? '');
  let mode = 'markdown';
  try {
    const [head, rest] = splitAtBoundary(markdown, MARKDOWN_MAX_CHARS);
    const risk = markdownRisk(head);
    const body: Node[] = [];
    if (risk) {
      mode = 'plain';
      body.push(plainNote(risk), longTextBlock(head, TEXT_PREVIEW_CHARS, 'plain-text'));
    } else {
      const html = markdownParser().parse(head) as string;
      body.push(sanitizeHtml(html));
    }
    if (rest) body.push(longTextBlock(rest, 0, 'plain-text markdown-rest', restLabel));
    target.replaceChildren(...body);
  } catch (e) {
    mode = 'fallback';
    const reason = e instanceof RangeError ? 'it is nested too deeply to render' : 'it could not be rendered';
    try {
      target.replaceChildren(plainNote(reason), longTextBlock(markdown, TEXT_PREVIEW_CHARS, 'plain-text'));
    } catch {
      target.textContent = `(${markdown.length.toLocaleString('en-US')} characters that could not be shown)`;
    }
  }
  measureRender('markdown', start, { chars: markdown.length, mode });
}
