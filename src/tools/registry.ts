/**
 * The tool registry: one line per tool. `defaultTools(settings)` builds the tools the settings
 * enable; keyed providers are off unless their config (URL/key, owned by the host) is given.
 */
import type { Tool } from '../protocols';
import { readDocumentTool, searchCorpusTool, type CorpusSource } from './corpus';
import { corpusAsWeb } from './corpus-web';
import type { HttpOptions } from './http';
import { jinaReader, type JinaOptions } from './jina';
import { searxngSearch, type SearxngOptions } from './searxng';
import { tavilySearch, type TavilyOptions } from './tavily';
import { getWebpageTool, webSearchTool, type PageReader, type SearchProvider } from './web';
import { wikipediaClient, type WikipediaOptions } from './wikipedia';

interface WebToolSettings extends HttpOptions {
  /** Wikipedia (default on); `false` turns it off. */
  wikipedia?: Omit<WikipediaOptions, keyof HttpOptions> | false;
  searxng?: Omit<SearxngOptions, keyof HttpOptions>;
  tavily?: Omit<TavilyOptions, keyof HttpOptions>;
  jina?: Omit<JinaOptions, keyof HttpOptions>;
  /** Token budget of one page from get_webpage_in_markdown. */
  pageTokens?: number;
  /** A local corpus served as web_search / get_webpage_in_markdown (offline; e.g. the eval's paragraphs). */
  corpus?: CorpusSource;
}

export interface ToolSettings {
  /** Enables search_corpus / read_document. */
  corpus?: CorpusSource;
  /** Enables web_search / get_webpage_in_markdown; `false` or absent: no web tools. */
  web?: WebToolSettings | false;
}

/** The search provider in order of preference: a local corpus (offline), a keyed one the user configured, else Wikipedia. */
function searchProvider(web: WebToolSettings): SearchProvider | undefined {
  const http: HttpOptions = { fetch: web.fetch, isOnline: web.isOnline };
  if (web.corpus) return corpusAsWeb(web.corpus).search;
  if (web.tavily) return tavilySearch({ ...web.tavily, ...http });
  if (web.searxng) return searxngSearch({ ...web.searxng, ...http });
  if (web.wikipedia !== false) return wikipediaClient({ ...web.wikipedia, ...http }).search;
  return undefined;
}

/** Page readers, first match wins: Wikipedia for its own articles, Jina for any other URL. */
function pageReaders(web: WebToolSettings): PageReader[] {
  const http: HttpOptions = { fetch: web.fetch, isOnline: web.isOnline };
  const readers: PageReader[] = [];
  if (web.corpus) readers.push(corpusAsWeb(web.corpus).reader);
  if (web.wikipedia !== false) readers.push(wikipediaClient({ ...web.wikipedia, ...http }).reader);
  if (web.jina) readers.push(jinaReader({ ...web.jina, ...http }));
  return readers;
}

function searchTool(web: WebToolSettings): Tool | undefined {
  const provider = searchProvider(web);
  return provider && webSearchTool(provider);
}

function pageTool(web: WebToolSettings): Tool | undefined {
  const readers = pageReaders(web);
  return readers.length ? getWebpageTool(readers, { pageTokens: web.pageTokens }) : undefined;
}

type ToolFactory = (settings: ToolSettings) => Tool | undefined;

/** Registration: one line per tool. */
export const TOOL_FACTORIES: Record<string, ToolFactory> = {
  web_search: (s) => (s.web ? searchTool(s.web) : undefined),
  get_webpage_in_markdown: (s) => (s.web ? pageTool(s.web) : undefined),
  search_corpus: (s) => (s.corpus ? searchCorpusTool(s.corpus) : undefined),
  read_document: (s) => (s.corpus ? readDocumentTool(s.corpus) : undefined),
};

export function defaultTools(settings: ToolSettings): Tool[] {
  return Object.values(TOOL_FACTORIES)
    .map((make) => make(settings))
    .filter((t): t is Tool => t !== undefined);
}
