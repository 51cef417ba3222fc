// Python highlighting: highlight.js core with only the Python grammar (keeps the bundle small).
import hljs from 'highlight.js/lib/core';
import python from 'highlight.js/lib/languages/python';

hljs.registerLanguage('python', python);

/** Fills `target` (a <code>) with highlighted Python. hljs escapes the source itself. */
export function highlightPython(target: HTMLElement, source: string): void {
  target.innerHTML = hljs.highlight(source, { language: 'python', ignoreIllegals: true }).value;
  target.classList.add('hljs');
}
