// Markdown for the draft and the final answer: marked renders, DOMPurify cleans (model text is untrusted).
import { marked } from 'marked';
import DOMPurify from 'dompurify';

export function renderMarkdown(target: Element, markdown: string): void {
  const html = marked.parse(markdown, { async: false, gfm: true, breaks: false }) as string;
  const clean = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
  target.innerHTML = clean;
  // Links written by the model open in a new tab and never get the opener.
  for (const a of target.querySelectorAll('a')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  }
}
