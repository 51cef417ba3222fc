/**
 * HTML to clean Markdown (turndown) for the model, and cutting long Markdown into pages that fit
 * a token budget.
 */
import TurndownService from 'turndown';

/** Elements that are noise to a reader model: edit links, footnote markers, navigation, media. */
const NOISE_CLASSES = ['mw-editsection', 'reference', 'references', 'reflist', 'navbox', 'metadata', 'mw-empty-elt', 'noprint', 'mw-jump-link', 'thumb', 'mw-cite-backlink'];
const NOISE_TAGS = new Set(['style', 'script', 'noscript', 'img', 'figure', 'svg', 'link', 'meta', 'sup', 'button', 'nav', 'iframe']);

function isNoise(node: HTMLElement): boolean {
  if (NOISE_TAGS.has(node.nodeName.toLowerCase())) return true;
  const cls = ` ${node.getAttribute?.('class') ?? ''} `;
  return NOISE_CLASSES.some((c) => cls.includes(` ${c} `));
}

let service: TurndownService | undefined;
function turndown(): TurndownService {
  if (service) return service;
  const s = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  // An added rule, not `remove()`: added rules win over the built-in ones (e.g. images).
  s.addRule('noise', { filter: (node) => isNoise(node as HTMLElement), replacement: () => '' });
  // Links become their text: URLs cost tokens and Wikipedia's are relative anyway.
  s.addRule('linkText', { filter: 'a', replacement: (content) => content });
  // Table cells separated by " | ", one row a line: readable without a table plugin.
  s.addRule('tableCell', { filter: ['th', 'td'], replacement: (content) => ` ${content.replace(/\s+/g, ' ').trim()} |` });
  s.addRule('tableRow', { filter: 'tr', replacement: (content) => `\n|${content}` });
  service = s;
  return s;
}

export function htmlToMarkdown(html: string): string {
  return turndown()
    .turndown(html)
    .replace(/^\|[\s|]*$/gm, '') // table rows left empty by removed images
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Rough tokens -> characters (English text averages about 4 characters a token). */
const CHARS_PER_TOKEN = 4;

/** Cuts Markdown into pages of at most `tokens` (approx.), on paragraph boundaries where possible. */
export function paginate(markdown: string, tokens: number): string[] {
  const max = Math.max(200, tokens * CHARS_PER_TOKEN);
  const pages: string[] = [];
  let buf = '';
  const flush = () => {
    if (buf.trim()) pages.push(buf.trim());
    buf = '';
  };
  for (const para of markdown.split(/\n{2,}/)) {
    if (buf && buf.length + para.length + 2 > max) flush();
    if (para.length > max) {
      for (let i = 0; i < para.length; i += max) {
        buf = para.slice(i, i + max);
        flush();
      }
      continue;
    }
    buf = buf ? `${buf}\n\n${para}` : para;
  }
  flush();
  return pages.length ? pages : [''];
}
