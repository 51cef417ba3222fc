/**
 * Turning user material into corpus documents: dropped files (.txt, .md, .jsonl, .json), a URL to
 * a JSON/JSONL corpus, and HotpotQA-style context paragraphs.
 */
import type { CorpusDocument } from './corpus';
import { toolError } from './errors';

/** Long plain text is cut into chunks of about this many characters, on paragraph breaks. */
const TEXT_CHUNK_CHARS = 2000;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : typeof v === 'number' ? String(v) : undefined;
}

/** One JSON record to a document: accepts id/_id, title/name, text/contents/content/body, url. */
function documentFromRecord(rec: unknown, fallbackId: string): CorpusDocument {
  if (!rec || typeof rec !== 'object') throw toolError('corpus', `record ${fallbackId} is not an object`);
  const r = rec as Record<string, unknown>;
  const text = str(r.text) ?? str(r.contents) ?? str(r.content) ?? str(r.body);
  if (text === undefined) throw toolError('corpus', `record ${fallbackId} has no "text" field`);
  const title = str(r.title) ?? str(r.name) ?? fallbackId;
  const url = str(r.url);
  return { id: str(r.id) ?? str(r._id) ?? fallbackId, title, text, ...(url ? { url } : {}) };
}

/**
 * Gives documents without an own id unique ids: the title, then "title (2)", ... for repeats.
 * Records with an explicit id keep it.
 */
function uniqueIds(docs: CorpusDocument[]): CorpusDocument[] {
  const used = new Map<string, number>();
  return docs.map((d) => {
    const n = (used.get(d.id) ?? 0) + 1;
    used.set(d.id, n);
    return n === 1 ? d : { ...d, id: `${d.id} (${n})` };
  });
}

export function parseJsonl(text: string, name = 'corpus'): CorpusDocument[] {
  const docs: CorpusDocument[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw toolError('corpus', `${name} line ${i + 1} is not valid JSON`);
    }
    const r = rec as Record<string, unknown>;
    docs.push(documentFromRecord(rec, str(r?.title) ?? `${name}:${i + 1}`));
  });
  return uniqueIds(docs);
}

/** A JSON corpus: an array of records, or `{ documents: [...] }`. */
function parseJsonCorpus(text: string, name = 'corpus'): CorpusDocument[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw toolError('corpus', `${name} is not valid JSON`);
  }
  const list = Array.isArray(data) ? data : (data as { documents?: unknown })?.documents;
  if (!Array.isArray(list)) throw toolError('corpus', `${name} must be a JSON array of documents or {"documents": [...]}`);
  return uniqueIds(list.map((rec, i) => documentFromRecord(rec, str((rec as Record<string, unknown>)?.title) ?? `${name}:${i + 1}`)));
}

/** Markdown: one document per heading section (levels 1-3); the heading is the title. */
export function parseMarkdown(text: string, name: string): CorpusDocument[] {
  const sections: { title: string; lines: string[] }[] = [];
  let current = { title: name, lines: [] as string[] };
  let inFence = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,3}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      if (current.lines.join('').trim()) sections.push(current);
      current = { title: heading[1]!, lines: [] };
    } else current.lines.push(line);
  }
  if (current.lines.join('').trim()) sections.push(current);
  return sections.map((s, i) => ({ id: `${name}#${i + 1}`, title: s.title, text: s.lines.join('\n').trim() }));
}

/** Plain text: chunks of about TEXT_CHUNK_CHARS cut at blank lines, titled by the file name. */
export function parsePlainText(text: string, name: string): CorpusDocument[] {
  const chunks: string[] = [];
  let buf = '';
  for (const para of text.split(/\r?\n\s*\r?\n/)) {
    if (buf && buf.length + para.length > TEXT_CHUNK_CHARS) {
      chunks.push(buf);
      buf = '';
    }
    buf = buf ? `${buf}\n\n${para}` : para;
  }
  if (buf.trim()) chunks.push(buf);
  return chunks
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c, i, all) => ({ id: all.length === 1 ? name : `${name}#${i + 1}`, title: name, text: c }));
}

/** Parses a user file by its extension (.jsonl, .json, .md/.markdown, anything else as text). */
export function parseCorpusFile(name: string, text: string): CorpusDocument[] {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  if (ext === 'jsonl' || ext === 'ndjson') return parseJsonl(text, name);
  if (ext === 'json') return parseJsonCorpus(text, name);
  if (ext === 'md' || ext === 'markdown') return parseMarkdown(text, name);
  return parsePlainText(text, name);
}

/** Fetches a JSON or JSONL corpus from a URL (CORS applies in the browser). */
export async function loadCorpusFromUrl(url: string, fetchImpl: typeof fetch = fetch): Promise<CorpusDocument[]> {
  let res: Response;
  try {
    res = await fetchImpl(url);
  } catch (e) {
    throw toolError('corpus', `could not fetch ${url}: ${(e as Error).message}`, { url }, true);
  }
  if (!res.ok) throw toolError('corpus', `HTTP ${res.status} fetching ${url}`, { url, status: res.status }, res.status >= 500);
  const text = await res.text();
  const name = new URL(url, 'http://x/').pathname.split('/').pop() || 'corpus';
  return /^\s*[[{]/.test(text) && !/\.jsonl$/i.test(name) ? parseJsonCorpus(text, name) : parseJsonl(text, name);
}

/** HotpotQA-style context (`[{title, sentences}]`) to documents, sentences joined as the data README says. */
export function documentsFromContext(context: readonly { title: string; sentences: readonly string[] }[]): CorpusDocument[] {
  return uniqueIds(context.map((p) => ({ id: p.title, title: p.title, text: p.sentences.join('') })));
}
