/**
 * A local full-text corpus (MiniSearch) and the `search_corpus` / `read_document` tools over it.
 * Tuned for question answering: titles boosted (entity questions usually name the article),
 * English stop words dropped (questions are full of them), prefix and light fuzzy matching on
 * longer terms (plurals, possessives, small spelling differences).
 */
import MiniSearch, { type SearchResult } from 'minisearch';
import type { Tool } from '../protocols';
import { intArg, stringArg, toolError } from './errors';

export interface CorpusDocument {
  id: string;
  title: string;
  text: string;
  url?: string;
}

export interface CorpusHit {
  id: string;
  title: string;
  url?: string;
  snippet: string;
  score: number;
}

/** Anything searchable: a local index, or a host-provided search function. */
export interface CorpusSource {
  search(query: string, k: number): Promise<CorpusHit[]> | CorpusHit[];
  get(id: string): Promise<CorpusDocument | undefined> | CorpusDocument | undefined;
  readonly size?: number;
}

// Common English function words plus question words: they match almost every paragraph.
const STOP_WORDS = new Set(
  (
    'a an the and or but if of at by for with about against between into through during before after above below to ' +
    'from up down in out on off over under again further then once here there when where why how all any both each ' +
    'few more most other some such no nor not only own same so than too very s t can will just don should now is are ' +
    'was were be been being have has had having do does did doing i me my we our you your he him his she her it its ' +
    'they them their what which who whom this that these those am as until while would could also which whose ' +
    'name named called one ones'
  ).split(' '),
);

export interface CorpusOptions {
  /** Characters of text shown per hit (default 300). */
  snippetChars?: number;
}

export interface LocalCorpus extends CorpusSource {
  readonly size: number;
  add(docs: readonly CorpusDocument[]): void;
  search(query: string, k: number): CorpusHit[];
  get(id: string): CorpusDocument | undefined;
}

function processTerm(term: string): string | null {
  const t = term.toLowerCase().replace(/['’]s$/, '');
  return t.length === 0 || STOP_WORDS.has(t) ? null : t;
}

function snippetOf(text: string, chars: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= chars ? clean : `${clean.slice(0, chars).replace(/\s+\S*$/, '')} …`;
}

export function createCorpus(docs: readonly CorpusDocument[] = [], options: CorpusOptions = {}): LocalCorpus {
  const snippetChars = options.snippetChars ?? 300;
  const byId = new Map<string, CorpusDocument>();
  const index = new MiniSearch<CorpusDocument>({
    fields: ['title', 'text'],
    storeFields: [],
    processTerm,
    searchOptions: {
      boost: { title: 2 },
      prefix: (term) => term.length > 4,
      fuzzy: (term) => (term.length > 5 ? 0.15 : false),
      combineWith: 'OR',
      weights: { fuzzy: 0.3, prefix: 0.5 },
    },
  });
  const corpus: LocalCorpus = {
    get size() {
      return byId.size;
    },
    add(more) {
      const seen = new Set<string>();
      for (const d of more) {
        if (byId.has(d.id) || seen.has(d.id)) throw toolError('corpus', `duplicate document id '${d.id}'`);
        seen.add(d.id);
      }
      for (const d of more) byId.set(d.id, d);
      index.addAll(more);
    },
    search(query, k) {
      return index
        .search(query)
        .slice(0, k)
        .map((r: SearchResult) => {
          const doc = byId.get(String(r.id))!;
          return { id: doc.id, title: doc.title, ...(doc.url ? { url: doc.url } : {}), snippet: snippetOf(doc.text, snippetChars), score: r.score };
        });
    },
    get: (id) => byId.get(id),
  };
  corpus.add(docs);
  return corpus;
}

/** A corpus backed by the embedding site's own search function (and optional document getter). */
export function corpusFromSearchFunction(
  search: (query: string, k: number) => Promise<CorpusHit[]> | CorpusHit[],
  get: (id: string) => Promise<CorpusDocument | undefined> | CorpusDocument | undefined = () => undefined,
): CorpusSource {
  return { search, get };
}

export function searchCorpusTool(corpus: CorpusSource): Tool {
  return {
    name: 'search_corpus',
    signature: 'search_corpus(query: str, k: int = 5) -> list[dict]',
    params: ['query', 'k'],
    description:
      'Full-text search over the local document collection (works offline). Returns up to k results, best first, ' +
      'each a dict with "id", "title", "snippet" (and "url" when known). Use keywords or the names of entities; ' +
      'read a whole document with read_document(id).',
    example: 'for r in search_corpus("Scott Derrickson nationality"): print(r["id"], r["title"], r["snippet"][:100])',
    async run(args) {
      const query = stringArg('search_corpus', args, 'query');
      const k = intArg('search_corpus', args, 'k', 5, 1, 20);
      const hits = await corpus.search(query, k);
      return hits.map(({ score: _score, ...hit }) => hit);
    },
  };
}

export function readDocumentTool(corpus: CorpusSource): Tool {
  return {
    name: 'read_document',
    signature: 'read_document(id: str) -> dict',
    params: ['id'],
    description: 'Returns the full document with this id from the local collection: a dict with "id", "title", "text" (and "url").',
    example: 'doc = read_document(results[0]["id"]); print(doc["text"])',
    async run(args) {
      const id = stringArg('read_document', args, 'id');
      const doc = await corpus.get(id);
      if (!doc) throw toolError('read_document', `no document with id '${id}' (use an "id" returned by search_corpus)`);
      return doc;
    },
  };
}
