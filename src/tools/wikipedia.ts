/**
 * Wikipedia through the MediaWiki Action API (CORS with `origin=*`, no key):
 * `list=search` for web_search and `action=parse` for page HTML, converted to Markdown.
 * The base URL is configurable (another language edition, or a local server in tests).
 */
import { toolError } from './errors';
import { httpJson, type HttpOptions } from './http';
import { htmlToMarkdown } from './markdown';
import type { PageReader, SearchProvider, WebPage, WebSearchResult } from './web';

export interface WikipediaOptions extends HttpOptions {
  /** Site root, e.g. 'https://en.wikipedia.org' (the API is at `${baseUrl}/w/api.php`). */
  baseUrl?: string;
}

const SOURCE = 'wikipedia';

interface ApiError {
  error?: { code?: string; info?: string };
}
interface SearchResponse extends ApiError {
  query?: { search?: { title: string; snippet?: string; pageid?: number }[] };
}
interface ParseResponse extends ApiError {
  parse?: { title: string; pageid?: number; text?: string | { '*': string } };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Search snippets are HTML fragments (`<span class="searchmatch">`, entities): make them text. */
export function snippetToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

function apiCheck<T extends ApiError>(data: T): T {
  if (data.error) throw toolError(SOURCE, `${data.error.code ?? 'error'}: ${data.error.info ?? 'API error'}`, { code: data.error.code });
  return data;
}

export function wikipediaClient(options: WikipediaOptions = {}) {
  const base = (options.baseUrl ?? 'https://en.wikipedia.org').replace(/\/+$/, '');
  const baseHost = new URL(base).host;
  const api = (root: string, params: Record<string, string>) =>
    `${root}/w/api.php?${new URLSearchParams({ ...params, format: 'json', formatversion: '2', origin: '*' })}`;
  const articleUrl = (title: string) => `${base}/wiki/${encodeURIComponent(title.replace(/ /g, '_'))}`;

  /** The API root and title for a Wikipedia article URL (or a bare title); undefined for other URLs. */
  function locate(url: string): { root: string; title: string } | undefined {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return { root: base, title: url };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    const isWiki = u.host === baseHost || /(^|\.)wikipedia\.org$/i.test(u.hostname);
    if (!isWiki) return undefined;
    const root = u.host === baseHost ? base : `https://${u.host}`;
    const fromPath = /^\/wiki\/(.+)$/.exec(u.pathname)?.[1];
    const title = fromPath ? decodeURIComponent(fromPath) : u.searchParams.get('title');
    return title ? { root, title: title.replace(/_/g, ' ') } : undefined;
  }

  async function search(query: string, k: number, signal: AbortSignal): Promise<WebSearchResult[]> {
    const url = api(base, { action: 'query', list: 'search', srsearch: query, srlimit: String(k), srprop: 'snippet' });
    const data = apiCheck(await httpJson<SearchResponse>(SOURCE, url, { signal }, options));
    return (data.query?.search ?? []).map((r) => ({ title: r.title, url: articleUrl(r.title), snippet: snippetToText(r.snippet ?? '') }));
  }

  async function read(url: string, signal: AbortSignal): Promise<WebPage> {
    const where = locate(url);
    if (!where) throw toolError(SOURCE, `not a Wikipedia article URL: ${url}`);
    const req = api(where.root, { action: 'parse', page: where.title, prop: 'text', redirects: '1', disableeditsection: '1' });
    const data = apiCheck(await httpJson<ParseResponse>(SOURCE, req, { signal }, options));
    const parsed = data.parse;
    const html = typeof parsed?.text === 'string' ? parsed.text : parsed?.text?.['*'];
    if (!parsed || html === undefined) throw toolError(SOURCE, 'bad response: no parse.text in the answer');
    return { title: parsed.title, url: articleUrl(parsed.title), markdown: htmlToMarkdown(html) };
  }

  const searchProvider: SearchProvider = { name: 'Wikipedia', endpoint: `${base}/w/api.php`, search };
  const reader: PageReader = {
    name: 'Wikipedia',
    canRead: (url) => locate(url) !== undefined,
    read,
    // The same root read() sends its request to: another language edition is another host.
    destinations: (url) => {
      const where = locate(url);
      return where ? [`${where.root}/w/api.php`] : [];
    },
    serviceUrls: [base],
  };
  return { search: searchProvider, reader, articleUrl };
}
