// The one sanitiser for model-written HTML (Markdown output), shared by the page and the widget.
// The widget lives under its host's CSP (maybe none), so what is rendered must be inert by itself:
// nothing may load a resource, restyle anything outside its box, submit, or clobber globals.
// DOMPurify does the parsing and walking (in an inert document, so nothing loads while it works);
// this file is only its configuration and three hooks.
import DOMPurify, { type Config, type DOMPurify as Purifier, type UponSanitizeAttributeHookEvent } from 'dompurify';
import { isSafeDataImage } from './display-limits';

/** Elements Markdown produces, plus harmless inline HTML a model may write. No forms, media, frames,
 * SVG/MathML, `<style>`, `<link>`, `<meta>`, `<base>`. */
const ALLOWED_TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre',
  'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span', 'strong', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot',
  'th', 'thead', 'tr', 'u', 'ul', 'var', 'wbr',
];

/** Attributes, each on the elements it is allowed on. No `style`, `class`, `id`, `name`, event
 * handlers, `srcset`, `poster`, `background`, sizes, `data-*` or `aria-*`. */
const ATTRIBUTES_ON: Record<string, ReadonlySet<string>> = {
  href: new Set(['A']),
  src: new Set(['IMG']), // and only a safe data: image, see the hook
  alt: new Set(['IMG']),
  title: new Set(['A', 'ABBR', 'DFN']),
  start: new Set(['OL']),
  open: new Set(['DETAILS']),
  align: new Set(['TH', 'TD']), // GFM table column alignment
  lang: new Set(ALLOWED_TAGS.map((t) => t.toUpperCase())),
};

const CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: Object.keys(ATTRIBUTES_ON),
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // http(s), mailto and relative URLs; data: only where DOMPurify allows it (img), then our check.
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  SANITIZE_DOM: true,
  RETURN_DOM_FRAGMENT: true,
};

let purifier: Purifier | undefined;
/** `src` of images that were not a safe data: image, by element (read once the walk is done). */
let droppedImageSources = new WeakMap<Element, string>();

function keepAttribute(node: Element, data: UponSanitizeAttributeHookEvent): void {
  const allowedOn = ATTRIBUTES_ON[data.attrName];
  if (!allowedOn?.has(node.nodeName)) {
    data.keepAttr = false;
    return;
  }
  const value = data.attrValue;
  if (data.attrName === 'src' && !isSafeDataImage(value)) {
    droppedImageSources.set(node, value);
    data.keepAttr = false;
  } else if (data.attrName === 'align' && !/^(?:left|center|right)$/i.test(value)) data.keepAttr = false;
  else if (data.attrName === 'start' && !/^\d{1,6}$/.test(value)) data.keepAttr = false;
}

function getPurifier(): Purifier {
  if (purifier) return purifier;
  // Our own instance: these hooks never touch another DOMPurify user on the page (an embedder's).
  const p = DOMPurify(window);
  p.addHook('uponSanitizeAttribute', keepAttribute);
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A' || !node.hasAttribute('href')) return;
    // Links open in a new tab, never get the opener or a referrer, and show where they go.
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('title', node.getAttribute('href')!);
  });
  purifier = p;
  return p;
}

/** The host a URL points to, resolved against the document (relative URLs load from it too). */
function hostOf(url: string): { href: string; host: string } | undefined {
  try {
    const u = new URL(url, document.baseURI);
    return u.protocol === 'http:' || u.protocol === 'https:' ? { href: u.href, host: u.host } : undefined;
  } catch {
    return undefined;
  }
}

/** What replaces an image that would load from the network: a link the reader may click, never a fetch. */
function imageStandIn(src: string | undefined, alt: string, insideLink: boolean): HTMLElement {
  const target = src ? hostOf(src) : undefined;
  const label = `Image ${alt ? `“${alt}” ` : ''}from ${target ? target.host : 'another site'}`;
  if (!target || insideLink) {
    const span = document.createElement('span');
    span.className = 'remote-image';
    span.textContent = `[${label}, not loaded]`;
    return span;
  }
  const a = document.createElement('a');
  a.className = 'remote-image';
  a.href = target.href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.title = target.href;
  a.textContent = `${label} — click to open`;
  return a;
}

/**
 * Sanitises model-written HTML into an inert fragment: allowed elements and attributes only, links
 * that open safely, images that would load from anywhere turned into links to click. The fragment
 * still belongs to DOMPurify's inert document until the caller inserts it.
 */
export function sanitizeHtml(html: string): DocumentFragment {
  const p = getPurifier();
  droppedImageSources = new WeakMap();
  const fragment = p.sanitize(html, CONFIG);
  for (const img of fragment.querySelectorAll('img')) {
    if (img.hasAttribute('src')) continue; // a safe data: image
    img.replaceWith(imageStandIn(droppedImageSources.get(img), img.getAttribute('alt') ?? '', !!img.parentElement?.closest('a')));
  }
  return fragment;
}
