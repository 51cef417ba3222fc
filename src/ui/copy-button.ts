// A Copy button (Clipboard API), shared by the cells, the answer and the widget: a real button (Tab,
// Enter, Space), a visible "Copied ✓" for two seconds, and the same news for screen readers in a
// polite live region. Its accessible name stays the same while the text says "Copied".
import { h } from './dom';

const SHOWN_MS = 2000;

export function copyButton(label: string, text: () => string): HTMLElement {
  const button = h('button', { type: 'button', class: 'small-button copy-button', 'aria-label': label }, label);
  const news = h('span', { class: 'visually-hidden', role: 'status' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const say = (shown: string, copied: boolean) => {
    button.textContent = shown;
    button.classList.toggle('copied', copied);
    news.textContent = shown;
    clearTimeout(timer);
    timer = setTimeout(() => {
      button.textContent = label;
      button.classList.remove('copied');
      news.textContent = '';
    }, SHOWN_MS);
  };
  button.addEventListener('click', () => {
    // Clipboard access needs a secure context (https or localhost) and the user's click.
    // (navigator.clipboard is missing on an insecure origin, whatever its type says.)
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return say('Copy failed', false);
    clipboard.writeText(text()).then(
      () => say('Copied ✓', true),
      () => say('Copy failed', false),
    );
  });
  return h('span', { class: 'copy-wrap' }, button, news);
}
