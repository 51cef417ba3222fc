/**
 * The web tools L0's prompt uses: `web_search(query, k)` over a search provider and
 * `get_webpage_in_markdown(url, page)` over page readers, with long pages cut into numbered pages.
 */
import type { Tool } from '../protocols';
import { intArg, stringArg, toolError } from './errors';
import { paginate } from './markdown';

export interface WebSearchResult {
  title: string;
  url: string;
  /** Clean text (no HTML). */
  snippet: string;
}

export interface SearchProvider {
  readonly name: string;
  /** The URL queries are sent to (a remote provider); absent for a local one. */
  readonly endpoint?: string;
  search(query: string, k: number, signal: AbortSignal): Promise<WebSearchResult[]>;
}

export interface WebPage {
  title: string;
  url: string;
  markdown: string;
}

export interface PageReader {
  readonly name: string;
  canRead(url: string): boolean;
  read(url: string, signal: AbortSignal): Promise<WebPage>;
  /** The URLs `read(url)` will reach, directly or through a proxy (default: `url` itself when it is http(s)). */
  destinations?(url: string): string[];
  /** Base URLs of the services it was set up with (e.g. its proxy). */
  readonly serviceUrls?: readonly string[];
}

/** L0 cuts each search result to about 1,000 characters. */
const SNIPPET_CHARS = 1000;

export function webSearchTool(provider: SearchProvider): Tool {
  return {
    name: 'web_search',
    signature: 'web_search(query: str, k: int = 5) -> list[dict]',
    params: ['query', 'k'],
    description:
      `Searches the web (${provider.name}) and returns up to k results, each a dict with "title", "url" and "snippet". ` +
      'Read a result in full with get_webpage_in_markdown(url).',
    example: 'for r in web_search("Scott Derrickson nationality"): print(r["title"], r["url"], r["snippet"])',
    timeoutMs: 20_000,
    serviceUrls: provider.endpoint ? [provider.endpoint] : [],
    destinations(args) {
      stringArg('web_search', args, 'query');
      return provider.endpoint ? [provider.endpoint] : [];
    },
    async run(args, { signal }) {
      const query = stringArg('web_search', args, 'query');
      const k = intArg('web_search', args, 'k', 5, 1, 10);
      const results = await provider.search(query, k, signal);
      return results.slice(0, k).map((r) => ({ ...r, snippet: r.snippet.slice(0, SNIPPET_CHARS) }));
    },
  };
}

export interface PageToolOptions {
  /** Token budget of one page of output (default 2,000). */
  pageTokens?: number;
  /** Converted pages kept in memory, so reading page 2 does not fetch again (default 16). */
  cacheSize?: number;
}

export function getWebpageTool(readers: readonly PageReader[], options: PageToolOptions = {}): Tool {
  const pageTokens = options.pageTokens ?? 2000;
  const cacheSize = options.cacheSize ?? 16;
  const cache = new Map<string, { page: WebPage; pages: string[] }>();

  async function load(url: string, signal: AbortSignal) {
    const hit = cache.get(url);
    if (hit) return hit;
    const reader = readers.find((r) => r.canRead(url));
    if (!reader) {
      const names = readers.map((r) => r.name).join(', ') || 'none';
      throw toolError('get_webpage_in_markdown', `no reader can open ${url} (configured readers: ${names})`);
    }
    const page = await reader.read(url, signal);
    const entry = { page, pages: paginate(page.markdown, pageTokens) };
    cache.set(url, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return entry;
  }

  return {
    name: 'get_webpage_in_markdown',
    signature: 'get_webpage_in_markdown(url: str, page: int = 1) -> str',
    params: ['url', 'page'],
    description:
      `Returns the text of a web page as Markdown, about ${pageTokens} tokens a page. Long pages end with ` +
      '"[page i of n]": call again with page=i+1 to read on.',
    example: 'print(get_webpage_in_markdown("https://en.wikipedia.org/wiki/Scott_Derrickson"))',
    timeoutMs: 30_000,
    maxResultChars: pageTokens * 4 + 1000,
    serviceUrls: readers.flatMap((r) => r.serviceUrls ?? []),
    // Asked again for a page already in the cache: the cache may drop it before the call reads it.
    destinations(args) {
      const url = stringArg('get_webpage_in_markdown', args, 'url').trim();
      const reader = readers.find((r) => r.canRead(url));
      if (!reader) return [];
      return reader.destinations ? reader.destinations(url) : /^https?:\/\//i.test(url) ? [url] : [];
    },
    async run(args, { signal }) {
      const url = stringArg('get_webpage_in_markdown', args, 'url').trim();
      const pageNo = intArg('get_webpage_in_markdown', args, 'page', 1, -Infinity, Infinity);
      const { page, pages } = await load(url, signal);
      if (pageNo < 1 || pageNo > pages.length) {
        throw toolError('get_webpage_in_markdown', `page ${pageNo} does not exist: ${url} has ${pages.length} page(s)`);
      }
      const head = pageNo === 1 ? `# ${page.title}\n\n` : '';
      const more = pageNo < pages.length ? ` (call get_webpage_in_markdown(url, page=${pageNo + 1}) for more)` : '';
      return `${head}${pages[pageNo - 1]}\n\n[page ${pageNo} of ${pages.length}${more}]`;
    },
  };
}
