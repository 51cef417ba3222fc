// Rich outputs under a cell (display(), matplotlib figures, a DataFrame as the last value), in the
// page and the widget. What Python sends is hostile like any model-written text: HTML goes through
// the one sanitiser (tables yes; scripts, styles, event handlers, remote loads no), SVG is shown
// only as an image (an SVG inside <img> runs no script and loads nothing), PNG/JPEG as <img> from a
// data: URL built here from checked base64, and everything is size-capped; what is too big to render
// is shown as its text form. The model never sees any of this: it reads text/plain (agent/context.ts).
import { shownMime, type CellOutput } from '../protocols';
import { h } from './dom';
import { TEXT_PREVIEW_CHARS } from './display-limits';
import { longTextBlock } from './long-content';
import { renderMarkdown } from './markdown';
import { sanitizeHtml } from './sanitize';

/** Characters of HTML sanitised and rendered (pandas shows 60 rows by default: well under this). */
const RICH_HTML_MAX_CHARS = 500_000;
/** Characters of an image's base64 (about 3 MB) or an SVG's text rendered as an image. */
const RICH_IMAGE_MAX_CHARS = 4 * 2 ** 20;
/** Outputs rendered per cell (the sandbox keeps at most 50). */
const RICH_OUTPUTS_SHOWN = 50;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function note(text: string): HTMLElement {
  return h('p', { class: 'render-note' }, text);
}

function plain(output: CellOutput): HTMLElement {
  return longTextBlock(String(output.data['text/plain'] ?? ''), TEXT_PREVIEW_CHARS, 'rich-text');
}

function image(src: string, output: CellOutput, mime: string): HTMLElement {
  const size = output.metadata?.[mime];
  const alt = String(output.data['text/plain'] ?? '').slice(0, 200) || mime;
  const img = h('img', { class: 'rich-image', alt, decoding: 'async', ...(size?.width && size?.height ? { width: size.width, height: size.height } : {}) });
  img.src = src;
  return img;
}

/** The element showing one output in its richest safe form (never throws for any data). */
function renderRichOutput(output: CellOutput): HTMLElement {
  const box = h('div', { class: 'rich-output' });
  const data = output && typeof output.data === 'object' && output.data ? output.data : {};
  const safe: CellOutput = { type: output?.type === 'execute_result' ? 'execute_result' : 'display_data', data, metadata: output?.metadata };
  const mime = shownMime(safe);
  const value = mime ? String(data[mime]) : '';
  box.dataset.mime = mime ?? 'text/plain';
  try {
    if (mime === 'text/html' && value.length <= RICH_HTML_MAX_CHARS) {
      box.append(h('div', { class: 'rich-html' }, sanitizeHtml(value)));
    } else if (mime === 'text/markdown' && value.length <= RICH_HTML_MAX_CHARS) {
      const md = h('div', { class: 'markdown rich-markdown' });
      renderMarkdown(md, value);
      box.append(md);
    } else if (mime === 'image/svg+xml' && value.length <= RICH_IMAGE_MAX_CHARS) {
      box.append(image(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(value)}`, safe, mime));
    } else if ((mime === 'image/png' || mime === 'image/jpeg') && value.length <= RICH_IMAGE_MAX_CHARS && BASE64.test(value)) {
      box.append(image(`data:${mime};base64,${value}`, safe, mime));
    } else if (mime === 'application/json' && value.length <= RICH_HTML_MAX_CHARS) {
      let text = value;
      try {
        text = JSON.stringify(JSON.parse(value), null, 2);
      } catch {
        /* shown as sent */
      }
      box.append(longTextBlock(text, TEXT_PREVIEW_CHARS, 'rich-text rich-json'));
    } else {
      if (mime) box.append(note(`Shown as text: the ${mime} output is too large or malformed to render.`));
      box.append(plain(safe));
    }
  } catch {
    box.replaceChildren(note('Shown as text: the output could not be rendered.'), plain(safe));
  }
  return box;
}

/** The outputs of a cell, in order, the first RICH_OUTPUTS_SHOWN of them. */
export function renderRichOutputs(outputs: readonly CellOutput[]): HTMLElement[] {
  const list = Array.isArray(outputs) ? outputs : [];
  const els = list.slice(0, RICH_OUTPUTS_SHOWN).map(renderRichOutput);
  if (list.length > RICH_OUTPUTS_SHOWN) els.push(note(`${list.length - RICH_OUTPUTS_SHOWN} more outputs are not shown.`));
  return els;
}
