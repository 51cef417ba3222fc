// Public API of src/tools (re-exported by src/index.ts).
export { toolError } from './errors';
export {
  createCorpus,
  corpusFromSearchFunction,
  searchCorpusTool,
  readDocumentTool,
  type CorpusDocument,
  type CorpusHit,
  type CorpusSource,
  type LocalCorpus,
  type CorpusOptions,
} from './corpus';
export {
  parseCorpusFile,
  parseJsonl,
  parseJsonCorpus,
  parseMarkdown,
  parsePlainText,
  loadCorpusFromUrl,
  documentsFromContext,
  documentFromRecord,
} from './corpus-sources';
export { corpusAsWeb, corpusUrl, type CorpusWeb } from './corpus-web';
export { OFFLINE_HINT, type HttpOptions } from './http';
export { htmlToMarkdown, paginate } from './markdown';
export { webSearchTool, getWebpageTool, type SearchProvider, type PageReader, type WebSearchResult, type WebPage, type PageToolOptions } from './web';
export { wikipediaClient, snippetToText, type WikipediaOptions } from './wikipedia';
export { searxngSearch, type SearxngOptions } from './searxng';
export { tavilySearch, type TavilyOptions } from './tavily';
export { jinaReader, type JinaOptions } from './jina';
export {
  createFetchGate,
  destinationOf,
  hostAllowed,
  invalidHostPatterns,
  parseHostPattern,
  type FetchDecision,
  type FetchApprovalRequest,
  type FetchGate,
  type FetchGateOptions,
} from './fetch-approval';
export { defaultTools, TOOL_FACTORIES, type ToolSettings, type WebToolSettings } from './registry';
