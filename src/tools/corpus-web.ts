/**
 * A local corpus behind the web tools' names: `web_search(query)` and
 * `get_webpage_in_markdown(url)` as L0's checkpoints were trained with, over documents searched
 * offline (the eval's per-question paragraphs, a corpus file). Results have the web tools' shape:
 * search hits are `{title, url, snippet}`, a page is Markdown with a `# Title` head and
 * `[page i of n]` paging, because the same `webSearchTool` / `getWebpageTool` serve them.
 *
 * A document's URL is its own `url` when it has one, else `corpus://<id>`. The reader also accepts
 * a bare document id (for the eval's HotpotQA paragraphs, the title), so a model that passes
 * `r["title"]` still reads the page.
 */
import type { CorpusDocument, CorpusSource } from './corpus';
import { toolError } from './errors';
import type { PageReader, SearchProvider } from './web';

const SCHEME = 'corpus://';

function corpusUrl(doc: Pick<CorpusDocument, 'id' | 'url'>): string {
  return doc.url ?? `${SCHEME}${encodeURIComponent(doc.id)}`;
}

export interface CorpusWeb {
  search: SearchProvider;
  reader: PageReader;
}

const made = new WeakMap<CorpusSource, CorpusWeb>();

/** Search and page reading over one corpus (one pair per corpus: they share which URL is which document). */
export function corpusAsWeb(corpus: CorpusSource): CorpusWeb {
  let web = made.get(corpus);
  if (!web) made.set(corpus, (web = makeCorpusWeb(corpus)));
  return web;
}

function makeCorpusWeb(corpus: CorpusSource): CorpusWeb {
  // Documents with their own URL are found again by it; the others carry their id in the URL.
  const idByUrl = new Map<string, string>();
  const idOf = (url: string): string => {
    const known = idByUrl.get(url);
    if (known !== undefined) return known;
    if (!url.startsWith(SCHEME)) return url;
    try {
      return decodeURIComponent(url.slice(SCHEME.length));
    } catch {
      return url.slice(SCHEME.length);
    }
  };

  const search: SearchProvider = {
    name: 'local document collection, offline',
    async search(query, k) {
      const hits = await corpus.search(query, k);
      return hits.map((h) => {
        const url = corpusUrl(h);
        idByUrl.set(url, h.id);
        return { title: h.title, url, snippet: h.snippet };
      });
    },
  };

  const reader: PageReader = {
    name: 'local document collection',
    // Anything that is not another site's page may name a document: the read says if it does not.
    canRead: (url) => idByUrl.has(url) || url.startsWith(SCHEME) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url),
    async read(url) {
      const doc = await corpus.get(idOf(url));
      if (!doc) throw toolError('get_webpage_in_markdown', `no page at ${url} in the local document collection (use a "url" returned by web_search)`);
      return { title: doc.title, url: corpusUrl(doc), markdown: doc.text };
    },
  };
  return { search, reader };
}
