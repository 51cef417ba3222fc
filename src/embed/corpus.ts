// The embedding's corpus: a URL of a JSON list of documents, the documents themselves, or the
// host site's own search function. Each becomes the `search_corpus` / `read_document` tools.
import type { Tool } from '../protocols';
import { createCorpus, corpusFromSearchFunction, readDocumentTool, searchCorpusTool, type CorpusDocument, type CorpusHit } from '../tools/corpus';
import { loadCorpusFromUrl } from '../tools/corpus-sources';

/** A host-provided search (e.g. the docs site's existing search), plus an optional document getter. */
export interface HostSearch {
  search(query: string, k: number): Promise<CorpusHit[]> | CorpusHit[];
  get?(id: string): Promise<CorpusDocument | undefined> | CorpusDocument | undefined;
}

export type CorpusOption = string | URL | readonly CorpusDocument[] | HostSearch;

function isHostSearch(c: CorpusOption): c is HostSearch {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && !(c instanceof URL) && typeof (c as HostSearch).search === 'function';
}

/** Builds the corpus tools; a URL is fetched relative to the host page. */
export async function corpusTools(corpus: CorpusOption | undefined): Promise<Tool[]> {
  if (corpus === undefined) return [];
  if (isHostSearch(corpus)) {
    const source = corpusFromSearchFunction(corpus.search.bind(corpus), corpus.get?.bind(corpus));
    return corpus.get ? [searchCorpusTool(source), readDocumentTool(source)] : [searchCorpusTool(source)];
  }
  const docs = Array.isArray(corpus) ? (corpus as readonly CorpusDocument[]) : await loadCorpusFromUrl(new URL(String(corpus), document.baseURI).href);
  const local = createCorpus(docs);
  return [searchCorpusTool(local), readDocumentTool(local)];
}
