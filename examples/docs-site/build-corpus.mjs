// Builds corpus.json (the agent's search corpus) from this site's HTML pages: one document per
// section (the text under each <h2>, plus the page's introduction), so a search hit points at
// the part of a page that answers the question. Run: node examples/docs-site/build-corpus.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
function decode(s) {
  return s.replace(/&(#x?[0-9a-f]+|\w+);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

/** Visible text of an HTML fragment: block ends become line breaks, tags go, entities decode. */
export function textOf(html) {
  return decode(
    html
      .replace(/<(br|\/p|\/li|\/tr|\/pre|\/h\d|\/table|\/ul|\/ol)\b[^>]*>/gi, '\n')
      .replace(/<\/t[dh]>/gi, ' | ')
      .replace(/<[^>]+>/g, ''),
  )
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function sectionsOf(file, html) {
  const main = /<main>([\s\S]*?)<\/main>/i.exec(html)?.[1] ?? '';
  const pageTitle = textOf(/<h1>([\s\S]*?)<\/h1>/i.exec(main)?.[1] ?? file);
  const page = file.replace(/\.html$/, '');
  const parts = main.replace(/<h1>[\s\S]*?<\/h1>/i, '').split(/<h2\b[^>]*>/i);
  const docs = [];
  parts.forEach((part, i) => {
    let heading = '';
    let body = part;
    if (i > 0) {
      const end = part.search(/<\/h2>/i);
      heading = textOf(part.slice(0, end));
      body = part.slice(end + 5);
    }
    const text = textOf(body);
    if (!text) return;
    docs.push({
      id: heading ? `${page}#${slug(heading)}` : page,
      title: heading ? `${pageTitle} — ${heading}` : pageTitle,
      url: heading ? `${file}#${slug(heading)}` : file,
      text,
    });
  });
  return docs;
}

/** The corpus of all pages of the site, as corpus.json holds it. */
export function buildCorpus() {
  const files = readdirSync(here).filter((f) => f.endsWith('.html')).sort();
  return files.flatMap((f) => sectionsOf(f, readFileSync(join(here, f), 'utf8')));
}

export const corpusJson = (corpus) => JSON.stringify(corpus, null, 1) + '\n';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const corpus = buildCorpus();
  writeFileSync(join(here, 'corpus.json'), corpusJson(corpus));
  console.log(`corpus.json: ${corpus.length} documents`);
}
