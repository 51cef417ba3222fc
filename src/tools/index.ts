// Public API of src/tools (re-exported by src/index.ts).
export {
  createCorpus,
  corpusFromSearchFunction,
  searchCorpusTool,
  readDocumentTool,
  type CorpusDocument,
  type CorpusHit,
  type CorpusSource,
} from './corpus';
export {
  parseCorpusFile,
  loadCorpusFromUrl,
  documentsFromContext,
} from './corpus-sources';
export { webSearchTool, getWebpageTool } from './web';
export { wikipediaClient } from './wikipedia';
export { searxngSearch } from './searxng';
export { tavilySearch } from './tavily';
export { jinaReader } from './jina';
export {
  createFetchGate,
  hostAllowed,
  type FetchDecision,
  type FetchApprovalRequest,
  type FetchGate,
} from './fetch-approval';
export { defaultTools, TOOL_FACTORIES, type ToolSettings } from './registry';
